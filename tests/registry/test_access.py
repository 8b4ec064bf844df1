"""Registry authorisation through the real registry process and the API's real token endpoint.

A participant's token is good for their own team's repository (push and pull) and for pulling
the runtime images; another team's repository, the catalog and forged or expired tokens are
refused by the registry itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.crud.tokens import issue_token
from podium.registry.access import PLATFORM_USER, platform_password
from podium.registry.config import signer_for
from podium.registry.keys import TokenSigner
from podium.settings import Settings
from podium.store import Store
from tests.platform.factories import auth_headers, make_challenge, make_user
from tests.registry.helpers import basic, bearer, push_image, put_blob, registry_token


def _participant(client: TestClient, session: Session, slug: str) -> tuple[str, str]:
    """A new participant's API token and their team's repository in ``slug``."""
    user = make_user(session)
    _, secret = issue_token(session, user=user, name="registry")
    answer = client.post(f"/api/v1/challenges/{slug}/registry/repository", headers=bearer(secret))
    assert answer.status_code == 200, answer.text
    return secret, answer.json()["repository"]


def _world(client: TestClient, session: Session, store: Store, tmp_path: Path) -> tuple[str, ...]:
    challenge = make_challenge(session, store, tmp_path)
    secret_a, repo_a = _participant(client, session, challenge.slug)
    secret_b, repo_b = _participant(client, session, challenge.slug)
    return secret_a, repo_a, secret_b, repo_b


def test_own_team_push_and_pull(
    client: TestClient, session: Session, store: Store, tmp_path: Path, registry: str
) -> None:
    secret, repo, _, _ = _world(client, session, store, tmp_path)
    assert repo.startswith("teams/")
    token = registry_token(client, secret, f"repository:{repo}:pull,push")
    digest = push_image(registry, repo, token, "v1")
    pulled = httpx.get(
        f"{registry}/v2/{repo}/manifests/{digest}",
        headers={**bearer(token), "Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    assert pulled.status_code == 200
    assert pulled.headers["Docker-Content-Digest"] == digest


def test_other_team_push_and_pull_refused(
    client: TestClient, session: Session, store: Store, tmp_path: Path, registry: str
) -> None:
    secret_a, repo_a, secret_b, _ = _world(client, session, store, tmp_path)
    own = registry_token(client, secret_a, f"repository:{repo_a}:pull,push")
    digest = push_image(registry, repo_a, own, "v1")
    answer = client.get(
        "/api/v1/registry/token",
        params={"scope": f"repository:{repo_a}:pull,push"},
        headers=basic(secret_b),
    )
    assert answer.status_code == 200
    assert jwt.decode(answer.json()["token"], options={"verify_signature": False})["access"] == []
    theirs = answer.json()["token"]
    pull = httpx.get(f"{registry}/v2/{repo_a}/manifests/{digest}", headers=bearer(theirs))
    assert pull.status_code == 401
    blob = httpx.get(f"{registry}/v2/{repo_a}/tags/list", headers=bearer(theirs))
    assert blob.status_code == 401
    push = put_blob(registry, repo_a, theirs, b"not yours")
    assert push.status_code == 401


def test_catalog_refused_to_participants_given_to_platform(
    client: TestClient, session: Session, store: Store, tmp_path: Path, registry: str,
    settings: Settings,
) -> None:  # fmt: skip
    secret, repo, _, _ = _world(client, session, store, tmp_path)
    push_image(registry, repo, registry_token(client, secret, f"repository:{repo}:pull,push"), "v1")
    participant = registry_token(client, secret, "registry:catalog:*")
    assert httpx.get(f"{registry}/v2/_catalog", headers=bearer(participant)).status_code == 401
    platform = registry_token(
        client,
        platform_password(settings.get_secret_key()),
        "registry:catalog:*",
        user=PLATFORM_USER,
    )
    answer = httpx.get(f"{registry}/v2/_catalog", headers=bearer(platform))
    assert answer.status_code == 200
    assert repo in answer.json()["repositories"]


def test_runtime_images_pull_only(
    client: TestClient, session: Session, store: Store, tmp_path: Path, registry: str
) -> None:
    secret, _, _, _ = _world(client, session, store, tmp_path)
    token = registry_token(client, secret, "repository:podium/runtime-python:pull,push")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["access"] == [
        {"type": "repository", "name": "podium/runtime-python", "actions": ["pull"]}
    ]
    assert put_blob(registry, "podium/runtime-python", token, b"x").status_code == 401


def test_expired_token_refused(
    client: TestClient, session: Session, store: Store, tmp_path: Path, registry: str,
    settings: Settings,
) -> None:  # fmt: skip
    _, repo, _, _ = _world(client, session, store, tmp_path)
    access = [{"type": "repository", "name": repo, "actions": ["pull", "push"]}]
    signer = signer_for(settings)
    old = datetime.now(UTC) - timedelta(minutes=10)
    expired, _ = signer.sign(subject="x", access=access, ttl=timedelta(minutes=5), now=old)
    assert put_blob(registry, repo, expired, b"late").status_code == 401
    fresh, _ = signer.sign(subject="x", access=access, ttl=timedelta(minutes=5), now=None)
    assert put_blob(registry, repo, fresh, b"in time").status_code == 201


def test_forged_token_refused(
    client: TestClient, session: Session, store: Store, tmp_path: Path, registry: str
) -> None:
    _, repo, _, _ = _world(client, session, store, tmp_path)
    forger = TokenSigner(ec.generate_private_key(ec.SECP256R1()))
    access = [{"type": "repository", "name": repo, "actions": ["pull", "push"]}]
    forged, _ = forger.sign(subject="x", access=access, ttl=timedelta(minutes=5), now=None)
    assert put_blob(registry, repo, forged, b"forged").status_code == 401


def test_token_endpoint_refuses_bad_credentials(client: TestClient, session: Session) -> None:
    wrong = client.get("/api/v1/registry/token", headers=basic("not-a-token"))
    assert wrong.status_code == 401
    assert "API token" in wrong.json()["detail"]
    platform_name = client.get("/api/v1/registry/token", headers=basic("guess", user=PLATFORM_USER))
    assert platform_name.status_code == 401
    anonymous = client.get("/api/v1/registry/token")
    assert anonymous.status_code == 401
    assert "basic auth" in anonymous.json()["detail"]
    user = make_user(session)
    assert (
        client.get("/api/v1/registry/token", headers=auth_headers(session, user)).status_code == 401
    )


def test_push_token_refused_over_team_quota(
    client: TestClient, session: Session, store: Store, tmp_path: Path, registry: str,
    settings: Settings, app: object,
) -> None:  # fmt: skip
    secret, repo, _, _ = _world(client, session, store, tmp_path)
    object.__setattr__(settings, "registry_team_quota_mb", 1)
    token = registry_token(client, secret, f"repository:{repo}:pull,push")
    push_image(registry, repo, token, "big", layer_bytes=1024 * 1024 + 1)
    answer = client.get(
        "/api/v1/registry/token",
        params={"scope": f"repository:{repo}:pull,push"},
        headers=basic(secret),
    )
    assert answer.status_code == 429
    assert "quota is 1 MB" in answer.json()["detail"]
    pull_only = registry_token(client, secret, f"repository:{repo}:pull")
    assert jwt.decode(pull_only, options={"verify_signature": False})["access"][0]["actions"] == [
        "pull"
    ]


def test_token_forms_the_engine_uses(
    client: TestClient, session: Session, store: Store, tmp_path: Path, registry: str
) -> None:
    secret, repo, _, _ = _world(client, session, store, tmp_path)
    scope = f"repository:{repo}:pull,push"
    offline = client.get(  # docker login: GET, offline_token=true, client_id=docker
        "/api/v1/registry/token",
        params={"service": "podium-registry", "scope": scope, "offline_token": "true",
                "client_id": "docker"},
        headers=basic(secret),
    )  # fmt: skip
    assert offline.status_code == 200, offline.text
    assert "refresh_token" not in offline.json()  # so docker keeps the API token it was given
    form = client.post(  # the OAuth2 password form
        "/api/v1/registry/token",
        data={"grant_type": "password", "username": "x", "password": secret, "scope": scope,
              "service": "podium-registry", "client_id": "docker", "access_type": "offline"},
    )  # fmt: skip
    assert form.status_code == 200, form.text
    claims = jwt.decode(form.json()["access_token"], options={"verify_signature": False})
    assert claims["access"] == [{"type": "repository", "name": repo, "actions": ["pull", "push"]}]
    refresh = client.post(
        "/api/v1/registry/token",
        data={"grant_type": "refresh_token", "refresh_token": "anything", "scope": scope},
    )
    assert refresh.status_code == 401
    assert "docker login again" in refresh.json()["details"]
    wrong = client.get("/api/v1/registry/token", headers=basic("not-a-token"))
    assert wrong.json()["details"] == wrong.json()["detail"]  # the field the engine shows
