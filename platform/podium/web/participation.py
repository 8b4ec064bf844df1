"""What a challenge page shows its visitor about taking part: their team and invitations.

Read through the API's own functions (``teams.team_of``, ``team_views``), so the page and the
API never disagree about who is in which team.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from podium.crud import team_views
from podium.crud.roles import is_staff
from podium.crud.team_profiles import country_name
from podium.crud.teams import team_of
from podium.db.countries import COUNTRIES
from podium.db.models import Challenge, TeamInvitePublic, TeamPublic, User
from podium.db.models.teams import TEAM_CATEGORIES


@dataclass(frozen=True)
class Participation:
    """The visitor's standing in one challenge."""

    logged_in: bool
    staff: bool = False
    team: TeamPublic | None = None
    invites: list[TeamInvitePublic] = field(default_factory=list)


def participation(session: Session, *, challenge: Challenge, user: User | None) -> Participation:
    """The user's team in ``challenge`` and their pending invitations to its teams."""
    if user is None:
        return Participation(logged_in=False)
    if is_staff(session, user=user, challenge=challenge):
        return Participation(logged_in=True, staff=True)
    found = team_of(session, user=user, challenge=challenge)
    team = (
        team_views.team_public(session, team=found, challenge=challenge, viewer=user)
        if found is not None
        else None
    )
    invites = [
        i for i in team_views.pending_invites(session, user=user) if i.challenge == challenge.slug
    ]
    return Participation(logged_in=True, team=team, invites=invites)


def country_choices() -> list[tuple[str, str]]:
    """Every country as (code, name), by name, for a select."""
    return sorted(COUNTRIES.items(), key=lambda item: item[1])


def countries_present(codes: list[str]) -> list[tuple[str, str]]:
    """The countries among ``codes`` (empty ones left out) as (code, name), by name."""
    return sorted(((c, country_name(c)) for c in set(codes) if c), key=lambda item: item[1])


CATEGORIES = TEAM_CATEGORIES
