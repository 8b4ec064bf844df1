"""Many teams submitting through the API to a real platform: Redis, workers, the sandbox.

Shared by the load scenario (``test_load.py``) and ``benchmarks/capacity.py``. Teams are real
users with tokens; every upload is ``POST /challenges/{slug}/submissions`` on the real app, so
quotas, intake and enqueueing are the product's own. A refusal for a quota (429: the phase's
in-flight cap, or a platform-wide per-team cap) is what a participant's client meets under
load: the driver keeps that upload and tries it again once others moved on.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import col, select

from podium.db.models import TERMINAL_STATUSES, Submission, SubmissionStatus
from tests.pipeline.harness import Platform, context_tar, free_port
from tests.platform.factories import auth_headers, make_user

# One model for the three example challenges (and copies of the breast-cancer one): random
# predictions for every id it is given, so scores differ between submissions and "each team's
# best" is a real choice. Python's standard library only (podium/runtime-python).
RANDOM_PREDICT = """
import os, random
slug = os.environ.get("PODIUM_CHALLENGE", "")
inputs, output = os.environ["PODIUM_INPUT"], os.environ["PODIUM_OUTPUT"]
if slug == "digits-vision":
    source, header = "ids.csv", "id,label"
    value = lambda: str(random.randrange(10))
elif slug == "radio-path-loss":
    source, header = "test.csv", "id,path_loss_db"
    value = lambda: f"{random.uniform(60, 160):.3f}"
else:
    source, header = "test.csv", "id,benign,malignant"
    value = lambda: (lambda p: f"{p:.6f},{1 - p:.6f}")(random.random())
with open(os.path.join(inputs, source)) as handle:
    ids = [row.split(",", 1)[0] for row in handle.read().splitlines()[1:] if row]
with open(os.path.join(output, "predictions.csv"), "w") as out:
    out.write(header + "\\n")
    out.writelines(f"{i},{value()}\\n" for i in ids)
"""


def random_model() -> bytes:
    """A build context (tar) of the random model on ``podium/runtime-python:3.11``."""
    dockerfile = (
        "FROM podium/runtime-python:3.11\nCOPY predict.py /app/predict.py\n"
        'ENTRYPOINT ["python3", "/app/predict.py"]\n'
    )
    return context_tar({"Dockerfile": dockerfile, "predict.py": RANDOM_PREDICT})


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A private ``redis-server`` (no persistence) on a free port; yields its URL."""
    import redis

    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@dataclass(frozen=True)
class Team:
    """A participant with a token; their first submission makes a team of their own."""

    name: str
    headers: dict[str, str]


def make_teams(platform: Platform, count: int, prefix: str = "team") -> list[Team]:
    with platform.session() as session:
        users = [make_user(session, username=f"{prefix}-{n:03d}") for n in range(count)]
        return [Team(u.username, auth_headers(session, u)) for u in users]


@dataclass(frozen=True)
class Planned:
    """One upload to make: who, where, what."""

    team: Team
    slug: str
    content: bytes
    kind: str = "build"
    filename: str = "model.tar"


@dataclass
class Submitted:
    planned: Planned
    submission_id: int
    refusals: int  # 429 answers before it was accepted


def submit_all(
    api: TestClient, plan: Sequence[Planned], *, timeout: float = 3600, pause: float = 1.0
) -> list[Submitted]:
    """Upload every planned submission through the API, in order where the quotas allow.

    A 429 (a quota) leaves the upload, and the team's later ones to the same challenge, for a
    later pass (``pause`` seconds on); any other refusal fails at once.
    """
    waiting = list(plan)
    refusals = [0] * len(plan)
    index = {id(p): n for n, p in enumerate(plan)}
    done: dict[int, Submitted] = {}
    deadline = time.monotonic() + timeout
    while waiting:
        assert time.monotonic() < deadline, f"{len(waiting)} uploads still refused at the end"
        left = []
        refused: set[tuple[str, str]] = set()  # the team's later uploads there wait too
        for planned in waiting:
            n = index[id(planned)]
            if (planned.team.name, planned.slug) in refused:
                left.append(planned)
                continue
            answer = _post(api, planned)
            if answer.status_code == 429:
                refusals[n] += 1
                refused.add((planned.team.name, planned.slug))
                left.append(planned)
                continue
            assert answer.status_code == 201, f"{answer.status_code}: {answer.text}"
            done[n] = Submitted(planned, int(answer.json()["id"]), refusals[n])
        if left:
            time.sleep(pause)
        waiting = left
    return [done[n] for n in range(len(plan))]


def _post(api: TestClient, planned: Planned) -> Response:
    return api.post(
        f"/api/v1/challenges/{planned.slug}/submissions",
        data={"kind": planned.kind},
        files={"file": (planned.filename, planned.content, "application/octet-stream")},
        headers=planned.team.headers,
    )


def remove_images(platform: Platform) -> int:
    """Remove the images the platform made for its submissions (the engine is shared: only
    these, by the digests its database recorded); one still in use stays. Returns how many."""
    import docker
    import docker.errors

    with platform.session() as session:
        digests = set(session.exec(select(Submission.image_digest)).all()) - {None}
    client = docker.from_env()
    removed = 0
    for digest in digests:
        try:
            client.api.remove_image(digest)
            removed += 1
        except docker.errors.APIError:
            continue  # gone already, or used by a container: not ours to force
    client.close()
    return removed


def wait_all(platform: Platform, ids: Sequence[int], timeout: float) -> dict[int, Submission]:
    """Every submission once all of them reached a final state (or the timeout passed)."""
    deadline = time.monotonic() + timeout
    wanted = set(ids)
    while True:
        with platform.session() as session:
            query = select(Submission).where(col(Submission.id).in_(wanted))
            rows = {s.id: s for s in session.exec(query).all()}
        if all(s.status in TERMINAL_STATUSES for s in rows.values()) and len(rows) == len(wanted):
            return {i: s for i, s in rows.items() if i is not None}
        if time.monotonic() > deadline:
            return {i: s for i, s in rows.items() if i is not None}
        time.sleep(1.0)


def wait_tracked(platform: Platform, ids: Sequence[int], timeout: float) -> None:
    """Until every finished submission has its MLflow run id (written after ``finished``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with platform.session() as session:
            query = (
                select(Submission.id)
                .where(col(Submission.id).in_(list(ids)))
                .where(col(Submission.mlflow_run_id).is_(None))
                .where(Submission.status == SubmissionStatus.FINISHED)
            )
            missing = session.exec(query).first()
        if missing is None:
            return
        time.sleep(1.0)
