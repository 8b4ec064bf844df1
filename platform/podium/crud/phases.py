"""Which phase of a challenge a request means: :mod:`challenges.phases`' one rule over the
stored phase rows, with the errors a caller can meet.

:func:`select_phase` is for views (leaderboards, history, the final ranking, publishing, the
pages, the CLI through the API): the named phase, else the phase open now, else the latest that
has started, else the first. :func:`submission_phase` is for intake: a submission goes to the
phase open now; between phases nothing is accepted, and the refusal says when the next opens.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from challenges import phases as rule
from podium.crud.challenges import phases_of
from podium.db.models import Challenge, Phase
from podium.db.types import utcnow
from podium.errors import Conflict, InvalidInput, NotFound

DEFAULT_RULE = rule.DEFAULT_RULE


def choose_phase(
    phases: Sequence[rule.P], name: str | None, now: datetime | None = None
) -> rule.P | None:
    """The phase called ``name`` (None: there is none), else the default phase at ``now``."""
    return rule.choose_phase(phases, name, now or utcnow())


def select_phase(
    session: Session, *, challenge: Challenge, name: str | None, now: datetime | None = None
) -> Phase:
    """The phase called ``name``; by default the phase open now, else the latest that has
    started, else the first.

    Raises:
        NotFound: No phase of that name (the message lists them), or no phase at all.
    """
    phases = phases_of(session, challenge=challenge)
    chosen = choose_phase(phases, name, now)
    if chosen is not None:
        return chosen
    if name is not None:
        raise NotFound(f"no phase {name!r} in {challenge.slug}; phases: {rule.names(phases)}")
    raise NotFound(f"{challenge.slug} has no phases")


def submission_phase(
    session: Session,
    *,
    challenge: Challenge,
    name: str | None,
    baseline: bool = False,
    now: datetime | None = None,
) -> Phase:
    """The phase a new submission goes to: ``name`` when it is open, by default the open one.

    An organiser's baseline (``baseline``) competes with no one: it may go to any phase, at any
    time (to try the challenge before it opens), by default to the one a view shows.

    Raises:
        InvalidInput: The challenge has no phase ``name``.
        Conflict: That phase (or, without a name, every phase) is not open now.
    """
    now = now or utcnow()
    phases = phases_of(session, challenge=challenge)
    open_now = rule.open_phase(phases, now)
    opened = rule.names([p for p in phases if rule.is_open(p, now)])
    chosen = rule.choose_phase(phases, name, now) if baseline else None
    if chosen is not None:
        return chosen
    if name is None:
        if open_now is not None:
            return open_now
        when = _when(phases, now)
        raise Conflict(f"{challenge.slug} has no phase open for submissions now{when}")
    phase = rule.find_phase(phases, name)
    if phase is None:
        raise InvalidInput(
            f"{challenge.slug} has no phase {name!r}; its phases are {rule.names(phases)} "
            f"(open now: {opened})"
        )
    if not rule.is_open(phase, now):
        raise Conflict(
            f"phase {name!r} of {challenge.slug} is not open ({rule.state_of(phase, now)}); "
            f"phases open now: {opened}"
        )
    return phase


def _when(phases: Sequence[Phase], now: datetime) -> str:
    following = rule.next_phase(phases, now)
    if following is not None:
        return f"; {following.name!r} opens at {following.start.isoformat()}"
    if phases:
        last = max(phases, key=lambda p: p.end)
        return f"; its last phase, {last.name!r}, ended at {last.end.isoformat()}"
    return "; it has no phases"
