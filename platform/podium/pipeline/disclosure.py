"""What a participant learns of a run on hidden data: a message from a fixed list, nothing else.

A model run on the hidden inputs controls its stdout, stderr, exit code, the ids and values of
its predictions, and the size of its output. Anything of that echoed back to its team is a way
to carry the hidden test set out (print ``/input/test.csv``; write hidden values as ids and read
them back from "unknown ids (first: ...)"). So a failure on hidden data reaches the participant
as one message per cause, chosen by the cause's code, naming only what the challenge itself
declares (limits, file and column names, classes); the full account stays on the evaluation as
``detail`` for the challenge's staff. Failures on public data (building, the smoke run, ``podium
check``) keep their detailed messages: there is nothing hidden in them.

The fixed messages::

    run status (sandbox)     timed out (limit) · out of memory (limit) · process limit (limit)
                             output too large (caps) · /output unreadable · non-zero exit
                             invalid image · other
    invalid predictions      one message per evaluators ProblemCode (file, columns, classes)
    anything else            the participant's: generic; the challenge's scoring: generic
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from challenges import Bundle
from challenges.inputs import sandbox_limits_for
from evaluators import InvalidPredictions, PredictionFormat
from evaluators.errors import ProblemCode
from podium.pipeline.faults import (
    INVALID_PREDICTIONS,
    OrganiserFault,
    ParticipantFault,
    PlatformFault,
    Stop,
    classify,
)
from sandbox.errors import ArchiveError, ImageError
from sandbox.limits import SandboxLimits
from sandbox.result import RunResult, RunStatus

NO_LOGS = (
    "; the logs of runs on hidden data are not shown to participants: run your model on the "
    "public data with `podium check` (same sandbox, same limits) to see its output"
)
INVALID_IMAGE = (
    "your image could not be started on the hidden data (no usable ENTRYPOINT or CMD, or a "
    "broken image)"
)
OTHER_RUN = "your container did not finish on the hidden data"
OUTPUT_UNREADABLE = (
    "your container left something in /output on the hidden data that the platform cannot take "
    "(folders nested too deep, paths too long, too many folders, or unreadable entries); write "
    "only your predictions there"
)
# the verdict's own wording for a non-zero exit; its other ``failed`` runs are /output problems
_EXITED = "your container exited with code"
OTHER_FAULT = "your submission failed on the hidden data"
SCORING_FAILED = "the challenge's scoring failed on this submission; the organisers have been told"


class RunFailed(ParticipantFault):
    """The model's run did not succeed; carries the result so the message follows its status."""

    def __init__(self, result: RunResult) -> None:
        super().__init__(result.message)
        self.result = result


def run_message(status: RunStatus | str, limits: SandboxLimits) -> str:
    """The fixed message for a run on hidden data that ended with ``status``."""
    messages = {
        RunStatus.TIMED_OUT: (
            f"your container ran longer than {limits.wall_seconds:g} s on the hidden data and "
            f"was stopped; the limit for this phase is {limits.wall_seconds:g} s"
        ),
        RunStatus.OUT_OF_MEMORY: (
            f"your container used more than {limits.memory_mb} MB of memory on the hidden "
            f"data and was stopped; the limit for this phase is {limits.memory_mb} MB"
        ),
        RunStatus.PROCESS_LIMIT: (
            f"your container tried to run more than {limits.processes} processes at once on "
            f"the hidden data and was stopped; the limit for this phase is {limits.processes} "
            "processes and threads"
        ),
        RunStatus.OUTPUT_TOO_LARGE: (
            "your container wrote more to /output than this phase allows on the hidden data; "
            f"the limit is {limits.output_mb} MB in at most {limits.output_files} files"
        ),
        RunStatus.FAILED: "your container exited with a non-zero code on the hidden data",
        RunStatus.INVALID_IMAGE: INVALID_IMAGE,
    }
    known = next((member for member in RunStatus if member.value == status), None)
    chosen = messages.get(known, OTHER_RUN) if known is not None else OTHER_RUN
    return chosen + NO_LOGS


def problem_message(code: ProblemCode, fmt: PredictionFormat) -> str:
    """The fixed sentence for one kind of prediction problem (names only what the task declares)."""
    name = fmt.file
    columns = ",".join([fmt.id_column, *fmt.column_names])
    declared = list(fmt.classes or [])
    classes = ", ".join(declared[:10]) + (", ..." if len(declared) > 10 else "")
    sentences = {
        ProblemCode.FILE_MISSING: f"{name} was not found in /output; write it there",
        ProblemCode.NOT_REGULAR_FILE: f"{name} is not a regular file (links are not followed)",
        ProblemCode.TOO_LARGE: f"{name} is over the {fmt.max_mb} MB limit",
        ProblemCode.NOT_UTF8: f"{name} is not valid UTF-8 text",
        ProblemCode.NUL_BYTES: f"{name} contains NUL bytes",
        ProblemCode.EMPTY_FILE: f"{name} is empty",
        ProblemCode.WRONG_COLUMNS: f"{name} must have exactly the columns {columns}, in order",
        ProblemCode.NO_ROWS: f"{name} has a header but no rows",
        ProblemCode.RAGGED_ROWS: f"{name} has rows without one value per column",
        ProblemCode.NON_NUMERIC: f"{name} has values that are not numbers of the column's type",
        ProblemCode.EMPTY_IDS: f"{name} has rows with an empty id",
        ProblemCode.DUPLICATE_IDS: f"{name} repeats ids; each id must appear once",
        ProblemCode.UNKNOWN_IDS: f"{name} has ids that are not in /input; predict only those",
        ProblemCode.MISSING_IDS: f"{name} misses ids that are in /input; predict every one",
        ProblemCode.NAN_VALUES: f"{name} has missing or NaN values",
        ProblemCode.INFINITE_VALUES: f"{name} has infinite values",
        ProblemCode.NEGATIVE_PROBABILITIES: f"{name} has negative probabilities",
        ProblemCode.PROBABILITIES_ABOVE_ONE: f"{name} has probabilities above 1",
        ProblemCode.PROBABILITIES_NOT_SUMMING: f"{name} has rows whose probabilities do not sum "
        "to 1",
        ProblemCode.UNKNOWN_CLASSES: f"{name} has values not among the classes ({classes})",
        ProblemCode.REPEATED_RANKS: f"{name} has rows that rank the same label twice",
    }
    return sentences.get(code, f"{name} is not valid")


def predictions_message(codes: list[ProblemCode], fmt: PredictionFormat) -> str:
    """The fixed message for invalid predictions on hidden data: one sentence per kind."""
    sentences = list(dict.fromkeys(problem_message(code, fmt) for code in codes))
    body = "; ".join(sentences) or problem_message(ProblemCode.OTHER, fmt)
    return f"{INVALID_PREDICTIONS}{body} (on the hidden data){NO_LOGS}"


def withhold(error: BaseException, bundle: Bundle, phase: str) -> BaseException:
    """The exception to raise instead of ``error``, which came from a stage on hidden data.

    Platform faults, stops and unknown errors pass through (their messages are the platform's
    own or already generic); participant and organiser faults get a fixed message, with the
    original as ``detail``.
    """
    if isinstance(error, Stop):
        return error
    fault = classify(error)
    if fault is None or isinstance(fault, PlatformFault):
        return error
    detail = fault.detail or fault.message
    if isinstance(fault, OrganiserFault):
        return OrganiserFault(SCORING_FAILED, detail=detail)
    return ParticipantFault(_participant_message(error, bundle, phase), detail=detail)


def _participant_message(error: BaseException, bundle: Bundle, phase: str) -> str:
    if isinstance(error, RunFailed):
        result = error.result
        if result.status is RunStatus.FAILED and not result.message.startswith(_EXITED):
            return OUTPUT_UNREADABLE + NO_LOGS
        return run_message(result.status, sandbox_limits_for(bundle.phase(phase)))
    if isinstance(error, InvalidPredictions):
        return predictions_message(error.codes, bundle.spec.task.predictions)
    if isinstance(error, ArchiveError | ImageError):
        return INVALID_IMAGE + NO_LOGS
    return OTHER_FAULT + NO_LOGS


@contextmanager
def on_hidden_data(bundle: Bundle, phase: str) -> Iterator[None]:
    """Stages inside read hidden data: their failures reach the participant as fixed messages.

    Raises:
        PipelineFault: a participant or organiser fault with a fixed message and ``detail``.
    """
    try:
        yield
    except Exception as error:
        replacement = withhold(error, bundle, phase)
        if replacement is error:
            raise
        raise replacement from error
