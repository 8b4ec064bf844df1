"""Advancing teams into a round entered by advancement: the organiser's preview and commit.

One rule decides who enters: :func:`leaderboard.advancement.advancing` over the previous
round's private leaderboard of the challenge (:mod:`podium.services.ranking`) and the round's
judges' shortlist. :func:`commit` calls :func:`preview`, so they cannot disagree; it writes the
missing :class:`Advancement` rows and one ``advance`` audit row, and nothing the second time.
Who may submit to such a round is :func:`podium.crud.advancement.check_round_entry`.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from leaderboard import PRIVATE
from leaderboard.advancement import Advancing, advancing
from podium.crud.advancement import RoundOfChallenge, shortlist_of
from podium.crud.audit import audit
from podium.crud.challenges import phases_of
from podium.crud.roles import is_organiser
from podium.db.models import Challenge, Phase, Team, User
from podium.db.models.editions import (
    AdvancedBy,
    Advancement,
    AdvancementCommitted,
    AdvancementPreview,
    CandidatePublic,
    Round,
    RoundEntry,
    RoundPhase,
)
from podium.errors import Conflict, PermissionDenied
from podium.services import ranking


def _previous(session: Session, where: RoundOfChallenge) -> Phase:
    round_ = where.round
    if round_.entry is not RoundEntry.ADVANCEMENT:
        raise Conflict(f"round {round_.name!r} is open to every team; nobody needs to advance")
    query = (
        select(RoundPhase.phase_name)
        .join(Round, col(Round.id) == RoundPhase.round_id)
        .where(
            Round.edition_id == round_.edition_id,
            col(Round.position) < round_.position,
            RoundPhase.challenge_id == where.challenge.id,
        )
        .order_by(col(Round.position).desc())
    )
    name = session.exec(query).first()
    phase = next((p for p in phases_of(session, challenge=where.challenge) if p.name == name), None)
    if phase is None:
        raise Conflict(
            f"{where.challenge.slug} is in no round before {round_.name!r}; "
            "there is no leaderboard to advance from"
        )
    return phase


def _ranked(session: Session, challenge: Challenge, phase: Phase) -> list[tuple[int, int]]:
    config = ranking.board_config(challenge, phase)
    board = ranking.build_leaderboard(session, phase=phase, config=config, split=PRIVATE)
    return [(e.team_id, e.rank) for e in board.ranked if e.rank is not None]


def preview(session: Session, *, where: RoundOfChallenge) -> AdvancementPreview:
    """Who the round's rule lets in from ``where.challenge`` now, without changing anything.

    Raises:
        Conflict: The round is open to every team, or has no previous round for the challenge.
    """
    previous = _previous(session, where)
    round_ = where.round
    ranked = _ranked(session, where.challenge, previous) if round_.advance_top_n else []
    listed = shortlist_of(session, where=where) if round_.advance_shortlist else []
    chosen = advancing(ranked, top_n=round_.advance_top_n, shortlist=[s.team_id for s in listed])
    done = _advanced(session, where)
    ranks = dict(ranked)
    # teams advanced earlier stay advanced (records are never withdrawn), qualifying now or not
    chosen += [Advancing(t, how.value, ranks.get(t)) for t, how in done.items()
               if t not in {c.team_id for c in chosen}]  # fmt: skip
    teams = {t.id: t for t in _teams(session, [c.team_id for c in chosen])}
    return AdvancementPreview(
        edition=where.edition.slug, round=round_.name, challenge=where.challenge.slug,
        from_phase=previous.name, to_phase=where.phase, top_n=round_.advance_top_n,
        shortlist=round_.advance_shortlist,
        teams=[
            CandidatePublic(team_id=c.team_id, team=teams[c.team_id].name,
                            how=done.get(c.team_id) or AdvancedBy(c.how), rank=c.rank,
                            already_advanced=c.team_id in done)
            for c in chosen
        ],
    )  # fmt: skip


def _teams(session: Session, ids: list[int]) -> list[Team]:
    return list(session.exec(select(Team).where(col(Team.id).in_(ids))))


def _advanced(session: Session, where: RoundOfChallenge) -> dict[int, AdvancedBy]:
    query = select(Advancement.team_id, Advancement.how).where(
        Advancement.round_id == where.round.id, Advancement.challenge_id == where.challenge.id
    )
    return {team: AdvancedBy(how) for team, how in session.exec(query).all()}


def check_may_advance(session: Session, *, user: User, challenge: Challenge) -> None:
    """Only organisers of the challenge and admins advance its teams (403)."""
    if not is_organiser(session, user=user, challenge=challenge):
        raise PermissionDenied(
            f"only organisers of {challenge.slug} (or an admin) advance its teams"
        )


def commit(session: Session, *, where: RoundOfChallenge, actor: User) -> AdvancementCommitted:
    """Advance the teams :func:`preview` names (idempotent; audited when anything changed).

    Raises:
        PermissionDenied: ``actor`` is not an organiser of the challenge nor an admin.
        Conflict: See :func:`preview`.
    """
    check_may_advance(session, user=actor, challenge=where.challenge)
    planned = preview(session, where=where)
    new = [t for t in planned.teams if not t.already_advanced]
    assert where.round.id is not None and where.challenge.id is not None
    for t in new:
        session.add(Advancement(round_id=where.round.id, challenge_id=where.challenge.id,
                                team_id=t.team_id, advanced_by=actor.id, how=t.how))  # fmt: skip
    if new:
        audit(
            session, challenge_id=where.challenge.id, actor=actor, action="advance",
            target=f"round {where.round.name}",
            detail={"edition": where.edition.slug, "round": where.round.name,
                    "teams": [{"id": t.team_id, "name": t.team, "how": t.how.value} for t in new]},
        )  # fmt: skip
    try:
        session.commit()
    except IntegrityError:  # advanced concurrently: the rows exist; read back what they say
        session.rollback()
        return AdvancementCommitted(**preview(session, where=where).model_dump(), added=0)
    # what the preview named is advanced now: no second ranking of the board to say so
    teams = [t.model_copy(update={"already_advanced": True}) for t in planned.teams]
    done = planned.model_copy(update={"teams": teams})
    return AdvancementCommitted(**done.model_dump(), added=len(new))
