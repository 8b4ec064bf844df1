"""The platform's domain errors; the API maps each to one HTTP answer in ``api/errors.py``.

    PodiumError              anything the platform refuses; ``message`` says what to do
    ├── NotFound             404: no such object (or not one the caller may know about)
    ├── PermissionDenied     403: the caller may see the object but not do this
    ├── Conflict             409: the request clashes with the current state
    ├── InvalidInput         422: carries ``problems``, every one found
    ├── TooLarge             413: an upload over its size cap
    └── QuotaExceeded        429: carries ``retry_at``, when the next try is allowed

Nothing here imports FastAPI: CLI commands and workers raise and catch the same errors.
"""

from __future__ import annotations

from datetime import datetime


class PodiumError(Exception):
    """Base class: ``message`` is a sentence the user can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(PodiumError):
    """No such object, or one the caller must not learn exists."""


class PermissionDenied(PodiumError):
    """The caller is known but lacks the role this needs."""


class Conflict(PodiumError):
    """The request clashes with the current state (a duplicate, a full team)."""


class InvalidInput(PodiumError):
    """Input failed validation; ``problems`` lists every problem found."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class TooLarge(PodiumError):
    """An upload exceeded its size cap."""


class QuotaExceeded(PodiumError):
    """A limit was reached; ``retry_at`` is when the next attempt is allowed (None: never)."""

    def __init__(self, message: str, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at
