"""Reliability at full scale: the fault and load scenarios of ``tests/reliability``, one table.

Run from the repository root (``make reliability`` does, after the system packages, the
virtual environment, the engine and the runtime images):

    .venv/bin/python benchmarks/reliability.py [--scale full|small] [PYTEST ARGS...]

It runs ``pytest tests/reliability`` with ``PODIUM_RELIABILITY_SCALE`` (default ``full``) and
``PODIUM_RELIABILITY_REPORT`` set to a temporary file, to which each scenario appends one row
(``tests/reliability/conftest.py``: faults injected and survived, submitted, finished, lost,
duplicated, whether the leaderboard and MLflow agree with the database, seconds). It prints
the rows as one table with a total line, and exits non-zero when a test failed, a scenario
lost or duplicated anything, a leaderboard or MLflow disagreed, a fault was not survived, or
no scenario reported at all.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HEADERS = ("scenario", "faults", "submitted", "finished", "lost", "dup", "board", "mlflow", "s")


def run_scenarios(scale: str, pytest_args: Sequence[str], report: Path) -> int:
    """Run the scenarios; returns pytest's exit status."""
    env = {**os.environ, "PODIUM_RELIABILITY_SCALE": scale}
    env["PODIUM_RELIABILITY_REPORT"] = str(report)
    command = [sys.executable, "-m", "pytest", "tests/reliability", "-q", *pytest_args]
    return subprocess.run(command, cwd=REPO, env=env, check=False).returncode


def read_rows(report: Path) -> list[dict[str, Any]]:
    if not report.exists():
        return []
    return [json.loads(line) for line in report.read_text().splitlines() if line.strip()]


def _agreement(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "NO")


def cells(row: dict[str, Any]) -> tuple[str, ...]:
    faults = f"{row['faults_survived']}/{row['faults_injected']}" if row["faults_injected"] else "-"
    return (
        str(row["scenario"]),
        faults,
        str(row["submitted"]),
        str(row["finished"]),
        str(row["lost"]),
        str(row["duplicated"]),
        _agreement(row["board_agrees"]),
        _agreement(row["mlflow_agrees"]),
        f"{row['seconds']:.0f}",
    )


def total(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The sum of the rows; an agreement holds when every scenario that checked it agrees."""

    def all_of(key: str) -> bool | None:
        checked = [r[key] for r in rows if r[key] is not None]
        return all(checked) if checked else None

    summed = {
        key: sum(r[key] for r in rows)
        for key in ("faults_injected", "faults_survived", "submitted", "finished", "lost")
    }
    return {
        "scenario": "total",
        **summed,
        "duplicated": sum(r["duplicated"] for r in rows),
        "board_agrees": all_of("board_agrees"),
        "mlflow_agrees": all_of("mlflow_agrees"),
        "seconds": sum(r["seconds"] for r in rows),
    }


def problems(rows: list[dict[str, Any]], pytest_status: int) -> list[str]:
    """Why the run fails (empty: it passed)."""
    found = [] if pytest_status == 0 else [f"pytest exited with status {pytest_status}"]
    if not rows:
        found.append("no scenario reported a row")
    for row in rows:
        name = row["scenario"]
        if row["lost"] or row["duplicated"]:
            found.append(f"{name}: {row['lost']} lost, {row['duplicated']} duplicated")
        if row["board_agrees"] is False or row["mlflow_agrees"] is False:
            found.append(f"{name}: the leaderboard or MLflow disagrees with the database")
        if row["faults_survived"] < row["faults_injected"]:
            found.append(f"{name}: {row['faults_injected'] - row['faults_survived']} not survived")
    return found


def print_table(rows: list[dict[str, Any]]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain text, same columns
        _print_plain(rows)
        return
    table = Table(title="Reliability (tests/reliability)", title_justify="left")
    table.add_column(HEADERS[0], overflow="fold")
    for header in HEADERS[1:]:
        table.add_column(header, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*cells(row))
    table.add_section()
    table.add_row(*cells(total(rows)), style="bold")
    console = Console(width=100)
    console.print(table)
    for row in rows:
        if row.get("note"):
            console.print(f"{row['scenario']}: {row['note']}", markup=False, highlight=False)


def _print_plain(rows: list[dict[str, Any]]) -> None:
    widths = (34, 6, 9, 8, 5, 5, 5, 6, 5)
    line = "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in
                     enumerate(zip(HEADERS, widths, strict=True)))  # fmt: skip
    print(line)
    for row in [*rows, total(rows)]:
        values = (cells(row)[0][:34], *cells(row)[1:])
        print("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in
                        enumerate(zip(values, widths, strict=True))))  # fmt: skip
    for row in rows:
        if row.get("note"):
            print(f"{row['scenario']}: {row['note']}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("full", "small"), default="full")
    args, pytest_args = parser.parse_known_args(argv)
    with tempfile.TemporaryDirectory(prefix="podium-reliability-") as tmp:
        report = Path(tmp) / "rows.jsonl"
        status = run_scenarios(args.scale, pytest_args, report)
        rows = read_rows(report)
    if rows:
        print_table(rows)
    found = problems(rows, status)
    for problem in found:
        print(f"FAILED: {problem}")
    if not found:
        print(f"passed: {len(rows)} scenarios at scale {args.scale}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
