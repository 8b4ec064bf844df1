"""The challenges package's one error tree.

    ChallengeError            anything the challenges package raises
    ├── BundleError           a bundle is invalid; carries every :class:`Problem` found
    ├── DataBuildError        an example's data builder failed (an operator fault)
    └── DeliverableRefused    a team's deliverable (file or link) is not what the phase asks

A :class:`Problem` names the file, the key path inside it (``phases[1].limits.wall_seconds``)
and what is wrong, so an organiser can fix all of them in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bundle.

    Attributes:
        file: The bundle file the problem is in, relative to the bundle root
            (``challenge.yaml`` for schema problems, the data path for file problems).
        key_path: Where in ``challenge.yaml`` the offending value sits, or ``""``.
        message: What is wrong and, where possible, what to do.
    """

    file: str
    key_path: str
    message: str

    def __str__(self) -> str:
        if self.key_path:
            return f"{self.file}: {self.key_path}: {self.message}"
        return f"{self.file}: {self.message}"


class ChallengeError(Exception):
    """Base class: ``str(error)`` is a message an organiser can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BundleError(ChallengeError):
    """A bundle failed validation; ``problems`` lists every problem, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = "; ".join(str(p) for p in self.problems[:3])
        more = f" (and {count - 3} more)" if count > 3 else ""
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"invalid challenge bundle: {count} {noun}: {head}{more}")


class DataBuildError(ChallengeError):
    """An example's data could not be built."""


class DeliverableRefused(ChallengeError):
    """A deliverable's file or link does not match its declared kind (the team's mistake)."""
