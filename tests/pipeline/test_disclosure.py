"""The fixed messages a participant gets for a failure on hidden data: one per cause, each tested,
none echoing what the model wrote (the full account goes to ``detail``, for staff)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from challenges import Bundle, load_bundle
from challenges.examples import build_example
from challenges.inputs import sandbox_limits_for
from evaluators.errors import ProblemCode
from evaluators.program import ScoringError
from podium.pipeline.disclosure import (
    INVALID_IMAGE,
    NO_LOGS,
    OTHER_FAULT,
    OTHER_RUN,
    OUTPUT_UNREADABLE,
    SCORING_FAILED,
    RunFailed,
    on_hidden_data,
    predictions_message,
    problem_message,
    run_message,
    withhold,
)
from podium.pipeline.faults import (
    INVALID_PREDICTIONS,
    OrganiserFault,
    ParticipantFault,
    PlatformFault,
    Stop,
)
from sandbox.errors import EngineUnavailable, ImageError
from sandbox.limits import SandboxLimits
from sandbox.result import RunResult, RunStatus
from tests.evaluators.problem_cases import CASES, LEAK, Case, raise_for

LIMITS = SandboxLimits(wall_seconds=90, memory_mb=768, processes=48, output_mb=6, output_files=40)
# the detailed message a model can steer (exit code, output size) never reaches participants
DETAILED = f"your container exited with code {LEAK[:3]}; wrote {LEAK} files"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bundle]:
    folder = build_example("breast-cancer-diagnosis", tmp_path_factory.mktemp("bc"))
    with load_bundle(folder) as loaded:
        yield loaded


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (RunStatus.TIMED_OUT, "your container ran longer than 90 s on the hidden data and was "
         "stopped; the limit for this phase is 90 s"),
        (RunStatus.OUT_OF_MEMORY, "your container used more than 768 MB of memory on the hidden "
         "data and was stopped; the limit for this phase is 768 MB"),
        (RunStatus.PROCESS_LIMIT, "your container tried to run more than 48 processes at once on "
         "the hidden data and was stopped; the limit for this phase is 48 processes and threads"),
        (RunStatus.OUTPUT_TOO_LARGE, "your container wrote more to /output than this phase allows "
         "on the hidden data; the limit is 6 MB in at most 40 files"),
        (RunStatus.FAILED, "your container exited with a non-zero code on the hidden data"),
        (RunStatus.INVALID_IMAGE, INVALID_IMAGE),
        ("cancelled", OTHER_RUN),  # a status this module does not know yet
    ],
    ids=lambda value: str(value)[:20],
)  # fmt: skip
def test_each_run_status_has_one_fixed_message(status: RunStatus | str, expected: str) -> None:
    assert run_message(status, LIMITS) == expected + NO_LOGS


@pytest.mark.parametrize("case", CASES, ids=[c.code.value for c in CASES])
def test_each_prediction_problem_has_a_fixed_message_without_the_models_values(
    case: Case, tmp_path: Path
) -> None:
    error = raise_for(case, tmp_path)
    message = predictions_message(error.codes, case.fmt)
    assert message.startswith(INVALID_PREDICTIONS)
    assert problem_message(case.code, case.fmt) in message
    assert LEAK not in message and LEAK[:3] not in message
    assert message.endswith("(on the hidden data)" + NO_LOGS)


def test_the_fixed_prediction_messages_name_only_what_the_task_declares() -> None:
    fmt = CASES[0].fmt
    assert problem_message(ProblemCode.WRONG_COLUMNS, fmt) == (
        "predictions.csv must have exactly the columns id,label, in order"
    )
    assert problem_message(ProblemCode.OTHER, fmt) == "predictions.csv is not valid"
    repeated = predictions_message([ProblemCode.UNKNOWN_IDS, ProblemCode.UNKNOWN_IDS], fmt)
    assert repeated.count("ids that are not in /input") == 1


def test_a_failed_run_is_told_by_its_status_with_the_phases_limits(bundle: Bundle) -> None:
    limits = sandbox_limits_for(bundle.phase("development"))
    result = RunResult(RunStatus.OUTPUT_TOO_LARGE, DETAILED, exit_code=0)
    fault = withhold(RunFailed(result), bundle, "development")
    assert isinstance(fault, ParticipantFault)
    assert fault.message == run_message(RunStatus.OUTPUT_TOO_LARGE, limits)
    assert f"{limits.output_mb} MB" in fault.message and LEAK not in fault.message
    assert fault.detail == DETAILED


def test_an_output_tree_the_worker_cannot_take_is_told_without_its_names(bundle: Bundle) -> None:
    detailed = f"your container left a path longer than 4096 bytes in /output/{LEAK}"
    result = RunResult(RunStatus.FAILED, detailed, exit_code=0)
    fault = withhold(RunFailed(result), bundle, "development")
    assert isinstance(fault, ParticipantFault)
    assert fault.message == OUTPUT_UNREADABLE + NO_LOGS and fault.detail == detailed


def test_invalid_predictions_keep_their_detail_for_staff(bundle: Bundle, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.code is ProblemCode.UNKNOWN_IDS)
    error = raise_for(case, tmp_path)
    fault = withhold(error, bundle, "development")
    assert isinstance(fault, ParticipantFault) and LEAK not in fault.message
    fmt = bundle.spec.task.predictions
    assert fault.message == predictions_message([ProblemCode.UNKNOWN_IDS], fmt)
    assert fault.detail is not None and LEAK in fault.detail


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ImageError(f"exec /app/{LEAK}: no such file"), INVALID_IMAGE + NO_LOGS),
        (ParticipantFault(f"/output/{LEAK} cannot be walked"), OTHER_FAULT + NO_LOGS),
    ],
    ids=["image", "other"],
)
def test_other_participant_faults_get_a_generic_fixed_message(
    bundle: Bundle, error: Exception, expected: str
) -> None:
    fault = withhold(error, bundle, "development")
    assert isinstance(fault, ParticipantFault)
    assert fault.message == expected
    assert fault.detail is not None and LEAK in fault.detail


def test_the_challenges_scoring_failure_is_generic_for_the_participant(bundle: Bundle) -> None:
    fault = withhold(ScoringError(f"scores.json: {LEAK} must be a number"), bundle, "final")
    assert isinstance(fault, OrganiserFault)
    assert fault.message == SCORING_FAILED
    assert fault.detail is not None and LEAK in fault.detail


@pytest.mark.parametrize(
    "error",
    [
        PlatformFault("the worker's disk is full"),
        EngineUnavailable("the Docker engine did not answer"),
        Stop("the submission was cancelled"),
        RuntimeError("a bug"),
    ],
    ids=["platform", "engine", "stop", "unknown"],
)
def test_platform_faults_stops_and_bugs_pass_through(bundle: Bundle, error: Exception) -> None:
    assert withhold(error, bundle, "development") is error
    with pytest.raises(type(error)) as caught, on_hidden_data(bundle, "development"):
        raise error
    assert caught.value is error


def test_the_stage_context_replaces_the_error_and_chains_it(bundle: Bundle) -> None:
    original = RunFailed(RunResult(RunStatus.FAILED, DETAILED, exit_code=173))
    with pytest.raises(ParticipantFault) as caught, on_hidden_data(bundle, "development"):
        raise original
    assert caught.value.message == run_message(RunStatus.FAILED, LIMITS)
    assert "173" not in caught.value.message
    assert caught.value.__cause__ is original and caught.value.detail == DETAILED
