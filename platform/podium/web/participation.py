"""What a challenge page shows its visitor about taking part: their team, invitations, and
the upload form (the phase open now, the kinds it takes, the quota left).

Read through the API's own functions (``teams.team_of``, ``team_views``), so the page and the
API never disagree about who is in which team.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from challenges.schema import ModelFileContract
from podium.crud import team_views
from podium.crud.phases import submission_phase
from podium.crud.quotas import QuotaLeft, quota_left
from podium.crud.roles import is_staff
from podium.crud.submission_intake import check_kind
from podium.crud.team_profiles import country_name
from podium.crud.teams import team_of
from podium.db.countries import COUNTRIES
from podium.db.models import (
    Challenge,
    Phase,
    SubmissionKind,
    Team,
    TeamInvitePublic,
    TeamPublic,
    User,
)
from podium.db.models.teams import TEAM_CATEGORIES
from podium.errors import PodiumError
from podium.settings import Settings


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


@dataclass(frozen=True)
class SubmitForm:
    """The challenge page's upload form: where it goes, what it takes, what is left today."""

    phase: Phase | None
    closed: str | None = None  # why nothing can be submitted now
    kinds: list[str] = field(default_factory=list)
    quota: QuotaLeft | None = None
    max_upload_mb: int = 0
    model_file: ModelFileContract | None = None


def submit_form(
    session: Session, *, challenge: Challenge, me: Participation, settings: Settings
) -> SubmitForm | None:
    """The upload form for a participant (None for visitors and staff)."""
    if not me.logged_in or me.staff:
        return None
    try:
        phase = submission_phase(session, challenge=challenge, name=None)
    except PodiumError as error:  # no phase open now: the message says when one opens
        return SubmitForm(None, closed=error.message)
    # the model file first: the easiest path for a student with a notebook
    kinds = sorted(
        (k.value for k in SubmissionKind if _accepts(phase, k)), key=lambda k: k != "model"
    )
    team = session.get(Team, me.team.id) if me.team is not None else None
    return SubmitForm(
        phase,
        kinds=kinds,
        quota=quota_left(session, team=team, phase=phase),
        max_upload_mb=settings.max_upload_mb,
        model_file=challenge.parsed_spec.task.model_file,
    )


def _accepts(phase: Phase, kind: SubmissionKind) -> bool:
    try:
        check_kind(phase=phase, kind=kind)  # the intake's own rule
    except PodiumError:
        return False
    return True
