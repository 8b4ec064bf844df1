"""How much the hardened sandbox adds over a bare `docker run --rm --network none IMAGE`.

Runs the same trivial image 20 times each way, interleaved so that machine noise hits both
alike, and prints both medians, their difference and their ratio. Target: at most 150 ms added.

    .venv/bin/python benchmarks/sandbox_overhead.py [--runs 20] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import docker

from sandbox.limits import SandboxLimits
from sandbox.runner import SandboxRunner

TARGET_MS = 150.0


def trivial_image(client: docker.DockerClient) -> str:
    """An image whose entrypoint does nothing: what is left to time is the sandbox itself."""
    dockerfile = b'FROM podium/runtime-python:3.11\nCMD ["true"]\n'
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
    context.seek(0)
    image, _ = client.images.build(fileobj=context, custom_context=True, tag="podium-bench/true:1")
    return str(image.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    client = docker.from_env(timeout=120)
    image = trivial_image(client)
    runner = SandboxRunner(client)
    limits = SandboxLimits(wall_seconds=30)
    bare: list[float] = []
    sandboxed: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp) / "input"
        inputs.mkdir()
        for i in range(args.runs + 1):
            start = time.perf_counter()
            subprocess.run(
                ["docker", "run", "--rm", "--network", "none", image],
                check=True,
                capture_output=True,
            )
            bare_s = time.perf_counter() - start
            start = time.perf_counter()
            result = runner.run(image, inputs, Path(tmp) / f"out{i}", limits)
            sandbox_s = time.perf_counter() - start
            assert result.succeeded, result.message
            if i:  # the first pair warms caches
                bare.append(bare_s)
                sandboxed.append(sandbox_s)
    bare_ms = statistics.median(bare) * 1000
    sandbox_ms = statistics.median(sandboxed) * 1000
    report = {
        "runs": args.runs,
        "bare_median_ms": round(bare_ms, 1),
        "sandbox_median_ms": round(sandbox_ms, 1),
        "added_ms": round(sandbox_ms - bare_ms, 1),
        "ratio": round(sandbox_ms / bare_ms, 3),
        "target_added_ms": TARGET_MS,
        "met": sandbox_ms - bare_ms <= TARGET_MS,
    }
    if args.json:
        print(json.dumps(report))
        return
    for key, value in report.items():
        print(f"{key:>20}: {value}")


if __name__ == "__main__":
    main()
