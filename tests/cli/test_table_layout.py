"""The table rule on its own: which columns give way, the width it reads, plain text off a
terminal, and how figures are rounded."""

from __future__ import annotations

import io

import pytest

from podium.cli.figures import (
    cell,
    interval_text,
    megabytes_text,
    p_value_text,
    printable,
    score_text,
    seconds_text,
    timings_line,
)
from podium.cli.tables import Column, field, fit, print_table, terminal_width

COLUMNS = [
    field("rank", justify="right"),
    field("team"),
    field("reason", priority=1, min_width=10),
    field("kind", priority=2),
    field("file", priority=2),
]
ROW = {"rank": 1, "team": "Overfit Owls", "reason": "x" * 40, "kind": "build", "file": "a.tar"}


def _texts(columns: list[Column], rows: list[dict[str, object]]) -> list[list[str]]:
    return [[c.text(row) for c in columns] for row in rows]


def _kept(width: int, wide: bool = False) -> list[tuple[str, int]]:
    layout = fit(COLUMNS, _texts(COLUMNS, [ROW]), width, wide)
    return [(COLUMNS[i].header, w) for i, w in zip(layout.columns, layout.widths, strict=True)]


def test_lower_priorities_go_first_rightmost_first_then_the_narrowable_narrows() -> None:
    every = [("rank", 4), ("team", 12), ("reason", 40), ("kind", 5), ("file", 5)]
    assert _kept(200) == every
    assert _kept(72) == every[:4]  # 76 wide: the rightmost of priority 2 goes
    assert _kept(65) == every[:3]  # then the other
    assert _kept(40) == [("rank", 4), ("team", 12), ("reason", 20)]  # narrowed, not dropped
    assert _kept(20) == [("rank", 4), ("team", 12)]  # below its minimum: dropped
    assert _kept(5) == [("rank", 4), ("team", 12)]  # what matters first is never cut
    assert _kept(5, wide=True) == every


def test_the_rendered_table_is_as_wide_as_planned_and_never_cuts_what_matters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for width in (80, 40, 30, 10):
        monkeypatch.setenv("COLUMNS", str(width))
        out = io.StringIO()
        print_table("t", COLUMNS, [ROW], file=out)
        lines = out.getvalue().splitlines()
        layout = fit(COLUMNS, _texts(COLUMNS, [ROW]), max(width, 20))
        assert len(lines[2]) == layout.width  # the header rule spans the table
        assert lines[3].startswith("   1  Overfit Owls")
        assert max(len(line) for line in lines) == layout.width
        assert layout.width <= width or width < 20


def test_width_is_columns_else_80_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert terminal_width(io.StringIO()) == 80
    monkeypatch.setenv("COLUMNS", "132")
    assert terminal_width(io.StringIO()) == 132
    monkeypatch.setenv("COLUMNS", "wide")
    assert terminal_width(io.StringIO()) == 80


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_off_a_terminal_rich_on_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    rows = [{"rank": 1, "team": "[bold]Owls[/bold] \x1b[31mred", "reason": None}]
    plain, tty = io.StringIO(), FakeTerminal()
    for out in (plain, tty):
        print_table("board", COLUMNS, rows, file=out)
    assert plain.getvalue() == (
        "board\n"
        "rank  team                        reason  kind  file\n"
        "----------------------------------------------------\n"
        "   1  [bold]Owls[/bold] ?[31mred  -       -     -\n\n"
    )
    assert "\x1b[1m" in tty.getvalue() and "─" in tty.getvalue()  # bold header, a rule
    assert "[bold]Owls[/bold] ?[31mred" in tty.getvalue()  # markup and escapes shown as text


def test_figures_are_rounded_by_their_unit() -> None:
    assert score_text(0.98765432, 3) == "0.988" and score_text(1, 4) == "1.0000"
    assert score_text(None, 3) == "-" and score_text(float("nan"), 3) == "-"
    assert interval_text({"low": 0.1111111, "high": 0.2}, 3) == "[0.111, 0.200]"
    assert seconds_text(1.985473) == "2.0" and seconds_text(0.0123456) == "0.012"
    assert seconds_text(0) == "0.0" and megabytes_text(109.57421875) == "110"
    assert cell(0.123456789) == "0.1235" and cell(True) == "yes"
    assert p_value_text(0.0) == "<0.0001" and p_value_text(0.03125) == "0.031"
    line = timings_line({"wall_seconds": 1.985473, "cpu_seconds": 0.05, "peak_memory_mb": 109.6})
    assert line == "2.0 s wall, 0.05 s CPU, 110 MB peak memory"


def test_printable_shows_control_and_bidi_characters_as_question_marks() -> None:
    assert printable("a\x1b[2Jb\u202ec\x07") == "a?[2Jb?c?"
    assert printable("two\nlines\t here") == "two lines here"
    assert printable("👩\u200d💻 team") == "👩\u200d💻 team"  # joiners compose emoji: kept
