"""Which phase: the one rule every part of Podium uses when no phase is named.

A *view* (a leaderboard, its history, the final ranking, publishing, the judging page,
``podium check``) shows by default **the phase open now, else the latest phase that has
started, else the first phase**: during a phase that phase; between two phases the one that
just ended (its results are what people look at); before the challenge opens the first one.

A *submission* goes to **the phase open now**, and only there: a named phase must be open, and
between phases (or after the last one) nothing is accepted until the next phase opens.

When phases overlap, the one that started last is the open one (the later in the list on a
tie). The functions work on anything with a ``name``, ``start`` and ``end`` (the bundle's
:class:`~challenges.schema.Phase`, the platform's phase rows, its cached phase keys), with
timezone-aware datetimes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar

DEFAULT_RULE = "the phase open now, else the latest that has started, else the first"
SUBMISSION_RULE = "the phase open now"


class Timed(Protocol):
    """What choosing a phase reads: its name and its time window ``[start, end)``."""

    @property
    def name(self) -> str: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...


P = TypeVar("P", bound=Timed)


def is_open(phase: Timed, now: datetime) -> bool:
    """Whether ``now`` lies in ``[phase.start, phase.end)``."""
    return phase.start <= now < phase.end


def _latest_started(phases: Sequence[P]) -> P | None:
    # max() keeps the first of equal keys: reversed, so the later phase in the list wins a tie
    return max(reversed(phases), key=lambda p: p.start, default=None)


def open_phase(phases: Sequence[P], now: datetime) -> P | None:
    """The phase submissions go to at ``now``; None between phases, before and after them.

    Args:
        phases: The challenge's phases, in their declared order.
        now: A timezone-aware datetime.

    Returns:
        The open phase that started last (when phases overlap), or None.
    """
    return _latest_started([p for p in phases if is_open(p, now)])


def default_phase(phases: Sequence[P], now: datetime) -> P | None:
    """The phase a view shows when none is named (see :data:`DEFAULT_RULE`).

    Returns:
        The phase open now, else the latest that has started, else the earliest to start;
        None only when there are no phases.
    """
    chosen = open_phase(phases, now) or _latest_started([p for p in phases if p.start <= now])
    return chosen or min(phases, key=lambda p: p.start, default=None)


def find_phase(phases: Sequence[P], name: str) -> P | None:
    """The phase called ``name``, or None."""
    return next((p for p in phases if p.name == name), None)


def choose_phase(phases: Sequence[P], name: str | None, now: datetime) -> P | None:
    """``name``'s phase when a name is given (None when there is none), else the default."""
    if name is not None:
        return find_phase(phases, name)
    return default_phase(phases, now)


def next_phase(phases: Sequence[P], now: datetime) -> P | None:
    """The phase that opens next after ``now``, or None when none is planned."""
    return min((p for p in phases if p.start > now), key=lambda p: p.start, default=None)


def state_of(phase: Timed, now: datetime) -> str:
    """The phase's state at ``now`` in words: ``open until …``, ``opens at …``, ``ended at …``."""
    if now < phase.start:
        return f"opens at {phase.start.isoformat()}"
    if now < phase.end:
        return f"open until {phase.end.isoformat()}"
    return f"ended at {phase.end.isoformat()}"


def names(phases: Sequence[Timed]) -> str:
    """The phases' names for a message: ``'development', 'final'`` (``none`` when empty)."""
    return ", ".join(repr(p.name) for p in phases) or "none"
