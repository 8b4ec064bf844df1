"""What the edition pages and the API show: problem statements with their host, state and
deadlines, rounds with who advanced (once an organiser committed it), a team's own standing.

Unpublished challenges appear only to their staff and admins; the judges' shortlist and a
round's not-yet-committed candidates never appear here (they are the organiser's preview).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from challenges import phases as phase_rule
from podium.crud.advancement import advancement_of
from podium.crud.challenges import is_visible, phases_of
from podium.crud.editions import edition_of_challenge, entries_of, round_phases, rounds_of
from podium.db.models import Challenge, Phase, Team, User
from podium.db.models.editions import (
    AdvancedTeamPublic,
    Advancement,
    DeadlinePublic,
    Edition,
    EditionPublic,
    EditionSummary,
    HostOrganisation,
    HostPublic,
    ProblemStatementPublic,
    Round,
    RoundChallengePublic,
    RoundEntry,
    RoundPublic,
    RoundStatusPublic,
    TeamEditionStatus,
)
from podium.db.types import utcnow


def problem_state(phases: list[Phase], now: datetime) -> str:
    """``open`` while a phase is open, ``upcoming`` before the first, else ``closed``."""
    if phase_rule.open_phase(phases, now) is not None:
        return "open"
    if phase_rule.next_phase(phases, now) is not None:
        return "upcoming"
    return "closed"


def _visible(
    session: Session, edition: Edition, user: User | None
) -> list[tuple[HostOrganisation, Challenge]]:
    found = []
    for entry, challenge in entries_of(session, edition=edition):
        if is_visible(session, user=user, challenge=challenge):
            host = session.get(HostOrganisation, entry.host_id)
            assert host is not None
            found.append((host, challenge))
    return found


def edition_summaries(
    session: Session, *, editions: list[Edition], user: User | None
) -> list[EditionSummary]:
    return [
        EditionSummary(slug=e.slug, title=e.title, summary=e.summary,
                       problem_statements=len(_visible(session, e, user)))
        for e in editions
    ]  # fmt: skip


def edition_public(session: Session, *, edition: Edition, user: User | None) -> EditionPublic:
    """The edition as ``user`` may see it."""
    now = utcnow()
    shown = _visible(session, edition, user)
    hosts: dict[str, HostPublic] = {}
    problems = []
    for host, challenge in shown:
        hosts.setdefault(host.name, HostPublic.model_validate(host, from_attributes=True))
        phases = phases_of(session, challenge=challenge)
        problems.append(ProblemStatementPublic(
            challenge=challenge.slug, title=challenge.title, host=host.name,
            state=problem_state(phases, now),
            deadlines=[DeadlinePublic(phase=p.name, start=p.start, end=p.end) for p in phases],
        ))  # fmt: skip
    ids = {c.id: c for _, c in shown}
    return EditionPublic(
        slug=edition.slug, title=edition.title, summary=edition.summary,
        hosts=list(hosts.values()), problem_statements=problems,
        rounds=[_round(session, r, ids) for r in rounds_of(session, edition=edition)],
    )  # fmt: skip


def _round(session: Session, round_: Round, shown: dict[int | None, Challenge]) -> RoundPublic:
    covered = []
    for rp in round_phases(session, round_=round_):
        challenge = shown.get(rp.challenge_id)
        if challenge is None:
            continue
        advanced = _advanced(session, round_, challenge)
        covered.append(RoundChallengePublic(
            challenge=challenge.slug, phase=rp.phase_name, decided=bool(advanced),
            advanced=advanced,
        ))  # fmt: skip
    covered.sort(key=lambda c: c.challenge)
    return RoundPublic(
        name=round_.name, position=round_.position, start=round_.start, end=round_.end,
        entry=round_.entry, advance_top_n=round_.advance_top_n,
        advance_shortlist=round_.advance_shortlist, challenges=covered,
    )  # fmt: skip


def _advanced(session: Session, round_: Round, challenge: Challenge) -> list[AdvancedTeamPublic]:
    query = (
        select(Advancement, Team)
        .join(Team, col(Team.id) == Advancement.team_id)
        .where(Advancement.round_id == round_.id, Advancement.challenge_id == challenge.id)
        .order_by(col(Team.name))
    )
    return [
        AdvancedTeamPublic(team_id=t.id or 0, team=t.name, how=a.how, at=a.at)
        for a, t in session.exec(query).all()
    ]


def team_status(session: Session, *, team: Team, challenge: Challenge) -> TeamEditionStatus:
    """Whether ``team`` may take part in each round of its challenge's edition."""
    edition = edition_of_challenge(session, challenge=challenge)
    rounds: list[RoundStatusPublic] = []
    if edition is not None:
        for round_ in rounds_of(session, edition=edition):
            phase = next((rp.phase_name for rp in round_phases(session, round_=round_)
                          if rp.challenge_id == challenge.id), None)  # fmt: skip
            if phase is not None:
                rounds.append(_standing(session, round_, phase, team, challenge))
    return TeamEditionStatus(
        team_id=team.id or 0, challenge=challenge.slug,
        edition=edition.slug if edition else None, rounds=rounds,
    )  # fmt: skip


def _standing(
    session: Session, round_: Round, phase: str, team: Team, challenge: Challenge
) -> RoundStatusPublic:
    row = advancement_of(session, round_=round_, team=team)
    if round_.entry is RoundEntry.OPEN:
        status = "open"
    elif row is not None:
        status = "advanced"
    else:
        decided = session.exec(
            select(Advancement.id).where(
                Advancement.round_id == round_.id, Advancement.challenge_id == challenge.id
            )
        ).first()
        status = "not_advanced" if decided is not None else "pending"
    return RoundStatusPublic(round=round_.name, phase=phase, entry=round_.entry, status=status,
                             how=row.how if row else None)  # fmt: skip
