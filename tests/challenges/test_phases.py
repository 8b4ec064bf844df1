"""The one phase rule (challenges.phases): what a view shows by default, where a submission goes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from challenges.phases import (
    choose_phase,
    default_phase,
    next_phase,
    open_phase,
    state_of,
)


@dataclass(frozen=True)
class P:
    name: str
    start: datetime
    end: datetime


def day(n: int) -> datetime:
    return datetime(2030, 1, n, tzinfo=UTC)


DEV = P("development", day(2), day(10))
FINAL = P("final", day(12), day(20))  # a gap from day 10 to day 12
PHASES = [DEV, FINAL]


@pytest.mark.parametrize(
    "now,shown,accepting",
    [
        (day(1), "development", None),  # before the challenge: the first phase, nothing open
        (day(2), "development", "development"),  # start is inside the window
        (day(5), "development", "development"),
        (day(10), "development", None),  # end is outside: between phases, the one just ended
        (day(11), "development", None),
        (day(12), "final", "final"),
        (day(25), "final", None),  # after the last: the last one, closed
    ],
)
def test_default_view_and_submission_phase_over_time(
    now: datetime, shown: str, accepting: str | None
) -> None:
    assert default_phase(PHASES, now) is not None
    assert default_phase(PHASES, now).name == shown  # type: ignore[union-attr]
    found = open_phase(PHASES, now)
    assert (found.name if found else None) == accepting


def test_overlapping_phases_the_later_start_wins_and_list_order_breaks_ties() -> None:
    late = P("late", day(4), day(8))
    assert open_phase([DEV, late], day(5)) is late
    assert open_phase([late, DEV], day(5)) is late
    twin = P("twin", day(2), day(10))
    assert open_phase([DEV, twin], day(5)) is twin
    assert default_phase([DEV, twin], day(5)) is twin


def test_first_means_earliest_start_whatever_the_list_order() -> None:
    assert default_phase([FINAL, DEV], day(1)) is DEV


def test_a_named_phase_wins_and_an_unknown_name_is_none() -> None:
    assert choose_phase(PHASES, "final", day(5)) is FINAL
    assert choose_phase(PHASES, "nope", day(5)) is None
    assert choose_phase(PHASES, None, day(5)) is DEV
    assert choose_phase([], None, day(5)) is None


def test_states_and_the_next_phase_in_words() -> None:
    assert state_of(FINAL, day(5)) == f"opens at {day(12).isoformat()}"
    assert state_of(DEV, day(5)) == f"open until {day(10).isoformat()}"
    assert state_of(DEV, day(11)) == f"ended at {day(10).isoformat()}"
    assert next_phase(PHASES, day(11)) is FINAL
    assert next_phase(PHASES, day(13)) is None
