"""Exact peak memory, CPU time and process count of one container, read from its cgroup.

Each run gets its own parent cgroup (``cgroup_parent`` when the container is created). The parent
outlives the container, so after the container has exited its counters still hold the peak memory,
the total CPU time and the peak process count, even for runs shorter than any polling interval.
The parent directories are removed afterwards (and by the reaper after a crash).
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PARENT_PREFIX = "podium-"


@dataclass(frozen=True)
class Usage:
    """What the kernel counted for one run; None where this host does not expose it."""

    peak_memory_bytes: int | None
    cpu_ns: int | None
    peak_processes: int | None


class CgroupProbe:
    """The parent cgroup of one run, for cgroup v1 or v2 with the ``cgroupfs`` or systemd driver.

    Args:
        run_id: unique id of the run (becomes part of the cgroup's name).
        driver: the engine's cgroup driver, ``cgroupfs`` or ``systemd``.
        version: the engine's cgroup version, ``1`` or ``2``.
        root: where the cgroup filesystem is mounted.
    """

    def __init__(self, run_id: str, *, driver: str, version: str, root: Path = CGROUP_ROOT) -> None:
        self.driver = driver
        self.version = version
        self.root = root
        if driver == "systemd":
            # systemd slices nest by dashes: podium-<id>.slice lives in podium.slice.
            self.name = f"podium-{run_id}.slice"
            self.relative = f"podium.slice/{self.name}"
        else:
            self.name = f"{PARENT_PREFIX}{run_id}"
            self.relative = self.name

    @property
    def parent(self) -> str:
        """The value to pass to Docker as ``cgroup_parent``."""
        return self.name if self.driver == "systemd" else f"/{self.name}"

    def read(self) -> Usage:
        """Read the counters; never raises (a host without them gives None values)."""
        if self.version == "2":
            base = self.root / self.relative
            return Usage(
                peak_memory_bytes=_read_int(base / "memory.peak"),
                cpu_ns=_cpu_v2(base / "cpu.stat"),
                peak_processes=_read_int(base / "pids.peak"),
            )
        return Usage(
            peak_memory_bytes=_read_int(self._v1("memory") / "memory.max_usage_in_bytes"),
            cpu_ns=_read_int(self._v1("cpuacct") / "cpuacct.usage"),
            peak_processes=_read_int(self._v1("pids") / "pids.peak"),
        )

    def remove(self, wait_seconds: float = 5.0) -> None:
        """Remove the parent directories; call only after the container is gone.

        A container whose start failed under gVisor's runsc leaves its own cgroup inside the
        parent, and its sandbox process lingers there for about 2 s after the container is
        removed: child folders are removed first, and a busy parent is retried for up to
        ``wait_seconds`` (the reaper removes whatever is still left later).
        """
        deadline = time.monotonic() + wait_seconds
        while True:
            busy = [path for path in self.directories() if not remove_cgroup(path)]
            if not busy or time.monotonic() > deadline:
                return
            time.sleep(0.05)

    def directories(self) -> list[Path]:
        """Every directory of this parent cgroup that exists now."""
        if self.version == "2":
            candidates = [self.root / self.relative]
        else:
            candidates = [c / self.relative for c in _v1_controllers(self.root)]
        return [c for c in candidates if c.is_dir()]

    def _v1(self, controller: str) -> Path:
        direct = self.root / controller / self.relative
        if direct.is_dir():
            return direct
        for mount in _v1_controllers(self.root):  # co-mounted, e.g. cpu,cpuacct
            if controller in mount.name.split(","):
                return mount / self.relative
        return direct


def remove_cgroup(path: Path) -> bool:
    """Remove a cgroup folder and its empty child cgroups; False if one is still busy."""
    try:
        path.rmdir()
        return True
    except OSError:
        pass
    for folder, _, _ in os.walk(path, topdown=False):  # children first
        with contextlib.suppress(OSError):
            os.rmdir(folder)
    return not path.exists()


def leftover_parents(root: Path = CGROUP_ROOT) -> list[Path]:
    """Parent cgroups of earlier runs that still exist (for the reaper)."""
    found: list[Path] = []
    for base in [root, *_v1_controllers(root), root / "podium.slice"]:
        if base.is_dir():
            found.extend(p for p in base.glob(f"{PARENT_PREFIX}*") if p.is_dir())
    return found


def _v1_controllers(root: Path) -> list[Path]:
    try:
        return [p for p in root.iterdir() if p.is_dir() and not p.is_symlink()]
    except OSError:
        return []


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _cpu_v2(path: Path) -> int | None:
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "usage_usec":
                return int(value) * 1000
    except (OSError, ValueError):
        return None
    return None
