"""Latency the platform adds: accepted upload → ``finished``, against a bare ``docker run``.

The model is trivial (an image that reads the ids in /input and writes a constant prediction
for each), so the difference is the platform's own cost: broker hop, database writes, staging
inputs, the smoke run on the public sample (a second container run, by design: see
docs/SECURITY.md), the hardened sandbox's bookkeeping, scoring with bootstrap intervals. Run from
the repository root:

    .venv/bin/python benchmarks/pipeline_latency.py [--n 10]

Each submission is a fresh row (same file): the first one builds the image, the others reuse it
by content (as re-submissions of the same file do), so the median measures the steady state.
Target: the platform adds at most 1.0 s (median) with the Redis broker.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from challenges.examples import build_example  # noqa: E402
from podium.db.models import SubmissionKind, SubmissionStatus  # noqa: E402
from tests.pipeline.harness import (  # noqa: E402
    Platform,
    Worker,
    constant_model,
    free_port,
    make_platform,
)


def bare_runs(image: str, n: int, work: Path, inputs: Path) -> list[float]:
    """Seconds of ``docker run --rm --network none`` of the image on the hidden inputs."""
    times = []
    for i in range(n):
        out = work / f"bare-{i}"
        out.mkdir()
        out.chmod(0o777)
        started = time.perf_counter()
        done = subprocess.run(
            ["docker", "run", "--rm", "--network", "none", "-e", "PODIUM_INPUT=/input",
             "-e", "PODIUM_OUTPUT=/output", "-v", f"{inputs}:/input:ro",
             "-v", f"{out}:/output", image],
            check=False, capture_output=True,
        )  # fmt: skip
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"the bare run failed: {done.stderr.decode()[-500:]}")
    return times


def platform_runs(platform: Platform, content: bytes, n: int) -> tuple[list[float], str]:
    """Seconds from submit (row committed and task sent) to ``finished``; and the image."""
    times = []
    digest = ""
    for _ in range(n + 1):  # the first one builds the image: not counted
        started = time.perf_counter()
        # the organiser's baseline: one team, no quota, the image reused by content
        submission_id = platform.submit(
            "quick-check", SubmissionKind.BUILD, content, "m.tar", baseline=True
        )
        while (status := platform.get(submission_id).status) not in (
            SubmissionStatus.FINISHED, SubmissionStatus.FAILED, SubmissionStatus.ERROR,
        ):  # fmt: skip
            time.sleep(0.01)
        elapsed = time.perf_counter() - started
        assert status is SubmissionStatus.FINISHED, platform.get(submission_id).reason
        digest = platform.get(submission_id).image_digest or ""
        times.append(elapsed)
        STAGES.append(stage_seconds(platform, submission_id))
        time.sleep(2.0)  # an idle worker (its MLflow copy of the previous run written)
    del STAGES[-n - 1]
    return times[1:], digest


STAGES: list[dict[str, float]] = []


def stage_seconds(platform: Platform, submission_id: int) -> dict[str, float]:
    """Seconds spent in each status, from the submission's stamped events."""
    events = platform.events(submission_id)
    return {
        f"{a.status.value}": (b.at - a.at).total_seconds()
        for a, b in zip(events, events[1:], strict=False)
    }


def measure(
    name: str, home: Path, bundle: Path, n: int, **overrides: str
) -> tuple[list[float], str]:
    platform = make_platform(home, **overrides)
    platform.register(bundle)
    worker = Worker(platform, home.parent / f"{name}-worker.log").wait_ready()
    try:
        return platform_runs(platform, constant_model(), n)
    finally:
        worker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10)
    args = parser.parse_args()
    from tests.pipeline.harness import quick_bundle

    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        work = Path(tmp)
        built = build_example("breast-cancer-diagnosis", dest_root=work / "examples")
        bundle = quick_bundle(built, work / "quick", wall_seconds=60)
        port = free_port()
        redis = subprocess.Popen(
            ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        try:
            time.sleep(0.5)
            on_redis, image = measure("redis", work / "redis" / "home", bundle, args.n,
                                      broker_url=f"redis://127.0.0.1:{port}/0")  # fmt: skip
        finally:
            redis.terminate()
        on_sqlite, _ = measure("sqlite", work / "sqlite" / "home", bundle, args.n)
        inputs = next((bundle / "data" / "hidden").rglob("test.csv")).parent
        bare = bare_runs(image, args.n, work, inputs)
    report(bare, on_redis, on_sqlite, args.n)


def report(bare: list[float], on_redis: list[float], on_sqlite: list[float], n: int) -> None:
    base = statistics.median(bare)
    print(f"N={n} each; medians in seconds (min-max)")
    for label, values in (("bare docker run", bare), ("platform, Redis broker", on_redis),
                          ("platform, SQLite broker", on_sqlite)):  # fmt: skip
        median = statistics.median(values)
        added = "" if values is bare else f"  added {median - base:+.3f} s"
        print(f"  {label:<24} {median:.3f} ({min(values):.3f}-{max(values):.3f}){added}")
    for name in ("queued", "preparing", "running", "scoring"):
        values = [stage.get(name, 0.0) for stage in STAGES]
        print(f"  median time in {name:<10} {statistics.median(values):.3f} s (both brokers)")
    verdict = "met" if statistics.median(on_redis) - base <= 1.0 else "NOT met"
    print(f"target (Redis adds <= 1.0 s): {verdict}")


if __name__ == "__main__":
    main()
