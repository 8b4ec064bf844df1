"""Who gets which actions on which repository: the rules behind every registry token.

Scopes arrive as Distribution writes them, ``repository:NAME:pull,push`` or
``registry:catalog:*``. A participant gets ``pull`` and ``push`` on their own team's repository
(``teams/<challenge slug>/<team id>``) and ``pull`` on the runtime images (``podium/runtime-*``),
nothing else: another team's repository, the catalog and deletes are never granted. The platform
(workers, `podium up`, garbage collection) gets every action on everything through an internal
credential derived from the server secret. A scope that is not granted is left out of the token
(the registry then refuses the request), as Distribution's token specification says.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from podium.crud.teams import membership
from podium.db.models import Challenge, Team, User
from podium.errors import QuotaExceeded

PLATFORM_USER = "podium-platform"
RUNTIME_PREFIX = "podium/runtime-"
TEAM_REPOSITORY = re.compile(r"^teams/([a-z0-9][a-z0-9-]*)/([1-9][0-9]{0,9})$")
PARTICIPANT_ACTIONS = frozenset({"pull", "push"})
MB = 1024 * 1024


@dataclass(frozen=True)
class Scope:
    """One requested scope: ``type:name:actions``."""

    type: str
    name: str
    actions: frozenset[str]

    def claim(self, granted: Iterable[str]) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "actions": sorted(granted)}


def parse_scopes(values: Iterable[str]) -> list[Scope]:
    """The scopes of a token request; malformed ones are dropped (they grant nothing)."""
    scopes = []
    for value in values:
        for item in value.split(" "):  # some clients join several scopes with spaces
            kind, _, rest = item.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind and name and actions:
                scopes.append(Scope(kind, name, frozenset(actions.split(","))))
    return scopes


def team_repository(challenge: Challenge, team: Team) -> str:
    """The repository a team pushes its images to."""
    return f"teams/{challenge.slug}/{team.id}"


def platform_password(secret_key: str) -> str:
    """The internal credential of the platform's own clients, derived from the server secret."""
    return hmac.new(secret_key.encode(), b"podium registry platform", hashlib.sha256).hexdigest()


def is_platform(username: str, password: str, secret_key: str) -> bool:
    return username == PLATFORM_USER and hmac.compare_digest(
        password.encode(), platform_password(secret_key).encode()
    )


def platform_access(scopes: list[Scope]) -> list[dict[str, Any]]:
    """Every requested action: the platform's own clients are trusted."""
    return [scope.claim(scope.actions) for scope in scopes]


Usage = Callable[[str], int]


def participant_access(
    session: Session, user: User, scopes: list[Scope], *, usage: Usage, quota_mb: int
) -> list[dict[str, Any]]:
    """What ``user`` may do of ``scopes``: their team's repository, the runtime images.

    Args:
        usage: bytes a repository already holds (asked only when a push is granted).

    Raises:
        QuotaExceeded: a push is asked to a repository at or over ``quota_mb``.
    """
    granted = []
    for scope in scopes:
        actions = _participant_actions(session, user, scope)
        if "push" in actions:
            _check_quota(scope.name, usage(scope.name), quota_mb)
        if actions:
            granted.append(scope.claim(actions))
    return granted


def _participant_actions(session: Session, user: User, scope: Scope) -> frozenset[str]:
    if scope.type != "repository":
        return frozenset()  # the catalog lists every team's repository
    if scope.name.startswith(RUNTIME_PREFIX) and "/" not in scope.name[len(RUNTIME_PREFIX) :]:
        return scope.actions & {"pull"}
    if _is_member(session, user, scope.name):
        return scope.actions & PARTICIPANT_ACTIONS
    return frozenset()


def _is_member(session: Session, user: User, name: str) -> bool:
    match = TEAM_REPOSITORY.match(name)
    if match is None:
        return False
    team = session.get(Team, int(match.group(2)))
    if team is None:
        return False
    challenge = session.get(Challenge, team.challenge_id)
    if challenge is None or challenge.slug != match.group(1):
        return False
    return membership(session, team=team, user=user) is not None


def _check_quota(name: str, used_bytes: int, quota_mb: int) -> None:
    if used_bytes >= quota_mb * MB:
        raise QuotaExceeded(
            f"{name} already holds {used_bytes / MB:.0f} MB of images, its quota is {quota_mb} MB; "
            "old images that no submission pins are removed by the registry's garbage "
            "collection, or ask the organisers for more room"
        )
