"""Checks that span sections of ``challenge.yaml``; each returns ``(key_path, message)`` pairs.

They take the validated sections by name and skip whatever section failed to validate, so the
bundle validator can report problems in several sections at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import TypeVar

import evaluators
from challenges.schema import Baseline, DataSpec, MetricsSpec, Phase, TaskSpec

Found = list[tuple[str, str]]
Sections = Mapping[str, object]

T = TypeVar("T")


def cross_section_problems(sections: Sections) -> Found:
    """Run every cross-section check on the sections that validated."""
    checks: list[Callable[[Sections], Found]] = [
        _phase_problems,
        _metric_problems,
        _baseline_problems,
        _model_file_problems,
        _predictions_problems,
    ]
    return [found for check in checks for found in check(sections)]


def _get(sections: Sections, name: str, kind: type[T]) -> T | None:
    value = sections.get(name)
    return value if isinstance(value, kind) else None


def _indexed(sections: Sections, name: str, kind: type[T]) -> list[tuple[int, T]]:
    """Items of a list section that validated, with their index in the YAML list.

    A list whose items did not all validate holds None in their place (see the bundle loader).
    """
    value = sections.get(name)
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, kind)]


def _phases(sections: Sections) -> list[tuple[int, Phase]]:
    return _indexed(sections, "phases", Phase)


def _phase_problems(sections: Sections) -> Found:
    phases = _phases(sections)
    found: Found = []
    names = [p.name for _, p in phases]
    by_index = dict(phases)
    for i, phase in phases:
        if names.count(phase.name) > 1 and names.index(phase.name) != i:
            found.append((f"phases[{i}].name", f"phase name {phase.name!r} is used twice"))
        previous = by_index.get(i - 1)
        if previous is not None and phase.start < previous.end:
            found.append(
                (
                    f"phases[{i}].start",
                    f"phase {phase.name!r} starts ({phase.start.isoformat()}) before phase "
                    f"{previous.name!r} ends ({previous.end.isoformat()}); list phases in order, "
                    "without overlap",
                )
            )
    data = _get(sections, "data", DataSpec)
    if data is not None:
        for i, phase in phases:
            if phase.data not in data.hidden:
                found.append(
                    (
                        f"phases[{i}].data",
                        f"unknown hidden set {phase.data!r}"
                        f"{_suggest(phase.data, list(data.hidden))}; "
                        f"data.hidden defines: {', '.join(data.hidden)}",
                    )
                )
    return found


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def _metric_problems(sections: Sections) -> Found:
    """Each metric is one the evaluators know (parametrised names such as ``top_2_accuracy``
    included) and accepts the task's prediction kind, as the scorer will require."""
    metrics = _get(sections, "metrics", MetricsSpec)
    if metrics is None or metrics.scoring_program is not None:
        return []
    task = _get(sections, "task", TaskSpec)
    keyed = [("metrics.primary", metrics.primary)] + [
        (f"metrics.secondary[{i}]", name) for i, name in enumerate(metrics.secondary)
    ]
    found: Found = []
    for key, name in keyed:
        try:
            metric = evaluators.get_metric(name)
        except evaluators.UnknownMetric as unknown:
            hint = f"; did you mean {unknown.suggestion}?" if unknown.suggestion else ""
            found.append(
                (key, f"unknown metric {name!r}{hint}; valid metrics: {', '.join(unknown.valid)}")
            )
            continue
        kind = None if task is None else task.predictions.kind
        if kind is not None and kind not in metric.accepts:
            takes = " or ".join(repr(k) for k in sorted(metric.accepts))
            found.append(
                (
                    key,
                    f"metric {name!r} needs {takes} predictions; task.predictions.kind is {kind!r}",
                )
            )
    return found


def _baseline_problems(sections: Sections) -> Found:
    baselines = _indexed(sections, "baselines", Baseline)
    phase_names = [p.name for _, p in _phases(sections)]
    raw_phases = sections.get("phases")
    complete = isinstance(raw_phases, list) and len(phase_names) == len(raw_phases)
    found: Found = []
    seen: set[str] = set()
    for i, baseline in baselines:
        if baseline.name in seen:
            found.append((f"baselines[{i}].name", f"baseline {baseline.name!r} is named twice"))
        seen.add(baseline.name)
        if complete and baseline.phase and baseline.phase not in phase_names:
            found.append(
                (
                    f"baselines[{i}].phase",
                    f"unknown phase {baseline.phase!r}{_suggest(baseline.phase, phase_names)}; "
                    f"phases: {', '.join(phase_names)}",
                )
            )
    return found


def _model_file_problems(sections: Sections) -> Found:
    task = _get(sections, "task", TaskSpec)
    if task is None or task.model_file is not None:
        return []
    found: Found = []
    for i, phase in _phases(sections):
        if "model" in phase.submission_kinds:
            found.append(
                (
                    f"phases[{i}].submission_kinds",
                    "'model' submissions need task.model_file (the runner and its contract); "
                    "add it or remove 'model'",
                )
            )
    for i, baseline in _indexed(sections, "baselines", Baseline):
        if baseline.kind == "model":
            found.append((f"baselines[{i}].kind", "a 'model' baseline needs task.model_file"))
    return found


def _predictions_problems(sections: Sections) -> Found:
    """A phase takes prediction files only where its test inputs are public: a file is scored
    as is, so a team must be able to make it from the inputs on its own machine."""
    data = _get(sections, "data", DataSpec)
    if data is None:
        return []
    found: Found = []
    for i, phase in _phases(sections):
        hidden = data.hidden.get(phase.data)
        if "predictions" in phase.submission_kinds and hidden and not hidden.public_inputs:
            found.append(
                (
                    f"phases[{i}].submission_kinds",
                    f"'predictions' submissions need public test inputs: set "
                    f"data.hidden.{phase.data}.public_inputs to true (and publish them in "
                    "data.public), or remove 'predictions'",
                )
            )
    return found
