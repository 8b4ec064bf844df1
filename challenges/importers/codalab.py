"""CodaLab (v1) bundles: ``competition.yaml`` with numbered phases, html pages, a leaderboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from challenges.importers.common import (
    NO_END,
    close_phases,
    count,
    page_text,
    parse_date,
    program_command,
)
from challenges.importers.model import Column, Competition, PhasePlan, Task
from challenges.importers.report import ImportReport
from challenges.importers.source import ImportFailed, bundle_path, read_yaml

KNOWN = {"title", "description", "html", "phases", "leaderboard", "end_date", "admin_names"}
PHASE_KEYS = {
    "phasenumber", "label", "description", "start_date", "max_submissions",
    "max_submissions_per_day", "execution_time_limit", "scoring_program", "reference_data",
    "input_data", "ingestion_program", "public_data", "starting_kit", "is_scoring_only",
}  # fmt: skip


def read_codalab(root: Path, work: Path, report: ImportReport) -> Competition:
    """The competition a CodaLab v1 bundle describes.

    Raises:
        ImportFailed: a required key is missing or names a file the bundle lacks.
    """
    data = read_yaml(root, "competition.yaml")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ImportFailed("competition.yaml: title is missing; CodaLab requires it too")
    report.map("title", "title")
    for key in sorted(set(data) - KNOWN):
        report.drop(key, "Podium has no such setting")
    raw = data.get("phases")
    if not isinstance(raw, dict) or not raw:
        raise ImportFailed("competition.yaml: phases must map phase numbers to phases")
    tasks: dict[str, Task] = {}
    public: dict[str, Path] = {}
    plans = []
    for number in sorted(raw, key=lambda n: int(n)):
        item = raw[number]
        if not isinstance(item, dict):
            raise ImportFailed(f"phases.{number} must be a mapping")
        task, plan = _phase(number, item, root, work, report)
        tasks[task.key] = task
        plans.append(plan)
        for key in ("public_data", "starting_kit"):
            if item.get(key):
                path = bundle_path(root, item[key], f"phases.{number}.{key}", work)
                if path not in public.values():
                    public[f"{key.replace('_', '-')}-{number}"] = path
                    report.map(f"phases.{number}.{key}", "data.public")
    close_phases(plans, parse_date(data.get("end_date"), "end_date", report), report)
    columns, primary = _columns(data, report)
    overview = [f"# {title.strip()}", "", str(data.get("description") or "")]
    found = data.get("html")
    html: dict[str, Any] = found if isinstance(found, dict) else {}
    for page, path in html.items():
        if page != "terms":
            overview += [
                "",
                f"## {str(page).title()}",
                "",
                page_text(root, path, f"html.{page}", report),
            ]
    terms = page_text(root, html.get("terms"), "html.terms", report, "terms") or "See the overview."
    admins = [a.strip() for a in str(data.get("admin_names") or "").split(",") if a.strip()]
    return Competition(
        platform="codalab", title=title.strip(),
        summary=str(data.get("description") or title).strip(), overview="\n".join(overview),
        terms=terms, organisers=admins or ["the organisers"], tasks=tasks, phases=plans,
        columns=columns, primary=primary, public=public, submission_file="predictions",
    )  # fmt: skip


def _phase(
    number: Any, item: dict[str, Any], root: Path, work: Path, report: ImportReport
) -> tuple[Task, PhasePlan]:
    where = f"phases.{number}"
    for key in sorted(set(item) - PHASE_KEYS):
        report.drop(f"{where}.{key}", "Podium phases have no such setting")
    if not item.get("scoring_program"):
        raise ImportFailed(f"{where} has no scoring_program")
    scoring = bundle_path(root, item["scoring_program"], f"{where}.scoring_program", work)
    reference = bundle_path(root, item.get("reference_data"), f"{where}.reference_data", work)
    inputs = (
        bundle_path(root, item["input_data"], f"{where}.input_data", work)
        if item.get("input_data")
        else None
    )
    ingestion = None
    if item.get("ingestion_program") and not item.get("is_scoring_only"):
        ingestion = bundle_path(root, item["ingestion_program"], f"{where}.ingestion_program", work)
    key = f"phase-{number}"
    task = Task(
        key=key, description=str(item.get("description") or ""), reference=reference,
        scoring=scoring, scoring_command=program_command(scoring), inputs=inputs,
        ingestion=ingestion, ingestion_command=program_command(ingestion) if ingestion else None,
    )  # fmt: skip
    start = parse_date(item.get("start_date"), f"{where}.start_date", report)
    if start is None:
        raise ImportFailed(f"{where} has no start_date; CodaLab requires one too")
    name = str(item.get("label") or f"phase {number}")
    report.map(where, f"phase {name!r}")
    plan = PhasePlan(
        name=name, start=start, end=NO_END, task=key, result_only=ingestion is None,
        total=count(item.get("max_submissions"), f"{where}.max_submissions"),
        per_day=count(item.get("max_submissions_per_day"), f"{where}.max_submissions_per_day"),
        wall_seconds=count(item.get("execution_time_limit"), f"{where}.execution_time_limit"),
    )  # fmt: skip
    return task, plan


def _columns(data: dict[str, Any], report: ImportReport) -> tuple[list[Column], str]:
    board = data.get("leaderboard")
    raw = board.get("columns") if isinstance(board, dict) else None
    if not isinstance(raw, dict) or not raw:
        raise ImportFailed("competition.yaml: leaderboard.columns must define at least one column")
    boards = board.get("leaderboards") if isinstance(board, dict) else None
    if isinstance(boards, dict) and len(boards) > 1:
        report.assume(f"the {len(boards)} leaderboards are merged into one (Podium has one)")
    items = sorted(raw.items(), key=lambda kv: count((kv[1] or {}).get("rank"), "rank") or 99)
    columns = []
    for key, item in items:
        item = item if isinstance(item, dict) else {}
        computed = None
        if isinstance(item.get("computed"), dict):
            fields = str(item["computed"].get("fields") or "")
            operation = str(item["computed"].get("operation") or "Avg")
            computed = (operation, tuple(f.strip() for f in fields.split(",") if f.strip()))
        columns.append(Column(
            key=str(key), title=str(item.get("label") or key),
            greater_is_better=str(item.get("sort", "desc")).lower() != "asc",
            decimals=count(item.get("numeric_format"), f"columns.{key}.numeric_format"),
            computed=computed,
        ))  # fmt: skip
    chosen = [k for k, v in items if isinstance(v, dict) and v.get("selection_default")]
    primary = str(chosen[0] if chosen else items[0][0])
    report.assume(f"primary column: {primary!r} (selection_default, else the first by rank)")
    return columns, primary
