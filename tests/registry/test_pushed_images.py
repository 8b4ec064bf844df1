"""A pushed image end to end through the real engine and registry: push what the registry lacks
with the API's token (as `podium submit --image` does), submit the digest, pull it as a worker
does; another team cannot submit that digest.
"""

from __future__ import annotations

import contextlib
import io
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.crud.tokens import issue_token
from podium.db.models import Submission, SubmissionKind
from podium.registry.engine import push
from podium.registry.pull import pull_pinned
from podium.registry.reference import pinned_digest, reference_archive
from podium.settings import Settings
from podium.store import Store
from sandbox.errors import ImageError
from tests.conftest import TEST_LABEL
from tests.platform.factories import make_challenge, make_user
from tests.registry.helpers import bearer

pytestmark = pytest.mark.docker


@pytest.fixture
def tiny_image(docker_client: docker.DockerClient) -> Iterator[str]:
    """A one-file image built FROM scratch, removed afterwards."""
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as archive:
        for name, data in (("Dockerfile", b"FROM scratch\nCOPY hello /hello\n"),
                           ("hello", uuid.uuid4().bytes)):  # fmt: skip
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    context.seek(0)
    image, _ = docker_client.images.build(
        fileobj=context, custom_context=True, labels={TEST_LABEL: "registry"}, rm=True
    )
    try:
        yield str(image.id)
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(str(image.id), force=True)


def _repository(client: TestClient, secret: str, slug: str) -> dict[str, str]:
    answer = client.post(f"/api/v1/challenges/{slug}/registry/repository", headers=bearer(secret))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_push_submit_and_pull_by_digest(
    client: TestClient, session: Session, store: Store, tmp_path: Path, registry: str,
    settings: Settings, docker_client: docker.DockerClient, tiny_image: str,
) -> None:  # fmt: skip
    challenge = make_challenge(session, store, tmp_path)
    _, secret = issue_token(session, user=make_user(session), name="t")
    where = _repository(client, secret, challenge.slug)
    pushed = push(
        docker_client, tiny_image, host=where["registry"], repository=where["repository"],
        tag="t1", token=where["token"],
    )  # fmt: skip
    answer = client.post(
        f"/api/v1/challenges/{challenge.slug}/submissions/pushed",
        json={"digest": pushed.digest},
        headers=bearer(secret),
    )
    assert answer.status_code == 201, answer.text
    row = session.get(Submission, answer.json()["id"])
    assert row is not None and row.kind is SubmissionKind.IMAGE
    assert pinned_digest(Path(row.file_path)) == pushed.digest
    image_id = pull_pinned(
        docker_client, settings, path=Path(row.file_path), slug=challenge.slug,
        team_id=row.team_id,
    )  # fmt: skip
    assert image_id == tiny_image


def test_other_team_cannot_submit_or_pull_a_digest(
    client: TestClient, session: Session, store: Store, tmp_path: Path, registry: str,
    settings: Settings, docker_client: docker.DockerClient, tiny_image: str,
) -> None:  # fmt: skip
    challenge = make_challenge(session, store, tmp_path)
    _, owner = issue_token(session, user=make_user(session), name="t")
    _, thief = issue_token(session, user=make_user(session), name="t")
    where = _repository(client, owner, challenge.slug)
    pushed = push(
        docker_client, tiny_image, host=where["registry"], repository=where["repository"],
        tag="t1", token=where["token"],
    )  # fmt: skip
    answer = client.post(
        f"/api/v1/challenges/{challenge.slug}/submissions/pushed",
        json={"digest": pushed.digest},
        headers=bearer(thief),
    )
    assert answer.status_code == 422
    assert "holds no image" in answer.text
    theirs = _repository(client, thief, challenge.slug)
    reference = tmp_path / "ref.tar"  # a hand-made reference naming the other team's digest
    reference.write_bytes(reference_archive(pushed.digest))
    with pytest.raises(ImageError, match="holds no image"):
        pull_pinned(
            docker_client, settings, path=reference, slug=challenge.slug,
            team_id=int(theirs["repository"].rsplit("/", 1)[1]),
        )  # fmt: skip
