"""Readers every importer shares: dates, pages, numbers, program commands."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from challenges.importers.model import PhasePlan
from challenges.importers.report import ImportReport
from challenges.importers.source import ImportFailed

OPEN_ENDED_YEARS = 10
MONTH_FIRST = ("%m-%d-%Y", "%m/%d/%Y", "%m-%d-%Y %H:%M", "%m/%d/%Y %H:%M")


def parse_date(value: Any, what: str, report: ImportReport) -> datetime | None:
    """A timezone-aware datetime from a YAML date, an ISO text or a month-first text.

    Raises:
        ImportFailed: a text that is none of those.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        moment = _from_text(str(value).strip(), what, report)
    if moment.tzinfo is None:
        report.assume(f"{what} has no time zone: read as UTC")
        moment = moment.replace(tzinfo=UTC)
    return moment


def _from_text(text: str, what: str, report: ImportReport) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for pattern in MONTH_FIRST:
        try:
            moment = datetime.strptime(text, pattern)
        except ValueError:
            continue
        report.assume(f"{what} {text!r} read month first (as Codabench does): {moment:%Y-%m-%d}")
        return moment
    raise ImportFailed(f"{what} {text!r} is not a date; write YYYY-MM-DD or MM-DD-YYYY")


def close_phases(plans: list[PhasePlan], last_end: datetime | None, report: ImportReport) -> None:
    """Give every phase an end (the next one's start, else ``last_end``, else ten years) and
    make them follow each other without overlap, as Podium requires."""
    for i, plan in enumerate(plans):
        following = plans[i + 1].start if i + 1 < len(plans) else None
        end = plan.end
        if end.year == 1:  # no end given
            end = following or last_end or plan.start + timedelta(days=365 * OPEN_ENDED_YEARS)
            report.assume(f"phase {plan.name!r} has no end: it ends at {end.isoformat()}")
        if following is not None and end > following:
            report.assume(
                f"phase {plan.name!r} ends after the next one starts: it now ends at "
                f"{following.isoformat()} (Podium's phases do not overlap)"
            )
            end = following
        if end <= plan.start:
            raise ImportFailed(f"phase {plan.name!r} ends before it starts ({end.isoformat()})")
        plans[i] = replace(plan, end=end)


NO_END = datetime(1, 1, 1, tzinfo=UTC)


def page_text(
    root: Path, relative: Any, what: str, report: ImportReport, target: str = "overview.md"
) -> str:
    """The text of a page the YAML names (HTML or Markdown, kept as written), or ''."""
    if not isinstance(relative, str) or not relative:
        return ""
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        report.drop(what, f"{relative} is not a file in the bundle")
        return ""
    report.map(what, target)
    return path.read_text(encoding="utf-8", errors="replace").strip()


def program_command(folder: Path) -> str | None:
    """The ``command`` of a program's ``metadata`` or ``metadata.yaml``, if it has one."""
    for name in ("metadata.yaml", "metadata"):
        path = folder / name
        if path.is_file():
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
            except yaml.YAMLError:
                raise ImportFailed(f"{folder.name}/{name} is not valid YAML") from None
            if isinstance(data, dict) and isinstance(data.get("command"), str):
                return str(data["command"])
    return None


def count(value: Any, what: str) -> int | None:
    """A positive whole number, or None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ImportFailed(f"{what} must be a number; got {value!r}")
    try:
        number = int(float(value))
    except ValueError:
        raise ImportFailed(f"{what} must be a number; got {value!r}") from None
    return number if number > 0 else None
