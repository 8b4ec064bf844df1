"""Codabench bundles: ``competition.yaml`` with ``version: 2``, tasks, phases, leaderboards."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

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

IGNORED = {
    "image": "Podium challenges have no logo",
    "registration_auto_approve": "anyone may join a Podium challenge",
    "docker_image": "organiser programs and builds run on Podium's runtime images",
    "solutions": "Podium baselines need an expected score range; add them by hand",
    "enable_detailed_results": "Podium has no detailed-results page",
    "queue": "Podium runs every challenge on its own workers",
    "fact_sheet": "Podium does not collect fact sheets",
}
KNOWN = {"version", "title", "description", "terms", "pages", "tasks", "phases", "leaderboards"}
RULES: dict[str, Literal["best", "latest"]] = {"Force_Last": "latest", "Force_Best": "best"}


def read_codabench(root: Path, work: Path, report: ImportReport) -> Competition:
    """The competition a Codabench bundle describes.

    Raises:
        ImportFailed: a required key is missing or names a file the bundle lacks.
    """
    data = read_yaml(root, "competition.yaml")
    title = _required_text(data, "title")
    report.map("title", "title")
    for key in sorted(set(data) - KNOWN):
        report.drop(key, IGNORED.get(key, "Podium has no such setting"))
    tasks = {key: task for key, task in _tasks(data, root, work, report).items()}
    phases = [
        _phase(item, i, tasks, root, work, report) for i, item in enumerate(_list(data, "phases"))
    ]
    close_phases(phases, None, report)
    columns, primary = _leaderboard(data, report)
    rule = RULES.get(str(_list(data, "leaderboards")[0].get("submission_rule")), "best")
    phases = [replace(plan, rule=rule) for plan in phases]
    public = _public_files(data, root, work, report)
    description = str(data.get("description") or "")
    pages = [f"# {title}", "", description]
    for i, page in enumerate(data.get("pages") or []):
        if isinstance(page, dict):
            text = page_text(root, page.get("file"), f"pages[{i}]", report)
            pages += ["", f"## {page.get('title') or 'Page'}", "", text]
    terms = page_text(root, data.get("terms"), "terms", report, "terms") or _no_terms(report)
    report.assume("organisers: Codabench bundles name none; edit organisers in challenge.yaml")
    return Competition(
        platform="codabench", title=title, summary=description or title,
        overview="\n".join(pages) + "\n", terms=terms, organisers=["the organisers"],
        tasks=tasks, phases=phases, columns=columns, primary=primary, public=public,
        submission_file="predictions",
    )  # fmt: skip


def _no_terms(report: ImportReport) -> str:
    report.assume("the bundle has no terms: Podium's terms say 'See the overview.'")
    return "See the overview."


def _required_text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ImportFailed(f"competition.yaml: {key} is missing; Codabench requires it too")
    return value.strip()


def _list(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise ImportFailed(f"competition.yaml: {key} must be a non-empty list of mappings")
    return value


def _tasks(data: dict[str, Any], root: Path, work: Path, report: ImportReport) -> dict[str, Task]:
    tasks: dict[str, Task] = {}
    for i, item in enumerate(_list(data, "tasks")):
        index = item.get("index", i)
        where = f"tasks[{i}]"
        if "scoring_program" not in item:
            raise ImportFailed(f"competition.yaml: {where} has no scoring_program")
        scoring = bundle_path(root, item["scoring_program"], f"{where}.scoring_program", work)
        reference = bundle_path(root, item.get("reference_data"), f"{where}.reference_data", work)
        inputs = ingestion = None
        if item.get("input_data"):
            inputs = bundle_path(root, item["input_data"], f"{where}.input_data", work)
        if item.get("ingestion_program"):
            ingestion = bundle_path(
                root, item["ingestion_program"], f"{where}.ingestion_program", work
            )
        if item.get("ingestion_only_during_scoring"):
            raise ImportFailed(
                f"{where}: ingestion_only_during_scoring is not supported; Podium runs the "
                "ingestion program in the team's container"
            )
        key = f"task-{index}"
        tasks[key] = Task(
            key=key, description=str(item.get("description") or item.get("name") or ""),
            reference=reference, scoring=scoring, scoring_command=program_command(scoring),
            inputs=inputs, ingestion=ingestion,
            ingestion_command=program_command(ingestion) if ingestion else None,
        )  # fmt: skip
        report.map(f"{where} ({item.get('name', key)})", f"data.hidden.{key}")
    return tasks


def _phase(
    item: dict[str, Any], i: int, tasks: dict[str, Task], root: Path, work: Path,
    report: ImportReport,
) -> PhasePlan:  # fmt: skip
    where = f"phases[{i}]"
    name = str(item.get("name") or f"phase {i + 1}")
    listed = item.get("tasks") or []
    if not isinstance(listed, list) or len(listed) != 1:
        raise ImportFailed(
            f"{where} ({name}) lists {len(listed) if isinstance(listed, list) else 0} tasks; "
            "a Podium phase scores exactly one: split it into one phase per task"
        )
    key = f"task-{listed[0]}"
    if key not in tasks:
        raise ImportFailed(f"{where} ({name}) names task {listed[0]}, which tasks does not define")
    start = parse_date(item.get("start"), f"{where}.start", report)
    if start is None:
        raise ImportFailed(f"{where} ({name}) has no start; Codabench requires one too")
    end = parse_date(item.get("end"), f"{where}.end", report) or NO_END
    for dropped in sorted(
        set(item)
        - {
            "index",
            "name",
            "description",
            "start",
            "end",
            "tasks",
            "max_submissions",
            "max_submissions_per_day",
            "execution_time_limit",
            "starting_kit",
            "public_data",
        }
    ):
        report.drop(f"{where}.{dropped}", "Podium phases have no such setting")
    report.map(f"{where} ({name})", f"phase {name!r}")
    return PhasePlan(
        name=name, start=start, end=end, task=key, result_only=tasks[key].ingestion is None,
        total=count(item.get("max_submissions"), f"{where}.max_submissions"),
        per_day=count(item.get("max_submissions_per_day"), f"{where}.max_submissions_per_day"),
        wall_seconds=count(item.get("execution_time_limit"), f"{where}.execution_time_limit"),
    )  # fmt: skip


def _leaderboard(data: dict[str, Any], report: ImportReport) -> tuple[list[Column], str]:
    boards = _list(data, "leaderboards")
    if len(boards) > 1:
        report.assume(f"only the first of {len(boards)} leaderboards is used (Podium has one)")
    board = boards[0]
    rule = board.get("submission_rule")
    report.assume(
        f"submission_rule {rule!r}: a team's {RULES.get(str(rule), 'best')} submission ranks"
    )
    raw = board.get("columns")
    if not isinstance(raw, list) or not raw:
        raise ImportFailed("leaderboards[0].columns must list at least one column")
    by_index = {c.get("index", i): c for i, c in enumerate(raw) if isinstance(c, dict)}
    columns = []
    for index, item in sorted(by_index.items()):
        key = str(item.get("key") or "")
        if not key:
            raise ImportFailed(f"leaderboards[0].columns[{index}] has no key")
        computed = None
        if item.get("computation"):
            sources = [
                str(by_index[j].get("key"))
                for j in item.get("computation_indexes") or []
                if j in by_index
            ]
            computed = (str(item["computation"]), tuple(sources))
        columns.append(Column(
            key=key, title=str(item.get("title") or key),
            greater_is_better=str(item.get("sorting", "desc")).lower() != "asc",
            decimals=count(item.get("precision"), f"column {key}.precision"), computed=computed,
        ))  # fmt: skip
    primary_index = board.get("primary_index", 0)
    primary = str((by_index.get(primary_index) or raw[0]).get("key"))
    report.assume(f"primary column: {primary!r} (primary_index {primary_index})")
    return columns, primary


def _public_files(
    data: dict[str, Any], root: Path, work: Path, report: ImportReport
) -> dict[str, Path]:
    public: dict[str, Path] = {}
    for i, phase in enumerate(data.get("phases") or []):
        for key in ("starting_kit", "public_data"):
            if isinstance(phase, dict) and phase.get(key):
                path = bundle_path(root, phase[key], f"phases[{i}].{key}", work)
                name = key.replace("_", "-")
                if path not in public.values():
                    public[name if name not in public else f"{name}-{i}"] = path
                    report.map(f"phases[{i}].{key}", f"data.public {name}")
    return public
