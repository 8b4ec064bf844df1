"""Labelled data for `podium check`: where it comes from, and how it is scored.

Three sources, in this order of preference:

1. ``--bundle DIR``: the organiser's bundle; the phase's hidden set is the validation data. Only
   organisers hold it, and the output says so.
2. and 3. The challenge's public sample, by the rule in :mod:`challenges.samples` (a public
   ``validation`` folder, else a fixed slice carved from a public CSV): the same rule the worker
   uses for the smoke run before the hidden data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from challenges import Bundle, ChallengeSpec
from challenges.errors import ChallengeError
from challenges.inputs import sandbox_limits_for, stage_inputs
from challenges.phases import choose_phase
from challenges.samples import (  # noqa: F401  (re-exported: the CLI's names for the rule)
    CARVE_PERCENT,
    VALIDATION_NAME,
    can_carve_from,
    carvable_input,
    carve,
    csv_header,
    in_slice,
    validation_folder_ok,
)
from challenges.schema import MetricsSpec, Phase, TaskSpec
from challenges.scoring import evaluate
from evaluators.evaluate import ScoreReport, score
from sandbox.limits import SandboxLimits
from sandbox.runner import SandboxRunner

Section = TypeVar("Section", bound=BaseModel)

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
    """``wanted``, else the platform's default (:data:`challenges.phases.DEFAULT_RULE`)."""
    found = choose_phase(phases, wanted, now or datetime.now(UTC))
    if found is None:
        names = ", ".join(p.name for p in phases)
        raise ChallengeError(f"no phase {wanted!r}; phases: {names or 'none'}")
    return found


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
    parsed_task = _section(TaskSpec, task, "task")
    metrics = _section(MetricsSpec, detail.get("metrics"), "metrics")
    # only the slug, the task and the metrics are read downstream (model wrapping, scoring),
    # and the rest of a full spec (hidden data, baselines) is never public: a partial model
    spec = ChallengeSpec.model_construct(slug=detail["slug"], task=parsed_task, metrics=metrics)
    return spec, metrics.names, metrics.decimals


def _section(model: type[Section], value: Any, name: str) -> Section:
    try:
        return model.model_validate(value)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join((name, *(str(part) for part in first["loc"])))
        raise ChallengeError(
            f"this server describes the challenge in a form `podium check` cannot read "
            f"({where}: {first['msg']}); ask its operators, or use --bundle"
        ) from None


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
