"""How much the hardened sandbox adds over the engine's own floor, under runc and gVisor's runsc.

The floor is a bare docker-py create/start/wait/remove of the same trivial image (no limits, no
mounts, no measurement). Each round runs the floor, the sandbox under runc and the sandbox under
runsc, interleaved so that machine noise hits all three alike; the first round warms caches.
Prints the three medians, what each sandbox adds over the floor and the ratios. Targets: runc
adds at most 25 ms, runsc at most 300 ms.

    .venv/bin/python benchmarks/sandbox_overhead.py [--runs 20] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker

from sandbox.limits import SandboxLimits
from sandbox.runner import SandboxRunner

TARGET_ADDED_MS = {"runc": 25.0, "runsc": 300.0}
LABEL = {"org.podium.bench": "sandbox_overhead"}


def trivial_image(client: docker.DockerClient) -> str:
    """An image whose entrypoint does nothing: what is left to time is the sandbox itself."""
    dockerfile = b'FROM podium/runtime-python:3.11\nCMD ["true"]\n'
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
    context.seek(0)
    image, _ = client.images.build(
        fileobj=context, custom_context=True, tag="podium-bench/true:1", labels=LABEL
    )
    return str(image.id)


def floor(client: docker.DockerClient, image: str) -> None:
    """The least any runner must do: create, start, wait, remove."""
    api = client.api
    created = api.create_container(
        image, network_disabled=True, labels=LABEL, use_config_proxy=False
    )
    api.start(created["Id"])
    api.wait(created["Id"])
    api.remove_container(created["Id"], v=True, force=True)


def timed(action: Callable[..., object], *args: object) -> float:
    start = time.perf_counter()
    action(*args)
    return time.perf_counter() - start


def measure(runs: int) -> dict[str, Any]:
    """Run the three ways ``runs`` times each (after one warm-up round) and summarise."""
    client = docker.from_env(timeout=120)
    image = trivial_image(client)
    runners = {rt: SandboxRunner(client, runtime=rt) for rt in ("runc", "runsc")}
    limits = SandboxLimits(wall_seconds=30)
    times: dict[str, list[float]] = {"floor": [], "runc": [], "runsc": []}
    with tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp) / "input"
        inputs.mkdir()

        def sandboxed(runtime: str, i: int) -> None:
            result = runners[runtime].run(image, inputs, Path(tmp) / f"{runtime}{i}", limits)
            assert result.succeeded, result.message

        for i in range(runs + 1):
            round_times = {
                "floor": timed(floor, client, image),
                "runc": timed(sandboxed, "runc", i),
                "runsc": timed(sandboxed, "runsc", i),
            }
            if i:
                for name, seconds in round_times.items():
                    times[name].append(seconds)
    return report(runs, {name: statistics.median(v) * 1000 for name, v in times.items()})


def report(runs: int, median_ms: dict[str, float]) -> dict[str, Any]:
    out: dict[str, Any] = {"runs": runs}
    out.update({f"{name}_median_ms": round(ms, 1) for name, ms in median_ms.items()})
    for runtime, target in TARGET_ADDED_MS.items():
        added = median_ms[runtime] - median_ms["floor"]
        out[f"{runtime}_added_ms"] = round(added, 1)
        out[f"{runtime}_ratio"] = round(median_ms[runtime] / median_ms["floor"], 3)
        out[f"{runtime}_target_added_ms"] = target
        out[f"{runtime}_met"] = added <= target
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = measure(args.runs)
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:>24}: {value}")


if __name__ == "__main__":
    main()
