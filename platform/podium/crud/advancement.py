"""Rounds entered by advancement: who may submit, the judges' shortlist, the records.

:func:`check_round_entry` is what intake calls: a phase of a round entered by advancement
refuses teams that did not advance into it. The shortlist is private to the challenge's staff.
Previewing and committing an advancement (which needs the ranking) is
:mod:`podium.services.advancement`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from podium.crud.audit import audit
from podium.crud.roles import is_staff
from podium.db.models import Challenge, Phase, Team, User
from podium.db.models.editions import (
    Advancement,
    Edition,
    Round,
    RoundEntry,
    RoundPhase,
    ShortlistEntry,
    ShortlistPublic,
)
from podium.errors import Conflict, NotFound, PermissionDenied


@dataclass(frozen=True)
class RoundOfChallenge:
    """A round of an edition as one of its challenges sees it."""

    edition: Edition
    round: Round
    challenge: Challenge
    phase: str


def round_of_phase(session: Session, *, challenge: Challenge, phase: str) -> Round | None:
    """The round covering ``phase`` of ``challenge`` (None: the phase is in no round)."""
    query = (
        select(Round)
        .join(RoundPhase, col(RoundPhase.round_id) == Round.id)
        .where(RoundPhase.challenge_id == challenge.id, RoundPhase.phase_name == phase)
    )
    return session.exec(query).first()


def advancement_of(session: Session, *, round_: Round, team: Team) -> Advancement | None:
    query = select(Advancement).where(
        Advancement.round_id == round_.id, Advancement.team_id == team.id
    )
    return session.exec(query).first()


def check_round_entry(
    session: Session, *, challenge: Challenge, phase: Phase, team: Team | None
) -> None:
    """Refuse a submission to a phase of a round entered by advancement from a team that did
    not advance into it (``team`` None: the user has no team yet, so none advanced).

    Raises:
        PermissionDenied: The team did not advance into the phase's round.
    """
    round_ = round_of_phase(session, challenge=challenge, phase=phase.name)
    if round_ is None or round_.entry is not RoundEntry.ADVANCEMENT:
        return
    if team is not None and advancement_of(session, round_=round_, team=team) is not None:
        return
    rule = (
        f"phase {phase.name!r} of {challenge.slug} belongs to round {round_.name!r}, which takes "
        "only teams advanced from the previous round (the edition's page says who advanced)"
    )
    if team is None:
        raise PermissionDenied(f"you have no team in {challenge.slug} that advanced: {rule}")
    raise PermissionDenied(f"team {team.name!r} did not advance into round {round_.name!r}: {rule}")


def round_of_challenge(
    session: Session, *, edition: Edition, round_: Round, challenge: Challenge
) -> RoundOfChallenge:
    """The round's phase of ``challenge``.

    Raises:
        NotFound: The round does not cover that challenge.
    """
    query = select(RoundPhase.phase_name).where(
        RoundPhase.round_id == round_.id, RoundPhase.challenge_id == challenge.id
    )
    phase = session.exec(query).first()
    if phase is None:
        raise NotFound(f"round {round_.name!r} of {edition.slug} does not cover {challenge.slug}")
    return RoundOfChallenge(edition, round_, challenge, phase)


def shortlist_of(session: Session, *, where: RoundOfChallenge) -> list[ShortlistPublic]:
    """The round's shortlist for the challenge (staff only: callers check it)."""
    query = (
        select(ShortlistEntry, Team)
        .join(Team, col(Team.id) == ShortlistEntry.team_id)
        .where(
            ShortlistEntry.round_id == where.round.id,
            ShortlistEntry.challenge_id == where.challenge.id,
        )
        .order_by(col(ShortlistEntry.at), col(ShortlistEntry.id))
    )
    return [
        ShortlistPublic(team_id=t.id or 0, team=t.name, added_at=e.at)
        for e, t in session.exec(query).all()
    ]


def set_shortlisted(
    session: Session, *, where: RoundOfChallenge, team: Team, actor: User, listed: bool
) -> list[ShortlistPublic]:
    """Put ``team`` on the round's shortlist (or take it off); judges, organisers and admins
    only; audited when it changed.

    Raises:
        PermissionDenied: ``actor`` is not staff of the challenge.
        NotFound: ``team`` is not a team of the challenge.
        Conflict: The round takes no shortlist.
    """
    if not is_staff(session, user=actor, challenge=where.challenge):
        raise PermissionDenied(
            f"only judges and organisers of {where.challenge.slug} (or an admin) shortlist teams"
        )
    if team.challenge_id != where.challenge.id:
        raise NotFound(f"no team {team.id} in {where.challenge.slug}")
    if not where.round.advance_shortlist:
        raise Conflict(f"round {where.round.name!r} takes no judges' shortlist (its rule: top N)")
    row = session.exec(
        select(ShortlistEntry).where(
            ShortlistEntry.round_id == where.round.id, ShortlistEntry.team_id == team.id
        )
    ).first()
    if listed == (row is not None):
        return shortlist_of(session, where=where)
    if row is not None:
        session.delete(row)
    else:
        assert where.round.id and where.challenge.id and team.id
        session.add(ShortlistEntry(round_id=where.round.id, challenge_id=where.challenge.id,
                                   team_id=team.id, added_by=actor.id))  # fmt: skip
    audit(session, challenge_id=where.challenge.id, actor=actor,
          action="shortlist" if listed else "unshortlist", target=f"team {team.name}",
          detail={"round": where.round.name})  # fmt: skip
    try:
        session.commit()
    except IntegrityError:  # shortlisted concurrently
        session.rollback()
    return shortlist_of(session, where=where)
