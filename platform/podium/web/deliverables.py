"""Deliverables as the pages show them: per phase, what the team must hand in, what it handed
in, what is still missing, and whether it can still hand in (the rules are
:mod:`podium.crud.deliverables`'; this module only arranges them for the templates)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from challenges import phases as phase_rule
from podium.crud import deliverables
from podium.crud.challenges import phases_of
from podium.crud.teams import membership
from podium.db.models import Challenge, Phase, Team, User
from podium.db.models.deliverables import DeliverablePublic
from podium.db.types import utcnow
from podium.errors import NotFound


@dataclass(frozen=True)
class PhaseDeliverables:
    """One phase's deliverables for one team, as its section of the team page shows them."""

    phase: Phase
    state: str  # "open until …", "opens at …", "ended at …"
    open: bool
    items: list[DeliverablePublic]

    @property
    def entered(self) -> bool:
        """Whether the team is in this phase (see ``DeliverablePublic.expected``)."""
        return all(d.expected for d in self.items)

    @property
    def missing(self) -> list[DeliverablePublic]:
        return [d for d in self.items if d.missing]

    @property
    def files(self) -> list[DeliverablePublic]:
        return [d for d in self.items if d.max_mb is not None]

    @property
    def links(self) -> list[DeliverablePublic]:
        return [d for d in self.items if d.max_mb is None]


def team_context(
    session: Session, *, team: Team, challenge: Challenge, user: User, handed_in: str | None = None
) -> dict[str, Any]:
    """The team page's deliverables section: for its members and the challenge's staff only.

    ``handed_in``: the key just handed in (the page then names it).
    """
    try:
        deliverables.readable_team(session, team_id=team.id or 0, user=user)
    except NotFound:
        return {"deliverables": [], "may_hand_in": False, "uploadable": [], "handed_in": None}
    assert team.id is not None
    now = utcnow()
    found = deliverables.for_teams(session, challenge=challenge, team_ids=[team.id])[team.id]
    sections = []
    for phase in phases_of(session, challenge=challenge):
        items = [d for d in found if d.phase == phase.name]
        if items:
            state = phase_rule.state_of(phase, now)
            sections.append(PhaseDeliverables(phase, state, phase_rule.is_open(phase, now), items))
    member = membership(session, team=team, user=user) is not None
    uploadable = [
        (s.phase.name, d) for s in sections if member and s.open and s.entered for d in s.files
    ]
    saved = next((d.title for d in found if d.key == handed_in), None)
    return {
        "deliverables": sections,
        "may_hand_in": member,
        "uploadable": uploadable,
        "handed_in": saved,
    }


def page_url(team_id: int, phase: str, key: str) -> str:
    """Where the pages serve a file deliverable (the session cookie's download)."""
    return f"/teams/{team_id}/deliverables/{phase}/{key}"


def for_judging(
    session: Session, *, challenge: Challenge, phase: Phase, team_ids: list[int]
) -> dict[int, list[DeliverablePublic]]:
    """Per team on the judging page, the phase's deliverables and what was handed in."""
    return deliverables.for_teams(session, challenge=challenge, team_ids=team_ids, phase=phase)


def missing_now(
    session: Session, *, challenge: Challenge, team_id: int | None
) -> list[DeliverablePublic]:
    """What the team must still hand in for the phases open now (the challenge page's warning)."""
    if team_id is None:
        return []
    now = utcnow()
    open_now = {
        p.name for p in phases_of(session, challenge=challenge) if phase_rule.is_open(p, now)
    }
    found = deliverables.for_teams(session, challenge=challenge, team_ids=[team_id])[team_id]
    return [d for d in found if d.missing and d.phase in open_now]
