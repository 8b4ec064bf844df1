"""Each example's baselines, built as the platform builds submissions, score in their declared
range when run in the real sandbox on the hidden inputs and scored outside it."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from challenges import Bundle
from challenges.inputs import sandbox_limits_for, stage_inputs
from challenges.scoring import evaluate
from sandbox.runner import SandboxRunner

pytestmark = pytest.mark.docker

CASES = [
    ("breast-cancer-diagnosis", "logistic-regression"),
    ("digits-vision", "small-cnn"),
    ("digits-vision", "torchscript-mlp"),
    ("radio-path-loss", "gradient-boosting"),
]


@pytest.mark.parametrize(("slug", "name"), CASES, ids=[f"{s}:{n}" for s, n in CASES])
def test_baseline_scores_in_its_declared_range(
    slug: str,
    name: str,
    bundles: dict[str, Bundle],
    baseline_images: dict[tuple[str, str], str],
    docker_client: docker.DockerClient,
    tmp_path: Path,
) -> None:
    bundle = bundles[slug]
    baseline = next(b for b in bundle.spec.baselines if b.name == name)
    phase = baseline.phase or bundle.spec.phases[0].name
    inputs = stage_inputs(bundle, phase, tmp_path / "inputs")
    assert not any("label" in p.name for p in inputs.rglob("*") if p.is_file()), "labels leaked"
    result = SandboxRunner(docker_client).run(
        baseline_images[(slug, name)],
        inputs,
        tmp_path / "output",
        sandbox_limits_for(bundle.phase(phase)),
        env={"PODIUM_CHALLENGE": slug, "PODIUM_PHASE": phase},
    )
    assert result.succeeded, f"{result.message}\n{result.stderr_tail}"
    report = evaluate(tmp_path / "output", bundle, phase, split_secret="test-secret", resamples=200)
    primary = report.splits["all"][report.primary]
    low, high = baseline.expected_score
    assert primary.value is not None and low <= primary.value <= high
    assert primary.ci_low is not None and primary.ci_high is not None
    assert primary.ci_low <= primary.value <= primary.ci_high
    public, private = (
        report.splits["public"][report.primary],
        report.splits["private"][report.primary],
    )
    assert public.n_rows + private.n_rows == primary.n_rows
    assert result.peak_memory_mb is not None and result.cpu_seconds is not None
