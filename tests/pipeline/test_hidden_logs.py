"""Hidden inputs do not leave through logs or reasons: a real worker and sandbox, a hostile model.

The model prints ``/input/test.csv`` to stdout and stderr, and on the hidden data (it tells the
smoke run's public sample from the hidden set by the number of rows, as an attacker would)
writes hidden feature values as ids, or exits with a code of its choosing. The participant's API
answers are checked against the lines of the actual hidden file; the challenge's staff see all.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from challenges.examples import build_example
from challenges.samples import in_slice
from evaluators.errors import ProblemCode
from evaluators.formats import ColumnSpec, PredictionFormat
from podium.app import create_app
from podium.crud.submission_logs import stderr_head
from podium.crud.users import create_user
from podium.db.models import SubmissionKind, SubmissionStatus, User, UserCreate
from podium.pipeline.disclosure import predictions_message, run_message
from podium.pipeline.intake import submit_file
from podium.tracking import Tracker
from sandbox.limits import SandboxLimits
from sandbox.result import RunStatus
from tests.pipeline.harness import Platform, Worker, context_tar, make_platform
from tests.platform.factories import auth_headers

pytestmark = [pytest.mark.docker, pytest.mark.slow]

LEAK_PY = """\
import csv, os, sys
mode, threshold = sys.argv[1], int(sys.argv[2])
text = open("/input/test.csv").read()
sys.stdout.write(text)
sys.stderr.write(text)
for name in sorted(os.listdir("/input")):
    print("file", name)
rows = list(csv.reader(text.splitlines()))
hidden = len(rows) > threshold
with open("/output/predictions.csv", "w") as out:
    out.write("id,benign,malignant\\n")
    for i, row in enumerate(rows[1:]):
        ident = f"{row[1]}:{i}" if hidden and mode == "ids" else row[0]
        out.write(ident + ",0.5,0.5\\n")
if hidden and mode == "exit":
    sys.exit(7)
"""
FMT = PredictionFormat(
    kind="probabilities",
    classes=["benign", "malignant"],
    columns=[ColumnSpec(name="benign"), ColumnSpec(name="malignant")],
)


def _variant(built: Path, dest: Path, slug: str, **phase_fields: Any) -> Path:
    shutil.copytree(built, dest)
    spec = yaml.safe_load((dest / "challenge.yaml").read_text())
    spec["slug"] = slug
    for phase in spec["phases"]:
        phase.update(show_logs=True, **phase_fields)
        phase["limits"]["wall_seconds"] = 30
    (dest / "challenge.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return dest


@pytest.fixture(scope="module")
def breast_cancer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_example("breast-cancer-diagnosis", tmp_path_factory.mktemp("bc"))


@pytest.fixture(scope="module")
def hosted(
    tmp_path_factory: pytest.TempPathFactory, docker_client: object, breast_cancer: Path
) -> Platform:
    made = make_platform(tmp_path_factory.mktemp("home"))
    work = tmp_path_factory.mktemp("variants")
    made.register(_variant(breast_cancer, work / "a", "leak-check"))
    made.register(_variant(breast_cancer, work / "b", "leak-stderr", hidden_run_stderr_lines=3))
    return made


@pytest.fixture(scope="module")
def serving(hosted: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    started = Worker(hosted, tmp_path_factory.mktemp("logs") / "worker.log").wait_ready()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def api(hosted: Platform) -> TestClient:
    return TestClient(create_app(hosted.settings))


@pytest.fixture(scope="module")
def hidden_lines(breast_cancer: Path) -> list[str]:
    """The hidden inputs the model reads, line by line (header first)."""
    return (breast_cancer / "data/hidden/test/inputs/test.csv").read_text().splitlines()


@pytest.fixture(scope="module")
def threshold(breast_cancer: Path, hidden_lines: list[str]) -> int:
    """A row count between the public sample's and the hidden set's."""
    with (breast_cancer / "data/public/train.csv").open(newline="") as handle:
        sample = sum(1 for row in csv.DictReader(handle) if in_slice(row["id"]))
    assert sample + 10 < len(hidden_lines) - 1
    return (sample + len(hidden_lines)) // 2


def _participant(hosted: Platform, name: str) -> User:
    with hosted.session() as session:
        return create_user(
            session,
            user_create=UserCreate(
                username=name, email=f"{name}@example.org", password="pw-123456"
            ),
        )


def _submit(hosted: Platform, user: User, slug: str, entrypoint: list[str]) -> int:
    dockerfile = (
        "FROM podium/runtime-python:3.11\nCOPY leak.py /app/leak.py\n"
        f"ENTRYPOINT {json.dumps(entrypoint)}\n"
    )
    content = context_tar({"Dockerfile": dockerfile, "leak.py": LEAK_PY})
    with hosted.session() as session:
        submission = submit_file(
            session, hosted.settings, challenge=hosted.challenges[slug], user=user,
            kind=SubmissionKind.BUILD, content=content, filename="leak.tar",
        )  # fmt: skip
    assert submission.id is not None
    return submission.id


def _as(api: TestClient, hosted: Platform, user: User | None, path: str) -> dict[str, Any]:
    with hosted.session() as session:
        headers = auth_headers(session, user or hosted.owner)  # type: ignore[arg-type]
    answer = api.get(f"/api/v1{path}", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _assert_no_hidden_line(text: str, hidden_lines: list[str]) -> None:
    leaked = [line for line in hidden_lines[1:] if line in text]
    assert leaked == [], f"{len(leaked)} hidden lines reached the participant"


def test_a_model_printing_its_hidden_inputs_shows_the_team_none_of_them(
    hosted: Platform, serving: Worker, api: TestClient, hidden_lines: list[str], threshold: int
) -> None:
    alice = _participant(hosted, "alice")
    entry = ["python", "/app/leak.py", "ids", str(threshold)]
    submission_id = _submit(hosted, alice, "leak-check", entry)
    ended = hosted.wait(submission_id)
    assert ended.status is SubmissionStatus.FAILED and ended.charged
    assert ended.reason == predictions_message(
        [ProblemCode.UNKNOWN_IDS, ProblemCode.MISSING_IDS], FMT
    )
    detail = _as(api, hosted, alice, f"/submissions/{submission_id}")
    logs = _as(api, hosted, alice, f"/submissions/{submission_id}/logs")
    everything = str(detail) + str(logs)
    _assert_no_hidden_line(everything, hidden_lines)
    leaked_ids = {row[1] for row in csv.reader(hidden_lines[1:])}
    shown = detail["reason"] + " ".join(e["detail"] for e in detail["events"])
    assert not [value for value in leaked_ids if value in shown]
    assert (logs["stdout"], logs["stderr"]) == ("", "")
    assert detail["timings"]["wall_seconds"] is not None and detail["timings"]["exit_code"] is None
    # the smoke run's logs are the team's: public rows only
    smoke_rows = [line for line in logs["smoke_stdout"].splitlines() if not line.startswith("file")]
    assert smoke_rows[0] == hidden_lines[0] and len(smoke_rows) > 10
    assert all(in_slice(row.split(",", 1)[0]) for row in smoke_rows[1:])
    assert "file manifest.json" in logs["smoke_stdout"]
    assert logs["smoke_run"]["status"] == "succeeded"
    # the challenge's staff see everything
    staff_logs = _as(api, hosted, None, f"/submissions/{submission_id}/logs")
    assert set(hidden_lines) <= set(staff_logs["stdout"].splitlines())
    assert set(hidden_lines) <= set(staff_logs["stderr"].splitlines())
    staff_detail = _as(api, hosted, None, f"/submissions/{submission_id}")["staff_detail"]
    first_leak = next(csv.reader(hidden_lines[1:2]))[1]
    assert f"unknown ids (first: {first_leak}:0," in staff_detail


def test_an_exit_code_chosen_on_hidden_data_stays_with_staff(
    hosted: Platform, serving: Worker, api: TestClient, hidden_lines: list[str], threshold: int
) -> None:
    bob = _participant(hosted, "bob")
    submission_id = _submit(
        hosted, bob, "leak-check", ["python", "/app/leak.py", "exit", str(threshold)]
    )
    ended = hosted.wait(submission_id)
    assert ended.status is SubmissionStatus.FAILED and ended.charged
    assert ended.reason == run_message(RunStatus.FAILED, SandboxLimits())  # no limit in it
    detail = _as(api, hosted, bob, f"/submissions/{submission_id}")
    assert detail["timings"]["exit_code"] is None and "7" not in detail["reason"]
    _assert_no_hidden_line(str(_as(api, hosted, bob, f"/submissions/{submission_id}/logs")),
                           hidden_lines)  # fmt: skip
    staff = _as(api, hosted, None, f"/submissions/{submission_id}")
    assert staff["timings"]["exit_code"] == 7
    assert staff["staff_detail"] == "your container exited with code 7; its stderr shows why"
    from mlflow import MlflowClient  # MLflow is the staff's record: the full reason

    uri = Tracker.from_settings(hosted.settings).tracking_uri
    tags = MlflowClient(tracking_uri=uri).get_run(hosted.wait_tracked(submission_id)).data.tags
    assert tags["reason"] == staff["staff_detail"]


def test_the_phase_may_show_the_first_lines_of_the_hidden_stderr(
    hosted: Platform, serving: Worker, api: TestClient, hidden_lines: list[str], threshold: int
) -> None:
    carol = _participant(hosted, "carol")
    submission_id = _submit(
        hosted, carol, "leak-stderr", ["python", "/app/leak.py", "ids", str(threshold)]
    )
    assert hosted.wait(submission_id).status is SubmissionStatus.FAILED
    logs = _as(api, hosted, carol, f"/submissions/{submission_id}/logs")
    assert logs["stderr"] == stderr_head("\n".join(hidden_lines), 3)
    assert logs["stdout"] == ""
    _assert_no_hidden_line(str(logs).replace(logs["stderr"], ""), hidden_lines[2:])


def test_a_model_failing_on_the_public_sample_never_reaches_the_hidden_data(
    hosted: Platform, serving: Worker, api: TestClient
) -> None:
    dave = _participant(hosted, "dave")
    submission_id = _submit(hosted, dave, "leak-check", ["sh", "-c", "echo boom >&2; exit 3"])
    ended = hosted.wait(submission_id)
    assert ended.status is SubmissionStatus.FAILED and ended.charged
    assert ended.reason == (
        "your container exited with code 3; its stderr shows why (in the smoke run on a fixed "
        "20% slice of the public file 'train.csv', before the hidden data; its logs are shown)"
    )
    logs = _as(api, hosted, dave, f"/submissions/{submission_id}/logs")
    assert logs["smoke_stderr"] == "boom\n" and logs["smoke_run"]["exit_code"] == 3
    staff_logs = _as(api, hosted, None, f"/submissions/{submission_id}/logs")
    assert (staff_logs["stdout"], staff_logs["stderr"]) == ("", "")
    [evaluation] = hosted.evaluations(submission_id)
    assert evaluation.wall_seconds is None, "the hidden run never started"
    assert not (Path(str(evaluation.logs_path)) / "run.json").exists()
    outputs = hosted.settings.sandbox_staging / "outputs"
    assert list(outputs.glob(f"{submission_id}-*")) == [], "the smoke run's output is removed"
