"""EvalAI bundles: ``challenge_config.yaml``, an ``evaluation_script`` zip, annotation files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from challenges.importers.common import close_phases, count, page_text, parse_date
from challenges.importers.model import Column, Competition, PhasePlan, Task
from challenges.importers.report import ImportReport
from challenges.importers.source import ImportFailed, bundle_path, read_yaml

PAGES = ("description", "evaluation_details", "submission_guidelines")
KNOWN = {
    "title", "short_description", *PAGES, "terms_and_conditions", "evaluation_script",
    "start_date", "end_date", "leaderboard", "challenge_phases", "dataset_splits",
    "challenge_phase_splits", "remote_evaluation", "is_docker_based",
}  # fmt: skip
PUBLIC = 3  # EvalAI's visibility: 1 host only, 2 owner and host, 3 public


def read_evalai(root: Path, work: Path, report: ImportReport) -> Competition:
    """The competition an EvalAI bundle describes.

    Raises:
        ImportFailed: a required key is missing, names a missing file, or asks for remote or
            Docker-based evaluation.
    """
    data = read_yaml(root, "challenge_config.yaml")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ImportFailed("challenge_config.yaml: title is missing; EvalAI requires it too")
    for key in ("remote_evaluation", "is_docker_based"):
        if data.get(key):
            raise ImportFailed(f"{key}: true is not supported; Podium scores on its own workers")
    for key in sorted(set(data) - KNOWN):
        report.drop(key, "Podium has no such setting")
    program = _program(root, work, data)
    report.map("evaluation_script", "scoring/programs (run by the adapter)")
    splits = {s.get("id"): str(s.get("codename")) for s in _list(data, "dataset_splits")}
    links = _list(data, "challenge_phase_splits")
    plans, tasks = _phases(data, root, work, report, program)
    columns, primary = _columns(data, splits, links, report)
    overview = [f"# {title.strip()}", "", str(data.get("short_description") or "")]
    for page in PAGES:
        overview += ["", f"## {page.replace('_', ' ').title()}", "",
                     page_text(root, data.get(page), page, report)]  # fmt: skip
    terms = page_text(
        root, data.get("terms_and_conditions"), "terms_and_conditions", report, "terms"
    )
    return Competition(
        platform="evalai", title=title.strip(),
        summary=str(data.get("short_description") or title).strip(),
        overview="\n".join(overview) + "\n", terms=terms or "See the overview.",
        organisers=["the organisers"], tasks=tasks, phases=plans, columns=columns,
        primary=primary, submission_file="submission",
    )  # fmt: skip


def _list(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise ImportFailed(f"challenge_config.yaml: {key} must be a non-empty list of mappings")
    return value


def _program(root: Path, work: Path, data: dict[str, Any]) -> Path:
    """A folder holding the ``evaluation_script`` package, as the adapter imports it."""
    if not data.get("evaluation_script"):
        raise ImportFailed("challenge_config.yaml: evaluation_script is missing")
    script = bundle_path(root, data["evaluation_script"], "evaluation_script", work)
    package = script / "evaluation_script" if (script / "evaluation_script").is_dir() else script
    if not (package / "__init__.py").is_file():
        raise ImportFailed(
            "evaluation_script has no __init__.py at its top; EvalAI imports it as a package "
            "whose evaluate() it calls"
        )
    folder = work / "evalai-program"
    shutil.copytree(package, folder / "evaluation_script", dirs_exist_ok=True)
    return folder


def _phases(
    data: dict[str, Any], root: Path, work: Path, report: ImportReport, program: Path
) -> tuple[list[PhasePlan], dict[str, Task]]:
    plans: list[PhasePlan] = []
    tasks: dict[str, Task] = {}
    for i, item in enumerate(_list(data, "challenge_phases")):
        where = f"challenge_phases[{i}]"
        codename = str(item.get("codename") or f"phase{i + 1}")
        annotation = bundle_path(root, item.get("test_annotation_file"),
                                 f"{where}.test_annotation_file", work)  # fmt: skip
        key = f"phase-{item.get('id', i + 1)}"
        tasks[key] = Task(key=key, description=str(item.get("name") or codename),
                          reference=annotation, scoring=program)  # fmt: skip
        start = parse_date(item.get("start_date"), f"{where}.start_date", report)
        end = parse_date(item.get("end_date"), f"{where}.end_date", report)
        if start is None or end is None:
            raise ImportFailed(f"{where} needs start_date and end_date; EvalAI requires them too")
        for dropped in (
            "max_submissions_per_month",
            "submission_meta_attributes",
            "is_partial_submission_evaluation_enabled",
            "allowed_submission_file_types",
            "is_restricted_to_select_one_submission",
            "leaderboard_public",
        ):
            if dropped in item:
                report.drop(f"{where}.{dropped}", "Podium phases have no such setting")
        report.map(where, f"phase {item.get('name') or codename!r} (codename {codename})")
        plans.append(PhasePlan(
            name=str(item.get("name") or codename), start=start, end=end, task=key,
            result_only=True, total=count(item.get("max_submissions"), f"{where}.max_submissions"),
            per_day=count(item.get("max_submissions_per_day"), f"{where}.max_submissions_per_day"),
            codename=codename,
        ))  # fmt: skip
    close_phases(plans, None, report)
    return plans, tasks


def _columns(
    data: dict[str, Any], splits: dict[Any, str], links: list[dict[str, Any]], report: ImportReport
) -> tuple[list[Column], str]:
    boards = _list(data, "leaderboard")
    schema = boards[0].get("schema") or {}
    labels = [str(label) for label in schema.get("labels") or []]
    if not labels:
        raise ImportFailed("leaderboard[0].schema.labels must list the metrics")
    default = str(schema.get("default_order_by") or labels[0])
    meta = schema.get("metadata") or {}
    used = list(dict.fromkeys(splits.get(link.get("dataset_split_id"), "") for link in links))
    if "" in used:
        raise ImportFailed("challenge_phase_splits names a dataset split that is not defined")
    phases_of = {
        s: {
            link.get("challenge_phase_id")
            for link in links
            if splits.get(link.get("dataset_split_id")) == s
        }
        for s in used
    }
    every = {item.get("id") for item in _list(data, "challenge_phases")}
    common = [s for s in used if phases_of[s] >= every]
    if not common:
        raise ImportFailed(
            "no dataset split is scored in every phase; Podium ranks every phase on one primary "
            "metric: add a split common to all phases"
        )
    hidden = sorted({splits.get(link.get("dataset_split_id"), "") for link in links
                     if link.get("visibility") != PUBLIC})  # fmt: skip
    if hidden:
        report.assume(
            f"splits shown to hosts only on EvalAI ({', '.join(hidden)}) become columns of "
            "Podium's leaderboard, which has one visibility per phase"
        )
    descending = {
        splits.get(link.get("dataset_split_id")): link.get("is_leaderboard_order_descending", True)
        for link in links
    }
    precision = [count(link.get("leaderboard_decimal_precision"), "precision") for link in links]
    columns = []
    for split in used:
        for label in labels:
            ascending = (meta.get(label) or {}).get("sort_ascending")
            better = not ascending if ascending is not None else bool(descending.get(split, True))
            columns.append(
                Column(
                    key=f"{split}/{label}",
                    title=f"{label} ({split})",
                    greater_is_better=better,
                    decimals=max((p for p in precision if p), default=None),
                )
            )
    primary = f"{common[0]}/{default}"
    report.assume(f"primary column: {default} on split {common[0]} (default_order_by)")
    return columns, primary
