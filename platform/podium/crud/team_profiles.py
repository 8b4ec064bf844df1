"""Who sees a team's profile (affiliation, country, category), and leaderboards filtered by it.

A team declares its profile when it is created (``TeamCreate``) and its owner may change it.
It is shown to everyone only where the challenge says so (``teams.show_profile`` in its
bundle, off by default); otherwise only to the team's members and the challenge's staff. A
leaderboard filters by country and category only where profiles are shown: a filter on a
hidden attribute would reveal it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from sqlmodel import Session, select

from podium.crud.roles import is_staff
from podium.db.countries import COUNTRIES
from podium.db.models import Challenge, Team, TeamMember, TeamProfile, User
from podium.errors import InvalidInput


def profiles_shown(challenge: Challenge) -> bool:
    """Whether the challenge shows every team's profile on its pages and leaderboards."""
    return challenge.parsed_spec.teams.show_profile


def may_see_profile(
    session: Session, *, team: Team, challenge: Challenge, viewer: User | None
) -> bool:
    """Everyone where profiles are shown; else the team's members and the challenge's staff."""
    if profiles_shown(challenge):
        return True
    if viewer is None:
        return False
    member = select(TeamMember.id).where(
        TeamMember.team_id == team.id, TeamMember.user_id == viewer.id
    )
    if session.exec(member).first() is not None:
        return True
    return is_staff(session, user=viewer, challenge=challenge)


@dataclass(frozen=True)
class ProfileFilter:
    """A leaderboard's country and category filter (empty: no filter on it)."""

    country: str = ""
    category: str = ""

    @property
    def active(self) -> bool:
        return bool(self.country or self.category)


def profile_filter(
    challenge: Challenge, *, country: str | None, category: str | None
) -> ProfileFilter:
    """The filter asked for, checked.

    Raises:
        InvalidInput: The challenge does not show profiles, or a value is not a valid one.
    """
    wanted = ProfileFilter((country or "").strip(), (category or "").strip())
    if not wanted.active:
        return wanted
    if not profiles_shown(challenge):
        raise InvalidInput(
            f"{challenge.slug} does not show teams' countries and categories, so its "
            "leaderboards cannot be filtered by them; leave country and category out"
        )
    try:
        checked = TeamProfile(country=wanted.country, category=wanted.category)
    except ValidationError as error:
        found = (str(e["msg"]).removeprefix("Value error, ") for e in error.errors())
        raise InvalidInput("; ".join(found)) from None
    return ProfileFilter(checked.country, checked.category)


def profiles_of(session: Session, *, challenge: Challenge) -> dict[int, TeamProfile]:
    """Every team's profile in the challenge, by team id (callers check who may see them)."""
    query = select(Team.id, Team.affiliation, Team.country, Team.category).where(
        Team.challenge_id == challenge.id
    )
    return {
        team_id: TeamProfile.model_construct(affiliation=a, country=c, category=k)
        for team_id, a, c, k in session.exec(query).all()
        if team_id is not None
    }


def matching_teams(profiles: dict[int, TeamProfile], wanted: ProfileFilter) -> set[int]:
    """The ids of the teams whose profile matches the filter."""
    return {
        team_id
        for team_id, p in profiles.items()
        if (not wanted.country or p.country == wanted.country)
        and (not wanted.category or p.category == wanted.category)
    }


def country_name(code: str) -> str:
    """``KE`` as ``Kenya`` (an unknown or empty code as itself)."""
    return COUNTRIES.get(code, code)
