"""Every table the CLI prints, fitted to the terminal by one rule.

A table is a list of :class:`Column` specs over rows (the API's objects). Columns of priority 0
are the ones that matter (rank, team, primary score and its interval): they are always shown
and never cut. When the table is wider than the terminal, the other columns go, the least
important (highest priority number, then rightmost) first; a column with a ``min_width`` is
narrowed (its text ends in ``…``) instead when that alone makes the table fit. ``--wide`` shows
every column whatever the width; ``--json`` prints the server's answer as it came.

The width is ``COLUMNS`` when set, else the terminal's, else 80 (a pipe, a log). On a terminal
the table has a bold header and a rule; elsewhere it is plain ASCII: no escape codes, no box
drawing. A title goes on its own line above the table and a blank line follows it, so tables
printed one after another never run together.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Annotated, Any, Literal

import typer
from rich.box import SIMPLE_HEAD, Box
from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from podium.cli.figures import cell, printable

DEFAULT_WIDTH = 80
MIN_WIDTH = 20
GAP = 2  # characters between two columns: the right padding and the divider
PLAIN = Box("    \n    \n -- \n    \n    \n    \n    \n    \n", ascii=True)

Justify = Literal["left", "right"]

WideOption = Annotated[
    bool, typer.Option("--wide", help="show every column, whatever the terminal's width")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="print the server's answer as JSON (for scripts)")
]


@dataclass(frozen=True)
class Column:
    """One column: its header, how a row becomes its text, and how it gives way.

    ``priority`` 0: always shown, never cut; higher numbers are dropped first. ``min_width``:
    the column may be narrowed down to it (ends in ``…``) instead of being dropped.
    """

    header: str
    text: Callable[[Mapping[str, Any]], str]
    priority: int = 0
    min_width: int | None = None
    justify: Justify = "left"


def field(
    key: str,
    header: str | None = None,
    *,
    show: Callable[[Any], str] = cell,
    priority: int = 0,
    min_width: int | None = None,
    justify: Justify = "left",
) -> Column:
    """A column showing ``row[key]``; a dotted key reaches into objects (``scores.rmse``)."""

    def text(row: Mapping[str, Any]) -> str:
        value: Any = row
        for part in key.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        return show(value)

    name = header if header is not None else key.rsplit(".", 1)[-1].replace("_", " ")
    return Column(name, text, priority, min_width, justify)


def is_terminal(file: IO[str]) -> bool:
    """Whether ``file`` is a terminal (a pipe, a file or a test's buffer is not)."""
    try:
        return file.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def terminal_width(file: IO[str]) -> int:
    """``COLUMNS`` when set, else the terminal's width, else 80."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return max(int(columns), MIN_WIDTH)
    if is_terminal(file):
        try:
            return max(os.get_terminal_size(file.fileno()).columns, MIN_WIDTH)
        except (AttributeError, ValueError, OSError):
            return max(shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns, MIN_WIDTH)
    return DEFAULT_WIDTH


@dataclass(frozen=True)
class Layout:
    """The columns a table keeps, each with its width, and the table's total width."""

    columns: tuple[int, ...]
    widths: tuple[int, ...]

    @property
    def width(self) -> int:
        return sum(self.widths) + GAP * max(len(self.widths) - 1, 0)


def fit(
    columns: Sequence[Column], texts: Sequence[Sequence[str]], width: int, wide: bool = False
) -> Layout:
    """Which columns to keep and how wide, for a table at most ``width`` wide when it can be.

    ``texts`` holds each row's cells, one per column. Priority-0 columns stay at their full
    width even when they alone are wider than ``width``.
    """
    natural = [
        max([cell_len(c.header), *(cell_len(row[i]) for row in texts)])
        for i, c in enumerate(columns)
    ]
    keep = list(range(len(columns)))
    widths = dict(enumerate(natural))
    if wide:
        return Layout(tuple(keep), tuple(natural))
    yielding = sorted(
        (i for i in keep if columns[i].priority > 0), key=lambda i: (-columns[i].priority, -i)
    )
    for i in yielding:
        excess = Layout(tuple(keep), tuple(widths[k] for k in keep)).width - width
        if excess <= 0:
            break
        floor = columns[i].min_width
        if floor is not None and natural[i] - excess >= max(floor, 1):
            widths[i] = natural[i] - excess
            break
        keep.remove(i)
    return Layout(tuple(keep), tuple(widths[k] for k in keep))


def render(
    columns: Sequence[Column],
    rows: Sequence[Mapping[str, Any]],
    *,
    width: int,
    terminal: bool,
    wide: bool = False,
) -> tuple[Table, int]:
    """The rows as a rich table that fits ``width`` (see :func:`fit`), and its width."""
    texts = [[c.text(row) for c in columns] for row in rows]
    layout = fit(columns, texts, width, wide)
    table = Table(
        box=SIMPLE_HEAD if terminal else PLAIN,
        show_edge=False,
        padding=(0, 1, 0, 0),
        pad_edge=False,
        header_style="bold" if terminal else "",
    )
    for i, w in zip(layout.columns, layout.widths, strict=True):
        spec = columns[i]
        table.add_column(
            Text(spec.header), width=w, no_wrap=True, overflow="ellipsis", justify=spec.justify
        )
    for row in texts:
        table.add_row(*(Text(row[i]) for i in layout.columns))
    return table, layout.width


def print_table(
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Mapping[str, Any]],
    *,
    wide: bool = False,
    notes: Sequence[str] = (),
    file: IO[str] | None = None,
) -> None:
    """Print a title line, the fitted table, any notes, then a blank line."""
    out = file if file is not None else sys.stdout
    terminal = is_terminal(out)
    width = terminal_width(out)
    table, needed = render(columns, rows, width=width, terminal=terminal, wide=wide)
    parts: list[RenderableType] = [Text(printable(title), style="bold" if terminal else "")]
    parts.append(table if rows else Text("(none)"))
    parts += [Text(printable(note)) for note in notes]
    # never narrower than the table: rich would squeeze the columns that must not be cut
    console = Console(file=out, width=max(width, needed), highlight=False)
    with console.capture() as captured:
        for part in parts:
            console.print(part)
    # cells are padded to their column's width: logs and diffs need no trailing blanks
    lines = [line.rstrip() for line in captured.get().splitlines()]
    out.write("\n".join(lines) + "\n\n")
    out.flush()


def print_json(answer: Any, file: IO[str] | None = None) -> None:
    """The answer as indented JSON, nothing else (control characters escaped by JSON)."""
    out = file if file is not None else sys.stdout
    out.write(json.dumps(answer, indent=2, ensure_ascii=False) + "\n")
