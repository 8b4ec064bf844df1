"""Write an imported competition as a Podium bundle folder, with its adapters and report."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from challenges.importers.model import Competition, PhasePlan, Task
from challenges.importers.report import ImportReport

ADAPTERS = Path(__file__).resolve().parent / "adapters"
RUNTIME = "podium/runtime-sklearn:3.11"
REPORT_FILE = "IMPORT_REPORT.md"
DEFAULT_WALL_SECONDS = 600
NO_INPUTS = "This task has no input data: teams submit results computed from the public data.\n"
STARTING_DOCKERFILE = f"""FROM {RUNTIME}
# your code, as the challenge's ingestion program expects it ($submission_program)
COPY . /app/submission
ENV PODIUM_SUBMISSION=/app/submission
ENTRYPOINT ["python", "/input/podium/ingest.py"]
"""


def slugify(text: str, limit: int = 64) -> str:
    """A Podium slug: lower case letters and digits joined by single hyphens."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-")
    return slug or "imported"


def metric_name(key: str) -> str:
    """A Podium metric name for their score key (``Prediction-Score`` → ``prediction_score``)."""
    name = re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")
    return name if re.match(r"^[a-z]", name) else f"m_{name}"


def write_bundle(comp: Competition, dest: Path, report: ImportReport) -> Path:
    """Write ``comp`` into the empty folder ``dest``; returns ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "overview.md").write_text(comp.overview, encoding="utf-8")
    metrics = _metrics(comp, report)
    hidden = {key: _hidden_set(comp, task, dest) for key, task in comp.tasks.items()}
    public = _public(comp, dest, hidden)
    spec: dict[str, Any] = {
        "version": 1,
        "slug": slugify(comp.title),
        "title": comp.title[:200],
        "summary": (comp.summary or comp.title)[:500],
        "description": "overview.md",
        "organisers": [{"name": name} for name in comp.organisers],
        "terms": comp.terms,
        "task": _task(comp),
        "metrics": metrics,
        "phases": [_phase(comp, plan, report) for plan in comp.phases],
        "data": {"public": public, "hidden": hidden},
    }
    _write_scoring(comp, dest, metrics)
    header = f"# Imported from {comp.platform}; see {REPORT_FILE} for what did not carry over.\n"
    text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100)
    (dest / "challenge.yaml").write_text(header + text, encoding="utf-8")
    (dest / REPORT_FILE).write_text(report.to_markdown(), encoding="utf-8")
    return dest


def metric_names(comp: Competition) -> dict[str, str]:
    """Their column keys → Podium metric names (numbered where two keys would clash)."""
    names = {c.key: metric_name(c.key) for c in comp.columns}
    if len(set(names.values())) != len(names):
        names = {c.key: f"{metric_name(c.key)}_{i}" for i, c in enumerate(comp.columns)}
    return names


def _metrics(comp: Competition, report: ImportReport) -> dict[str, Any]:
    names = metric_names(comp)
    for column in comp.columns:
        report.map(f"leaderboard column {column.key!r}", f"metric {names[column.key]}")
    decimals = [c.decimals for c in comp.columns if c.decimals is not None]
    if len(set(decimals)) > 1:
        report.assume(
            f"columns have different precisions ({sorted(set(decimals))}); Podium shows one "
            f"precision for all metrics: {max(decimals)}"
        )
    primary = names[comp.primary]
    return {
        "primary": primary,
        "secondary": [n for n in names.values() if n != primary],
        "decimals": min(max(decimals, default=4), 12),
        "scoring_program": {
            "path": "scoring",
            "contract": "files",
            "metrics": [
                {"name": names[c.key], "greater_is_better": c.greater_is_better}
                for c in comp.columns
            ],
        },
    }


def _task(comp: Competition) -> dict[str, Any]:
    first = next(iter(comp.tasks.values()))
    return {
        "description": first.description or comp.title,
        "inputs": [{"path": "input_data", "kind": "dir", "description": "the task's input data"}],
        # Podium does not read these columns: the imported scoring program checks the files
        "predictions": {
            "file": comp.submission_file,
            "id_column": "id",
            "kind": "value",
            "columns": [{"name": "imported_result", "type": "float"}],
        },
        "labels": {
            "file": "reference",
            "id_column": "id",
            "columns": [{"name": "imported_reference", "type": "float"}],
        },
        "runtime_image": RUNTIME,
    }


def _phase(comp: Competition, plan: PhasePlan, report: ImportReport) -> dict[str, Any]:
    total = plan.total or 100
    per_day = min(plan.per_day or min(5, total), total)
    wall = plan.wall_seconds or DEFAULT_WALL_SECONDS
    if plan.wall_seconds is None:
        report.assume(f"phase {plan.name!r} sets no time limit: {DEFAULT_WALL_SECONDS} s")
    return {
        "name": slugify(plan.name),
        "start": plan.start.isoformat(),
        "end": plan.end.isoformat(),
        "data": plan.task,
        "public_fraction": 1.0,
        "submission_kinds": ["predictions"] if plan.result_only else ["build"],
        "submissions": {"per_day": per_day, "total": total, "in_flight": 1},
        "limits": {"wall_seconds": wall, "memory_mb": 2048, "cpus": 1, "gpu": False},
        "leaderboard": {"visibility": "public", "rule": plan.rule},
    }


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, symlinks=False, dirs_exist_ok=True)
    else:
        shutil.copyfile(source, target)


def _hidden_set(comp: Competition, task: Task, dest: Path) -> dict[str, Any]:
    base = dest / "data" / "hidden" / task.key
    _copy(task.reference, base / "ref" if task.reference.is_dir() else base / "ref" / "reference")
    data = base / "input" / "input_data"
    if task.inputs is not None:
        _copy(task.inputs, data)
    if not any(p.is_file() for p in data.rglob("*")):
        data.mkdir(parents=True, exist_ok=True)
        (data / "NO_INPUT_DATA.txt").write_text(NO_INPUTS)
    if task.ingestion is not None:
        _copy(task.ingestion, base / "input" / "ingestion_program")
        _copy(ADAPTERS / "ingest.py", base / "input" / "podium" / "ingest.py")
        config = {"command": task.ingestion_command or "python $program/ingestion.py"}
        (base / "input" / "podium" / "ingest.json").write_text(json.dumps(config, indent=2))
    result_only = any(p.result_only for p in comp.phases if p.task == task.key)
    return {
        "inputs": f"data/hidden/{task.key}/input",
        "labels": f"data/hidden/{task.key}/ref",
        "public_inputs": result_only,
    }


def _public(
    comp: Competition, dest: Path, hidden: dict[str, dict[str, Any]]
) -> list[dict[str, str]]:
    entries: list[dict[str, str]] = []
    for name, source in comp.public.items():
        target = dest / "data" / "public" / name
        _copy(source, target)
        entries.append({"name": name, "path": f"data/public/{name}"})
    for key, spec in hidden.items():
        if spec["public_inputs"]:  # teams compute their results from these
            entries.append({"name": f"{key}-inputs", "path": f"{spec['inputs']}/input_data"})
    if any(t.ingestion is not None for t in comp.tasks.values()):
        kit = dest / "data" / "public" / "podium-starting-kit"
        kit.mkdir(parents=True, exist_ok=True)
        (kit / "Dockerfile").write_text(STARTING_DOCKERFILE)
        entries.append(
            {
                "name": "podium-starting-kit",
                "path": "data/public/podium-starting-kit",
                "description": "put this Dockerfile next to your code and submit the folder",
            }
        )
    return entries


def _write_scoring(comp: Competition, dest: Path, metrics: dict[str, Any]) -> None:
    scoring = dest / "scoring"
    scoring.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ADAPTERS / "score.py", scoring / "score.py")
    folders: dict[Path, str] = {}
    for key, task in comp.tasks.items():
        if task.scoring not in folders:
            folders[task.scoring] = f"programs/{key}"
            _copy(task.scoring, scoring / "programs" / key)
    columns = metric_names(comp)
    config = {
        "platform": comp.platform,
        "primary": metrics["primary"],
        "columns": {key: name for key, name in columns.items()},
        "computed": [
            {"metric": columns[c.key], "operation": c.computed[0], "keys": list(c.computed[1])}
            for c in comp.columns
            if c.computed is not None
        ],
        "phases": {
            slugify(plan.name): {
                "program": folders[comp.tasks[plan.task].scoring],
                "command": comp.tasks[plan.task].scoring_command,
                "codename": plan.codename,
            }
            for plan in comp.phases
        },
    }
    (scoring / "adapter.json").write_text(json.dumps(config, indent=2))
