"""The one exception tree of the ``evaluators`` library.

::

    EvaluatorError                  base: anything this library raises on purpose
    ├── InvalidPredictions          the participant's file is unusable (their fault: ``failed``)
    ├── InvalidLabels               the organiser's reference file is unusable (platform ``error``)
    ├── UnknownMetric               a metric name is not in the registry (also a ``KeyError``)
    └── IncompatibleMetric          a metric cannot score this kind of prediction or these labels

Messages of :class:`InvalidPredictions` are meant to be shown to participants: they name counts,
ids and the participant's own values, never a reference label. :class:`InvalidLabels` messages
follow the same rule, so that an organiser's mistake cannot leak labels through a status page.
"""

from __future__ import annotations

from collections.abc import Sequence


class EvaluatorError(Exception):
    """Base class of every error the evaluators library raises on purpose."""


class _ProblemList(EvaluatorError):
    """An error carrying every problem found, each a complete sentence for a person."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: list[str] = list(problems)
        super().__init__("; ".join(self.problems))

    def __str__(self) -> str:
        return "; ".join(self.problems)


class InvalidPredictions(_ProblemList):
    """A prediction file failed validation; ``problems`` lists every reason found."""


class InvalidLabels(_ProblemList):
    """A reference label file failed validation; ``problems`` lists every reason found."""


class UnknownMetric(EvaluatorError, KeyError):
    """A metric name is not registered.

    Attributes:
        name: The name asked for.
        valid: Every registered name, sorted.
        suggestion: The closest registered name, if one is close enough.
    """

    def __init__(self, name: str, valid: Sequence[str], suggestion: str | None) -> None:
        self.name = name
        self.valid = list(valid)
        self.suggestion = suggestion
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        self.message = f"unknown metric {name!r}{hint} valid metrics: {', '.join(self.valid)}"
        super().__init__(self.message)

    def __str__(self) -> str:
        # KeyError.__str__ would wrap the message in quotes.
        return self.message


class IncompatibleMetric(EvaluatorError):
    """A metric was asked to score predictions or labels it cannot handle."""
