"""Garbage collection against a real registry: the manifests no submission needs are deleted
(the retention rule of local images: in flight, on the board, selected, baseline, reproduced),
recent pushes are kept for the grace period, untagged manifests are seen (and counted in the
quota); the layers go only with the registry stopped.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.crud.tokens import issue_token
from podium.db.models import Submission, SubmissionStatus
from podium.registry.client import RegistryClient
from podium.registry.config import BINARY, RegistryFiles, signer_for
from podium.registry.gc import RegistryRunning, collect_blobs, delete_unpinned
from podium.registry.storage import repositories_root, stored_manifests
from podium.settings import Settings
from podium.store import Store
from tests.platform.factories import make_challenge, make_user
from tests.registry.helpers import basic, bearer, push_image, registry_token
from tests.registry.live import registry_process


def _age(settings: Settings, repository: str, digest: str, hours: float) -> None:
    revisions = repositories_root(RegistryFiles.under(settings.home).data) / repository
    link = revisions / "_manifests/revisions/sha256" / digest.removeprefix("sha256:") / "link"
    then = time.time() - hours * 3600
    os.utime(link, (then, then))


def _submit(client: TestClient, slug: str, secret: str, digest: str) -> int:
    answer = client.post(
        f"/api/v1/challenges/{slug}/submissions/pushed", json={"digest": digest},
        headers=bearer(secret),
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _layer_path(settings: Settings, client: RegistryClient, repo: str, digest: str) -> Path:
    manifest = client.manifest(repo, digest)
    assert manifest is not None
    hexa = manifest.layers[0][0].removeprefix("sha256:")
    data = RegistryFiles.under(settings.home).data
    return data / "docker/registry/v2/blobs/sha256" / hexa[:2] / hexa / "data"


def test_unpinned_manifests_collected_then_their_layers(
    client: TestClient, session: Session, store: Store, tmp_path: Path, settings: Settings,
    app: object,
) -> None:  # fmt: skip
    challenge = make_challenge(session, store, tmp_path)
    user = make_user(session)
    _, secret = issue_token(session, user=user, name="gc")
    realm = "http://127.0.0.1:1/api/v1/registry/token"
    platform = RegistryClient(settings.registry_url, signer_for(settings))
    with registry_process(settings, realm) as url:
        repo = client.post(
            f"/api/v1/challenges/{challenge.slug}/registry/repository", headers=bearer(secret)
        ).json()["repository"]
        token = registry_token(client, secret, f"repository:{repo}:pull,push")
        in_flight = push_image(url, repo, token, "a")
        failed = push_image(url, repo, token, "b")
        untagged = push_image(url, repo, token, "c", layer_bytes=1024 * 1024 + 1)
        retagged = push_image(url, repo, token, "c")  # "c" moves: the first is untagged now
        recent = push_image(url, repo, token, "d")
        superseded = session.get(Submission, _submit(client, challenge.slug, secret, failed))
        assert superseded is not None
        superseded.status = SubmissionStatus.FAILED  # not on the board, not in flight
        session.add(superseded)
        session.commit()
        _submit(client, challenge.slug, secret, in_flight)
        for digest in (in_flight, failed, untagged, retagged):
            _age(settings, repo, digest, hours=2)
        stored = stored_manifests(RegistryFiles.under(settings.home).data, repo)
        assert untagged in stored and len(stored) == 5
        object.__setattr__(settings, "registry_team_quota_mb", 1)
        over = client.get(  # the untagged image counts towards the quota
            "/api/v1/registry/token",
            params={"scope": f"repository:{repo}:pull,push"},
            headers=basic(secret),
        )
        assert over.status_code == 429, over.text
        assert "quota is 1 MB" in over.json()["details"]
        unused_layer = _layer_path(settings, platform, repo, untagged)
        assert unused_layer.is_file()

        done = delete_unpinned(
            session, platform, RegistryFiles.under(settings.home), grace=timedelta(hours=1)
        )
        assert sorted(done.deleted) == sorted(f"{repo}@{d}" for d in (failed, untagged, retagged))
        for digest in (in_flight, recent):
            assert platform.manifest(repo, digest) is not None
        for digest in (failed, untagged, retagged):
            assert platform.manifest(repo, digest) is None
        with pytest.raises(RegistryRunning, match="stop it"):
            collect_blobs(RegistryFiles.under(settings.home), url, BINARY)
    summary = collect_blobs(RegistryFiles.under(settings.home), settings.registry_url, BINARY)
    assert "eligible for deletion" in summary or "blobs marked" in summary
    assert not unused_layer.exists()
    with registry_process(settings, realm):  # what is pinned still pulls
        assert platform.manifest(repo, in_flight) is not None
        kept = _layer_path(settings, platform, repo, in_flight)
        assert kept.is_file()
        answer = httpx.get(
            f"{settings.registry_url}/v2/{repo}/blobs/sha256:{kept.parent.name}",
            headers=bearer(platform.token([{"type": "repository", "name": repo,
                                            "actions": ["pull"]}])),
        )  # fmt: skip
        assert answer.status_code == 200
    platform.close()
