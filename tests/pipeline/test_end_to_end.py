"""End to end, the way people use Podium: upload through the API, evaluation by a real
``podium worker``, the result read back from the leaderboard API (issue 12, item 2).

Nothing is stubbed between the upload and the ranking: ``POST /challenges/{slug}/submissions``
with a participant's token (the real enqueue and broker), a worker process with the real
sandbox, then ``GET /challenges/{slug}/leaderboard``: rank, team name and the score rounded
as the challenge says. One submission per kind on the example challenges (a build context, a
``docker save`` archive, a bare model file), and an organiser's baseline through the same
intake, shown and never ranked. Each test has a challenge of its own (the module's platform
and worker are shared).
"""

from __future__ import annotations

import io
import tarfile
import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest
from fastapi.testclient import TestClient

from podium.app import create_app
from podium.crud.roles import grant_role
from podium.crud.teams import BASELINE_TEAM
from podium.db.models import ChallengeRoleKind
from podium.pipeline.examples import pack_context
from tests.pipeline.harness import Platform, Worker
from tests.platform.factories import auth_headers, make_user

pytestmark = [pytest.mark.docker, pytest.mark.slow]

CANCER, DIGITS, QUICK = "breast-cancer-diagnosis", "digits-vision", "quick-check"
LABEL = "org.podium.test"
# Writes 0.5/0.5 for every id of /input/test.csv (public sample and hidden data alike) with
# nothing but the shell's builtins: the image holds /bin/sh and the C library, no Python.
CONSTANT_SH = (
    "echo id,benign,malignant > /output/predictions.csv && "
    '{ read -r header; while IFS=, read -r id rest || [ -n "$id" ]; do '
    'if [ -n "$id" ]; then echo "$id,0.5,0.5"; fi; done; } '
    "< /input/test.csv >> /output/predictions.csv"
)


@pytest.fixture(scope="module")
def api(platform: Platform, worker: Worker) -> Iterator[TestClient]:
    with TestClient(create_app(platform.settings), raise_server_exceptions=False) as client:
        yield client


class Person:
    """A user with a token, talking to the API as the CLI or a browser would."""

    def __init__(self, platform: Platform, api: TestClient, username: str) -> None:
        with platform.session() as session:
            self.user = make_user(session, username=username)
            self.headers = auth_headers(session, self.user)
        self.api = api

    def submit(self, slug: str, kind: str, name: str, content: bytes, **form: str) -> int:
        answer = self.api.post(
            f"/api/v1/challenges/{slug}/submissions",
            data={"kind": kind, **form},
            files={"file": (name, content, "application/octet-stream")},
            headers=self.headers,
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["phase"] == "development"
        return int(answer.json()["id"])

    def wait(self, submission_id: int, timeout: float = 420) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = self.api.get(f"/api/v1/submissions/{submission_id}", headers=self.headers)
            assert answer.status_code == 200, answer.text
            if answer.json()["status"] in {"finished", "failed", "error", "cancelled"}:
                return dict(answer.json())
            time.sleep(0.5)
        raise AssertionError(f"submission {submission_id} did not end in {timeout} s")

    def leaderboard(self, slug: str) -> dict[str, Any]:
        answer = self.api.get(f"/api/v1/challenges/{slug}/leaderboard", headers=self.headers)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


def _add(archive: tarfile.TarFile, host: Path, inside: str) -> None:
    real = host.resolve()
    info = archive.gettarinfo(str(real), arcname=inside)
    with real.open("rb") as handle:
        archive.addfile(info, handle)


def _constant_image_archive(client: docker.DockerClient, token: str) -> bytes:
    """A ``docker save`` of a tiny image made here (/bin/sh and its libraries, no registry),
    which is then removed from the engine: the platform loads it from the archive alone."""
    rootfs = io.BytesIO()
    with tarfile.open(fileobj=rootfs, mode="w") as archive:
        _add(archive, Path("/bin/sh"), "bin/sh")
        _add(archive, Path("/lib/x86_64-linux-gnu/libc.so.6"), "lib/x86_64-linux-gnu/libc.so.6")
        _add(archive, Path("/lib64/ld-linux-x86-64.so.2"), "lib64/ld-linux-x86-64.so.2")
        for folder in ("tmp", "output", "input"):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777
            archive.addfile(info)
    tag = f"podium-e2e/constant:{token}"
    repository, version = tag.split(":")
    changes = [f"LABEL {LABEL}=e2e-{token}", f'CMD ["/bin/sh", "-c", "{_escaped(CONSTANT_SH)}"]']
    client.api.import_image_from_data(
        rootfs.getvalue(), repository=repository, tag=version, changes=changes
    )
    try:
        return b"".join(client.api.get_image(tag))
    finally:
        client.api.remove_image(tag)


def _escaped(script: str) -> str:
    return script.replace("\\", "\\\\").replace('"', '\\"')


@pytest.fixture(scope="module")
def image_archive(docker_client: docker.DockerClient) -> Iterator[bytes]:
    token = uuid.uuid4().hex[:12]
    yield _constant_image_archive(docker_client, token)
    for image in docker_client.api.images(filters={"label": f"{LABEL}=e2e-{token}"}):
        with suppress(docker.errors.APIError):  # the platform's copy, loaded from the archive
            docker_client.api.remove_image(image["Id"], force=True)


def _public(platform: Platform, submission_id: int, metric: str) -> float:
    value = platform.scores(submission_id)[("public", metric)].value
    assert value is not None
    return value


EVENTS = ["submitted", "queued", "preparing", "running", "scoring", "finished"]


def _check_entry(platform: Platform, board: dict[str, Any], entry: dict[str, Any]) -> float:
    """The entry's score is the stored public score rounded as the challenge says."""
    primary = board["primary"]
    shown = entry["scores"][primary]
    assert shown == round(_public(platform, entry["submission_id"], primary), board["decimals"])
    assert [e.status.value for e in platform.events(entry["submission_id"])] == EVENTS
    return float(shown)


def test_a_build_context_and_an_organisers_baseline_reach_the_leaderboard(
    platform: Platform, api: TestClient, built_examples: dict[str, Path]
) -> None:
    builder = Person(platform, api, "ada-builds")
    organiser = Person(platform, api, "olga-organises")
    with platform.session() as session:
        grant_role(session, challenge=platform.challenges[CANCER], user=organiser.user,
                   role=ChallengeRoleKind.ORGANISER)  # fmt: skip
    context = pack_context(built_examples[CANCER] / "baseline")
    built = builder.submit(CANCER, "build", "model.tar", context)
    reference = organiser.submit(CANCER, "build", "baseline.tar", context, baseline="true")
    for sid, person in ((built, builder), (reference, organiser)):
        seen = person.wait(sid)
        assert seen["status"] == "finished", seen["reason"]

    board = builder.leaderboard(CANCER)
    assert (board["phase"], board["split"], board["primary"]) == (
        "development", "public", "roc_auc",
    )  # fmt: skip
    rows = {e["submission_id"]: (e["rank"], e["team"], e["baseline"]) for e in board["entries"]}
    assert rows == {
        built: (1, "ada-builds", False),
        reference: (None, BASELINE_TEAM, True),  # shown for reference, never ranked
    }
    scores = [_check_entry(platform, board, e) for e in board["entries"]]
    assert all(0.97 <= score <= 1.0 for score in scores)


def test_a_docker_save_archive_reaches_the_leaderboard(
    platform: Platform, api: TestClient, image_archive: bytes
) -> None:
    saver = Person(platform, api, "bo-saves-images")
    saved = saver.submit(QUICK, "image", "image.tar", image_archive)
    seen = saver.wait(saved)
    assert seen["status"] == "finished", seen["reason"]
    board = saver.leaderboard(QUICK)
    assert board["phase"] == "development"
    [entry] = board["entries"]
    assert (entry["rank"], entry["team"], entry["submission_id"]) == (1, "bo-saves-images", saved)
    assert _check_entry(platform, board, entry) == 0.5  # the same 0.5 for every row


def test_a_model_file_reaches_the_leaderboard(
    platform: Platform, api: TestClient, built_examples: dict[str, Path]
) -> None:
    modeller = Person(platform, api, "cy-model-file")
    model_file = (built_examples[DIGITS] / "data/models/model.pt").read_bytes()
    wrapped = modeller.submit(DIGITS, "model", "model.pt", model_file)
    seen = modeller.wait(wrapped)
    assert seen["status"] == "finished", seen["reason"]
    board = modeller.leaderboard(DIGITS)
    assert (board["phase"], board["primary"]) == ("development", "accuracy")
    [entry] = board["entries"]
    assert (entry["rank"], entry["team"], entry["submission_id"]) == (1, "cy-model-file", wrapped)
    assert 0.9 <= _check_entry(platform, board, entry) <= 1.0
