"""Dependencies of the edition routes: the edition, one of its rounds as a challenge sees it,
and who may act on it (organisers advance; judges and organisers shortlist). Authorisation lives
here, never in the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from podium.api.deps import CurrentUser, OptionalUser, SessionDep, get_challenge
from podium.crud import roles
from podium.crud.advancement import RoundOfChallenge, round_of_challenge
from podium.crud.editions import require_edition, require_round
from podium.db.models.editions import Edition
from podium.errors import PermissionDenied


def get_edition(slug: str, session: SessionDep) -> Edition:
    return require_edition(session, slug=slug)


EditionDep = Annotated[Edition, Depends(get_edition)]


def get_round_of_challenge(
    edition: EditionDep, round_name: str, challenge: str, session: SessionDep, user: OptionalUser
) -> RoundOfChallenge:
    """The round ``round_name`` of the edition, for ``challenge`` (404 when it does not cover
    it, or when the challenge is unpublished and the caller is not its staff)."""
    found = get_challenge(challenge, session, user)
    round_ = require_round(session, edition=edition, name=round_name)
    return round_of_challenge(session, edition=edition, round_=round_, challenge=found)


RoundDep = Annotated[RoundOfChallenge, Depends(get_round_of_challenge)]


def require_round_organiser(
    where: RoundDep, session: SessionDep, user: CurrentUser
) -> RoundOfChallenge:
    """The round, for organisers of its challenge and admins (403 for others)."""
    if not roles.is_organiser(session, user=user, challenge=where.challenge):
        raise PermissionDenied(
            f"only organisers of {where.challenge.slug} (or an admin) advance its teams"
        )
    return where


OrganiserRound = Annotated[RoundOfChallenge, Depends(require_round_organiser)]


def require_round_staff(
    where: RoundDep, session: SessionDep, user: CurrentUser
) -> RoundOfChallenge:
    """The round, for judges and organisers of its challenge and admins (403 for others)."""
    if not roles.is_staff(session, user=user, challenge=where.challenge):
        raise PermissionDenied(
            f"only judges and organisers of {where.challenge.slug} (or an admin) see and change "
            "its shortlist"
        )
    return where


StaffRound = Annotated[RoundOfChallenge, Depends(require_round_staff)]
