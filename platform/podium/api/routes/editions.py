"""Editions: their problem statements, hosts and rounds (public); declaring one (admins);
the judges' shortlist and advancing teams into a round (a challenge's staff)."""

from __future__ import annotations

from fastapi import APIRouter

from podium.api.deps import AdminUser, CurrentUser, OptionalUser, SessionDep, TeamDep
from podium.api.edition_deps import EditionDep, OrganiserRound, StaffRound
from podium.api.ids import TeamId
from podium.crud import edition_views, editions, roles, teams
from podium.crud.advancement import set_shortlisted, shortlist_of
from podium.crud.challenges import require_challenge_by_id
from podium.crud.edition_specs import EditionSpec
from podium.db.models import Team
from podium.db.models.editions import (
    AdvancementCommitted,
    AdvancementPreview,
    EditionPublic,
    EditionSummary,
    ShortlistPublic,
    TeamEditionStatus,
)
from podium.errors import InvalidInput, NotFound
from podium.services import advancement

router = APIRouter(tags=["editions"])
ROUND = "/editions/{slug}/rounds/{round_name}/challenges/{challenge}"


@router.get("/editions", response_model=list[EditionSummary])
def list_editions(session: SessionDep, user: OptionalUser) -> list[EditionSummary]:
    """Every edition, with how many problem statements the caller can see."""
    found = editions.list_editions(session)
    return edition_views.edition_summaries(session, editions=found, user=user)


@router.get("/editions/{slug}", response_model=EditionPublic)
def get_edition(edition: EditionDep, session: SessionDep, user: OptionalUser) -> EditionPublic:
    """The edition: hosts, problem statements (state, deadlines), rounds and who advanced."""
    return edition_views.edition_public(session, edition=edition, user=user)


@router.put("/editions/{slug}", response_model=EditionPublic)
def put_edition(
    slug: str, body: EditionSpec, admin: AdminUser, session: SessionDep
) -> EditionPublic:
    """Create or update an edition (site administrators; idempotent)."""
    if body.slug != slug:
        raise InvalidInput(f"the body's slug {body.slug!r} differs from the URL's {slug!r}")
    edition = editions.load_edition(session, spec=body)
    return edition_views.edition_public(session, edition=edition, user=admin)


@router.get(f"{ROUND}/advancement", response_model=AdvancementPreview)
def preview_advancement(where: OrganiserRound, session: SessionDep) -> AdvancementPreview:
    """Who the round's rule would let in now (organisers; changes nothing)."""
    return advancement.preview(session, where=where)


@router.post(f"{ROUND}/advancement", response_model=AdvancementCommitted)
def commit_advancement(
    where: OrganiserRound, session: SessionDep, user: CurrentUser
) -> AdvancementCommitted:
    """Advance the teams the preview names (organisers; audited; idempotent)."""
    return advancement.commit(session, where=where, actor=user)


@router.get(f"{ROUND}/shortlist", response_model=list[ShortlistPublic])
def get_shortlist(where: StaffRound, session: SessionDep) -> list[ShortlistPublic]:
    """The judges' shortlist for the round (the challenge's judges and organisers)."""
    return shortlist_of(session, where=where)


def _team(session: SessionDep, team_id: int) -> Team:
    return teams.require_team(session, team_id=team_id)


@router.put(f"{ROUND}/shortlist/{{team_id}}", response_model=list[ShortlistPublic])
def shortlist_team(
    team_id: TeamId, where: StaffRound, session: SessionDep, user: CurrentUser
) -> list[ShortlistPublic]:
    """Put a team on the round's shortlist (judges and organisers; audited)."""
    team = _team(session, team_id)
    return set_shortlisted(session, where=where, team=team, actor=user, listed=True)


@router.delete(f"{ROUND}/shortlist/{{team_id}}", response_model=list[ShortlistPublic])
def unshortlist_team(
    team_id: TeamId, where: StaffRound, session: SessionDep, user: CurrentUser
) -> list[ShortlistPublic]:
    """Take a team off the round's shortlist (judges and organisers; audited)."""
    team = _team(session, team_id)
    return set_shortlisted(session, where=where, team=team, actor=user, listed=False)


@router.get("/teams/{team_id}/advancement", response_model=TeamEditionStatus)
def team_advancement(team: TeamDep, session: SessionDep, user: CurrentUser) -> TeamEditionStatus:
    """Whether the team may take part in each round of its edition (its members and the
    challenge's staff)."""
    challenge = require_challenge_by_id(session, challenge_id=team.challenge_id)
    member = teams.membership(session, team=team, user=user) is not None
    if not (member or roles.is_staff(session, user=user, challenge=challenge)):
        raise NotFound(f"no team with id {team.id} whose standing you can see")
    return edition_views.team_status(session, team=team, challenge=challenge)
