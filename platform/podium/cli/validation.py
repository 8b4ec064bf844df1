"""Labelled data for `podium check`: where it comes from, and how it is scored.

Three sources, in this order of preference:

1. ``--bundle DIR``: the organiser's bundle; the phase's hidden set is the validation data. Only
   organisers hold it, and the output says so.
2. A public file named ``validation`` (a folder with ``inputs/``, laid out like ``/input``, and
   the labels file of ``task.labels``). Any challenge can publish one; no schema change needed.
3. A carved slice: for a task whose one input is a CSV, the rows of a public CSV that holds the
   id and label columns whose sha256(id) falls in a fixed 20% bucket (the same rows every time,
   on every machine). The model may have trained on them, so the score is optimistic.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from challenges import Bundle, ChallengeSpec
from challenges.errors import ChallengeError
from challenges.inputs import sandbox_limits_for, stage_inputs
from challenges.schema import Phase, TaskSpec
from evaluators.challenge import evaluate
from evaluators.evaluate import ScoreReport, score
from sandbox.limits import SandboxLimits
from sandbox.runner import SandboxRunner

VALIDATION_NAME = "validation"
CARVE_PERCENT = 20
LOCAL_SECRET = "podium-check"  # any fixed value: a local check reports the whole set


@dataclass(frozen=True)
class ValidationSet:
    """Inputs to mount at ``/input``, the labels to score against, and how."""

    source: str  # one line for people: where the data came from
    phase: str
    inputs: Path
    labels: Path
    spec: ChallengeSpec  # slug and task at least (model wrapping and scoring read them)
    metrics: list[str]
    decimals: int
    limits: SandboxLimits
    bundle: Bundle | None = None

    def score(self, output_dir: Path, runner: SandboxRunner) -> ScoreReport:
        """Validate and score the model's ``/output`` (raises InvalidPredictions)."""
        if self.bundle is not None:  # the organiser's own evaluator, scoring program included
            return evaluate(
                output_dir,
                self.bundle,
                self.phase,
                split_secret=LOCAL_SECRET,
                runner=runner,
                resamples=200,
            )
        task = self.spec.task
        return score(
            output_dir / task.predictions.file,
            self.labels,
            task.predictions,
            task.labels,
            self.metrics,
            split_secret=LOCAL_SECRET,
            public_fraction=1.0,
            decimals=self.decimals,
            resamples=200,
        )


def pick_phase(phases: list[Phase], wanted: str | None, now: datetime | None = None) -> Phase:
    """``wanted``, else the phase open now, else the next to open, else the last one."""
    if wanted is not None:
        found = next((p for p in phases if p.name == wanted), None)
        if found is None:
            names = ", ".join(p.name for p in phases)
            raise ChallengeError(f"no phase {wanted!r}; phases: {names}")
        return found
    moment = now or datetime.now(UTC)
    return (
        next((p for p in phases if p.is_open(moment)), None)
        or next((p for p in phases if p.start > moment), None)
        or phases[-1]
    )


def from_bundle(bundle: Bundle, phase_name: str | None, work_dir: Path) -> ValidationSet:
    """The bundle's hidden set of the phase, staged exactly as the platform stages it."""
    phase = pick_phase(bundle.spec.phases, phase_name)
    spec = bundle.spec
    return ValidationSet(
        source=(
            f"the bundle's hidden set {phase.data!r} of phase {phase.name} (organiser's local "
            "check: participants do not have these labels)"
        ),
        phase=phase.name,
        inputs=stage_inputs(bundle, phase.name, work_dir / "inputs"),
        labels=bundle.hidden_labels(phase.name),
        spec=spec,
        metrics=spec.metrics.names,
        decimals=spec.metrics.decimals,
        limits=sandbox_limits_for(phase),
        bundle=bundle,
    )


def server_spec(detail: dict[str, Any]) -> tuple[ChallengeSpec, list[str], int]:
    """The task, metric names and decimals of a challenge as the API describes it."""
    task = detail.get("task") or {}
    if not isinstance(task, dict) or "labels" not in task:
        raise ChallengeError(
            "this server does not publish the challenge's label format (task.labels), which "
            "`podium check` needs to score; ask its operators to update it, or use --bundle"
        )
    # only the slug and the task are read downstream (model wrapping, scoring), and the rest
    # of a full spec (hidden data, baselines) is never public: build the partial model as is
    spec = ChallengeSpec.model_construct(slug=detail["slug"], task=TaskSpec.model_validate(task))
    metrics = detail.get("metrics") or {}
    names = [str(metrics.get("primary")), *[str(m) for m in metrics.get("secondary") or []]]
    return spec, names, int(metrics.get("decimals", 4))


def server_phase(detail: dict[str, Any], wanted: str | None) -> Phase:
    """The phase to check against, with its declared sandbox limits."""
    phases = [
        Phase.model_validate(
            {
                "name": p["name"],
                "start": p["start"],
                "end": p["end"],
                "data": VALIDATION_NAME,
                "public_fraction": p["public_fraction"],
                "limits": p["limits"],
            }
        )
        for p in detail.get("phases") or []
    ]
    if not phases:
        raise ChallengeError(f"{detail.get('slug')} has no phases")
    return pick_phase(phases, wanted)


def csv_header(path: Path) -> list[str]:
    """The first row of a CSV file."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return next(csv.reader(handle), [])


def carvable_input(task: TaskSpec) -> str | None:
    """The task's one CSV input file name, or None when the task is not a single CSV."""
    if len(task.inputs) == 1 and task.inputs[0].kind == "file":
        name = task.inputs[0].path
        return name if name.lower().endswith(".csv") else None
    return None


def in_slice(row_id: str, percent: int = CARVE_PERCENT) -> bool:
    """Whether ``row_id`` falls in the fixed validation bucket (same answer everywhere)."""
    digest = hashlib.sha256(f"podium-validation\0{row_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < percent


def carve(table: Path, task: TaskSpec, dest: Path) -> tuple[Path, Path, int]:
    """Split the slice of ``table`` into ``dest/inputs/<input>`` and ``dest/<labels file>``.

    Returns:
        The inputs folder, the labels file and the number of rows carved.
    """
    input_name = carvable_input(task)
    id_column, label_columns = task.labels.id_column, task.labels.column_names
    header = csv_header(table)
    missing = [c for c in (id_column, *label_columns) if c not in header]
    if input_name is None or missing:
        raise ChallengeError(f"{table.name} lacks the columns {', '.join(missing)}")
    features = [c for c in header if c not in label_columns]
    inputs = dest / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    labels = dest / task.labels.file
    count = 0
    with (
        table.open(newline="", encoding="utf-8-sig") as src,
        (inputs / input_name).open("w", newline="", encoding="utf-8") as x_out,
        labels.open("w", newline="", encoding="utf-8") as y_out,
    ):
        x_writer, y_writer = csv.writer(x_out), csv.writer(y_out)
        x_writer.writerow(features)
        y_writer.writerow([id_column, *label_columns])
        for row in csv.DictReader(src):
            if in_slice(row[id_column]):
                x_writer.writerow([row[c] for c in features])
                y_writer.writerow([row[id_column], *(row[c] for c in label_columns)])
                count += 1
    inputs.chmod(0o755)
    return inputs, labels, count
