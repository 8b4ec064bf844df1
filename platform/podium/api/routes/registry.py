"""The image registry: tokens for the registry (Distribution's token authentication), a team's
repository, and submissions of pushed images.

``GET /registry/token`` is the registry's ``realm``: ``docker login`` and the engine send
HTTP basic auth whose password is a Podium API token (any user name), or the platform's internal
credential; ``POST`` is the OAuth2 password form of the same. What a token grants is decided in
:mod:`podium.registry.access`.

No refresh token is issued (Distribution's token specification makes it optional): the engine
asks with ``offline_token=true`` (GET) or ``access_type=offline`` (POST), gets none, and so
``docker login`` keeps the user name and API token it was given, which the participant can
revoke like any API token; a POST with ``grant_type=refresh_token`` is refused, saying to log
in again. Refusals carry ``details`` as well as ``detail``: the engine shows ``details`` to the
person at ``docker login`` or ``docker push`` instead of a bare "authentication required".
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Header, HTTPException, Query, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from podium.api.deps import ChallengeDep, CurrentUser, SessionDep, SettingsDep, StoreDep
from podium.api.routes.submissions import EnqueueDep
from podium.crud.submission_views import SubmissionSummary, access_for, submission_summary
from podium.crud.tokens import user_for_token
from podium.db.models import User
from podium.errors import QuotaExceeded
from podium.registry import access
from podium.registry.client import RegistryClient, RegistryUnavailable
from podium.registry.config import RegistryFiles, signer_for
from podium.registry.intake import accept_pushed, own_repository
from podium.registry.keys import SERVICE
from podium.registry.storage import stored_manifests
from podium.settings import Settings
from sandbox.dockerfile import RUNTIME_IMAGES

log = logging.getLogger(__name__)
router = APIRouter(tags=["registry"])


class RegistryToken(BaseModel):
    token: str
    access_token: str
    expires_in: int
    issued_at: str


class Repository(BaseModel):
    registry: str = Field(description="host:port to push to")
    repository: str = Field(description="the team's repository")
    runtime_repositories: list[str]
    token: str = Field(description="a registry token: push and pull here, pull on the runtimes")
    expires_in: int


class PushedSubmission(BaseModel):
    digest: str = Field(max_length=71, description="the manifest digest, sha256:<hex>")
    phase: str | None = None
    description: str = Field(default="", max_length=2000)


def get_registry(settings: SettingsDep) -> Iterator[RegistryClient]:
    if not settings.registry_enabled:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this platform runs no image registry")
    client = RegistryClient(settings.registry_url, signer_for(settings))
    try:
        yield client
    except RegistryUnavailable as error:  # the one place a registry fault becomes an answer
        log.warning("registry: %s", error)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the image registry did not answer; try again in a minute",
        ) from None
    finally:
        client.close()


RegistryDep = Annotated[RegistryClient, Depends(get_registry)]


def _basic(authorization: str | None) -> tuple[str, str]:
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() == "basic":
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            sep = ""
        if sep:
            return user, password
    raise _refused("send HTTP basic auth: any user name, your Podium API token as the password")


def _refused(message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": 'Basic realm="podium"'}
    )


def _grant(
    session: Session, settings: Settings, registry: RegistryClient, user_name: str,
    password: str, scopes: list[str],
) -> RegistryToken:  # fmt: skip
    requested = access.parse_scopes(scopes)
    if access.is_platform(user_name, password, settings.get_secret_key()):
        return _sign(settings, access.PLATFORM_USER, access.platform_access(requested))
    user = user_for_token(session, token=password)
    if user is None:
        raise _refused("the password must be a valid Podium API token (podium login)")
    return _participant_token(session, settings, registry, user, requested)


def _participant_token(
    session: Session, settings: Settings, registry: RegistryClient, user: User,
    requested: list[access.Scope],
) -> RegistryToken:  # fmt: skip
    granted = access.participant_access(
        session, user, requested, usage=partial(_usage, registry, settings),
        quota_mb=settings.registry_team_quota_mb,
    )  # fmt: skip
    return _sign(settings, user.username, granted)


def _sign(settings: Settings, subject: str, granted: list[dict[str, Any]]) -> RegistryToken:
    ttl = timedelta(minutes=settings.registry_token_minutes)
    token, issued = signer_for(settings).sign(subject=subject, access=granted, ttl=ttl, now=None)
    return RegistryToken(
        token=token, access_token=token, expires_in=int(ttl.total_seconds()),
        issued_at=issued.isoformat().replace("+00:00", "Z"),
    )  # fmt: skip


def _usage(registry: RegistryClient, settings: Settings, repository: str) -> int:
    # untagged manifests count too, where the registry's store is readable (podium up; the
    # compose stack mounts it): the API lists tagged ones only
    untagged = stored_manifests(RegistryFiles.under(settings.home).data, repository)
    shared = {
        digest
        for image in RUNTIME_IMAGES
        for manifest in [registry.manifest(*image.rsplit(":", 1))]
        if manifest is not None
        for digest, _ in manifest.layers
    }
    return registry.usage_bytes(repository, shared, untagged)


def _answered(grant: Callable[[], RegistryToken]) -> RegistryToken | JSONResponse:
    """The token, or the refusal with ``details`` too, the field the Docker engine shows."""
    try:
        return grant()
    except HTTPException as error:
        code, message, headers = error.status_code, str(error.detail), error.headers
    except QuotaExceeded as error:
        code, message, headers = status.HTTP_429_TOO_MANY_REQUESTS, error.message, None
    body = {"detail": message, "details": message}
    return JSONResponse(body, status_code=code, headers=headers)


@router.get("/registry/token", response_model=RegistryToken)
def registry_token(
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    authorization: Annotated[str | None, Header()] = None,
    scope: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
    service: str = SERVICE,
    offline_token: bool = False,
) -> RegistryToken | JSONResponse:
    """A short-lived registry token (HTTP basic auth: the password is a Podium API token)."""

    def grant() -> RegistryToken:
        user_name, password = _basic(authorization)
        return _grant(session, settings, registry, user_name, password, scope)

    return _answered(grant)


@router.post("/registry/token", response_model=RegistryToken)
def registry_token_form(
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "",
    grant_type: Annotated[str, Form()] = "password",
    access_type: Annotated[str, Form()] = "online",
) -> RegistryToken | JSONResponse:
    """The same token through the OAuth2 password form (no refresh tokens are issued)."""

    def grant() -> RegistryToken:
        if grant_type == "refresh_token":
            raise _refused("this registry issues no refresh tokens; run docker login again")
        if grant_type != "password" or not password:
            raise _refused("only grant_type=password with your Podium API token as the password")
        return _grant(session, settings, registry, username, password, scope.split())

    return _answered(grant)


@router.post("/challenges/{slug}/registry/repository", response_model=Repository)
def team_repository(
    challenge: ChallengeDep, user: CurrentUser, session: SessionDep, settings: SettingsDep,
    registry: RegistryDep,
) -> Repository:  # fmt: skip
    """The caller's team's repository here and a token to push to it (a team is made if none)."""
    _, name = own_repository(session, user=user, challenge=challenge)
    runtimes = [image.rsplit(":", 1)[0] for image in RUNTIME_IMAGES]
    scopes = [f"repository:{name}:pull,push", *[f"repository:{r}:pull" for r in runtimes]]
    granted = _participant_token(session, settings, registry, user, access.parse_scopes(scopes))
    return Repository(
        registry=settings.registry_engine_host,
        repository=name,
        runtime_repositories=runtimes,
        token=granted.token,
        expires_in=granted.expires_in,
    )


@router.post(
    "/challenges/{slug}/submissions/pushed",
    response_model=SubmissionSummary,
    status_code=status.HTTP_201_CREATED,
)
async def create_pushed_submission(
    body: PushedSubmission, response: Response, challenge: ChallengeDep, user: CurrentUser,
    session: SessionDep, settings: SettingsDep, store: StoreDep, registry: RegistryDep,
    enqueue: EnqueueDep,
) -> SubmissionSummary:  # fmt: skip
    """Submit an image already pushed to the team's repository, pinned by its manifest digest."""
    submission = await run_in_threadpool(
        partial(
            accept_pushed, session, settings=settings, store=store, registry=registry,
            challenge=challenge, user=user, digest=body.digest, phase_name=body.phase,
            description=body.description,
        )
    )  # fmt: skip
    await run_in_threadpool(enqueue, session, submission, settings)
    response.headers["Location"] = f"/api/v1/submissions/{submission.id}"
    found = await run_in_threadpool(partial(access_for, session, submission=submission, user=user))
    return await run_in_threadpool(partial(submission_summary, session, access=found, store=store))
