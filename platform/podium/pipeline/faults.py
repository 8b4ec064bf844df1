"""Whose fault an evaluation's failure is, and what the participant reads about it.

::

    PipelineFault           an evaluation cannot go on
    ├── ParticipantFault    the submission's fault: ``failed``, charged
    ├── PlatformFault       the engine, the disk: retried with backoff, then ``error``
    └── OrganiserFault      the challenge's labels or scoring program: ``error`` at once
    Stop                    not a failure: cancelled, or another attempt took over

Library errors are translated here, in one place (:func:`classify`).
"""

from __future__ import annotations

import errno

from sqlalchemy.exc import InterfaceError, OperationalError

from evaluators import EvaluatorError, InvalidPredictions
from sandbox.errors import ArchiveError, EngineUnavailable, ImageError, SandboxError

INVALID_PREDICTIONS = "invalid predictions: "


class PipelineFault(Exception):
    """An evaluation cannot go on; ``message`` is safe to show to the participant.

    ``detail``, when set, is the full account for the challenge's staff, where ``message``
    withholds it (a failure on hidden data: see :mod:`podium.pipeline.disclosure`).
    """

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class ParticipantFault(PipelineFault):
    """The submission is at fault (bad image, crash, timeout, invalid predictions)."""


class PlatformFault(PipelineFault):
    """The platform is at fault and a later try may succeed (engine down, disk full)."""


class OrganiserFault(PipelineFault):
    """The challenge itself is broken (labels, scoring program); retrying will not help."""


class Stop(Exception):
    """The evaluation must stop quietly: cancelled, or superseded by another attempt."""


def classify(error: BaseException) -> PipelineFault | None:
    """The pipeline fault an exception from a library stands for, or None when unknown."""
    if isinstance(error, PipelineFault):
        return error
    if isinstance(error, ArchiveError | ImageError):  # BuildError is an ImageError
        return ParticipantFault(error.message)
    if isinstance(error, InvalidPredictions):
        text = str(error)
        return ParticipantFault(
            text if text.startswith(INVALID_PREDICTIONS) else INVALID_PREDICTIONS + text
        )
    if isinstance(error, EngineUnavailable):
        return PlatformFault(error.message)
    if isinstance(error, SandboxError):  # the engine refused for a reason not the image's
        return PlatformFault(error.message)
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return PlatformFault("the worker's disk is full")
    if isinstance(error, OSError):  # the store or the staging area; never a participant's file
        what = error.strerror or type(error).__name__
        return PlatformFault(f"the worker could not read or write its own files ({what})")
    if isinstance(error, OperationalError | InterfaceError):
        return PlatformFault("the database did not answer")
    if isinstance(error, EvaluatorError):  # scoring program, labels, metrics: the organiser's
        return OrganiserFault(_organiser_message(error))
    return None


def _organiser_message(error: EvaluatorError) -> str:
    # a ScoringError's message is written to be shown; other evaluator errors may name
    # reference details, so the participant only learns that the challenge is at fault
    message = getattr(error, "message", None)
    if isinstance(message, str):
        return f"the challenge's scoring failed: {message}; the organisers have been told"
    return "the challenge's reference data could not be read; the organisers have been told"
