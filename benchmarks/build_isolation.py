"""What the build walls cost: a participant build of the breast-cancer starting kit, side by side.

Three ways to build the same context, interleaved so machine noise hits all alike (the first
round warms caches):

- floor: a bare docker-py build of the extracted context (no check, no limits, no network);
- podium, no network: ``sandbox.building.build_image`` (Dockerfile check, step comparison,
  cgroup limits, disk watch, parent-chain check, removal of what the build does not keep);
- podium, packages: the same with the package network (a private network per build, joined by
  the package proxy, removed afterwards).

Prints the medians and what each adds over the floor. Target: the isolation adds at most 1 s.

    .venv/bin/python benchmarks/build_isolation.py [--runs 7] [--json]
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

from sandbox.build_network import PackageAccess
from sandbox.building import BuildLimits, build_image

REPO = Path(__file__).resolve().parents[1]
KIT = REPO / "challenges" / "examples" / "breast-cancer-diagnosis" / "starting_kit"
TARGET_ADDED_SECONDS = 1.0
LABELS = {"org.podium.bench": "build_isolation"}


def context_archive(folder: Path, target: Path) -> Path:
    with tarfile.open(target, "w") as tar:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                tar.add(path, arcname=path.name)
    return target


def floor(client: docker.DockerClient, archive: Path) -> None:
    """A bare build of the same context, then removal of what it made."""
    with archive.open("rb") as data:
        context = io.BytesIO(data.read())
    image = ""
    for chunk in client.api.build(
        fileobj=context, custom_context=True, rm=True, forcerm=True, nocache=True,
        decode=True, network_mode="none", labels=LABELS,
    ):  # fmt: skip
        image = chunk.get("aux", {}).get("ID", image)
    client.api.remove_image(image, force=True)


def podium(client: docker.DockerClient, archive: Path, packages: PackageAccess | None) -> None:
    built = build_image(client, archive, BuildLimits(), labels=LABELS, packages=packages)
    client.api.remove_image(built.image_id, force=True)


def measure(runs: int) -> dict[str, Any]:
    client = docker.from_env(timeout=300)
    packages = PackageAccess(client)
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        archive = context_archive(KIT, Path(tmp) / "kit.tar")
        ways: dict[str, Callable[[], None]] = {
            "floor": lambda: floor(client, archive),
            "podium_no_network": lambda: podium(client, archive, None),
            "podium_packages": lambda: podium(client, archive, packages),
        }
        times: dict[str, list[float]] = {name: [] for name in ways}
        for round_index in range(runs + 1):
            for name, way in ways.items():
                started = time.perf_counter()
                way()
                if round_index:  # the first round warms caches (and starts the proxy)
                    times[name].append(time.perf_counter() - started)
    medians = {name: statistics.median(values) for name, values in times.items()}
    added = {name: medians[name] - medians["floor"] for name in medians if name != "floor"}
    return {
        "runs": runs,
        "median_seconds": {k: round(v, 3) for k, v in medians.items()},
        "added_seconds": {k: round(v, 3) for k, v in added.items()},
        "target_added_seconds": TARGET_ADDED_SECONDS,
        "met": all(v <= TARGET_ADDED_SECONDS for v in added.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.runs)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"build of the breast-cancer starting kit, median of {args.runs} runs:")
    for name, value in result["median_seconds"].items():
        extra = result["added_seconds"].get(name)
        suffix = f"  (+{extra:.3f} s over the floor)" if extra is not None else ""
        print(f"  {name:<20} {value:.3f} s{suffix}")
    verdict = "met" if result["met"] else "NOT met"
    print(f"target: the isolation adds at most {TARGET_ADDED_SECONDS:.1f} s: {verdict}")


if __name__ == "__main__":
    main()
