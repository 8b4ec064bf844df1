"""Publishing the final ranking, and revealing the private leaderboard it is made of.

A published ranking is a frozen version anyone can read, and it shows the private split: so
publishing needs the private leaderboard revealed, before or in the same request (then the
reveal is audited as its own action, in the publication's transaction). Versions are never
changed; a new publication is a new version.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from podium.crud.audit import audit
from podium.crud.leaderboards import board_changed
from podium.db.models import Challenge, User
from podium.db.models.judging import PublishedRanking
from podium.db.types import utcnow
from podium.errors import Conflict


def publish(
    session: Session,
    *,
    challenge: Challenge,
    actor: User,
    phase: str,
    ranking: dict[str, Any],
    reveal_private: bool = False,
) -> PublishedRanking:
    """Freeze ``ranking`` as the challenge's next published version (earlier ones stay).

    A published ranking is read by anyone and shows the private split, so the private
    leaderboard must be revealed first, or here (``reveal_private``, audited as a reveal in the
    same transaction).

    Raises:
        Conflict: the private leaderboard is not revealed and ``reveal_private`` is False, or
            another publication took the next version number at the same moment.
    """
    if not challenge.revealed_private and not reveal_private:
        raise Conflict(
            f"the private leaderboard of {challenge.slug} is not revealed yet, and a published "
            "ranking shows everyone its private scores; reveal it first, or publish with reveal "
            f"('{{\"reveal\": true}}' in the request, `podium judge publish {challenge.slug} "
            "--reveal`, or the reveal box on the judging page)"
        )
    _mark_revealed(session, challenge=challenge, actor=actor)
    latest = session.exec(
        select(PublishedRanking.version)
        .where(PublishedRanking.challenge_id == challenge.id)
        .order_by(col(PublishedRanking.version).desc())
    ).first()
    assert challenge.id is not None
    row = PublishedRanking(
        challenge_id=challenge.id,
        version=(latest or 0) + 1,
        phase=phase,
        published_by=actor.id,
        ranking=ranking,
    )
    session.add(row)
    audit(
        session,
        challenge_id=challenge.id,
        actor=actor,
        action="publish",
        target=f"version {row.version}",
        detail={"phase": phase, "teams": len(ranking.get("entries", []))},
    )
    try:
        session.commit()
    except IntegrityError:  # another publication took this version number first
        session.rollback()
        raise Conflict(
            f"version {row.version} of {challenge.slug}'s ranking was published a moment ago; "
            "read it, and publish again if this one should follow it"
        ) from None
    session.refresh(row)
    return row


def published(
    session: Session,
    *,
    challenge: Challenge,
    version: int | None = None,
    phase: str | None = None,
) -> PublishedRanking | None:
    """The published ranking ``version`` (default: the latest; of ``phase`` when given), or
    None."""
    query = select(PublishedRanking).where(PublishedRanking.challenge_id == challenge.id)
    if version is not None:
        query = query.where(PublishedRanking.version == version)
    if phase is not None:
        query = query.where(PublishedRanking.phase == phase)
    return session.exec(query.order_by(col(PublishedRanking.version).desc())).first()


def reveal(session: Session, *, challenge: Challenge, actor: User) -> None:
    """Show the private leaderboard to everyone (idempotent; audited once)."""
    _mark_revealed(session, challenge=challenge, actor=actor)
    session.commit()


def _mark_revealed(session: Session, *, challenge: Challenge, actor: User) -> None:
    """Set ``revealed_private`` with its audit row (nothing when it is set already)."""
    if challenge.revealed_private:
        return
    challenge.revealed_private = True
    challenge.updated_at = utcnow()
    session.add(challenge)
    board_changed(session, challenge_id=challenge.id)
    audit(session, challenge_id=challenge.id, actor=actor, action="reveal", target=challenge.slug)
