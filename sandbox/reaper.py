"""Find and remove what crashed runs left behind: containers, volumes, staging mounts, cgroups.

Every sandbox container carries ``org.podium.sandbox=1`` and a deadline label (its wall limit
plus a margin). A container past its deadline belongs to a run whose worker died; the reaper
removes it with its volumes. Staging folders and parent cgroups whose run has no container left
are removed too. Runs still within their deadline are never touched, so a reaper may run beside
busy workers.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors

from sandbox.build_network import DEADLINE_LABEL as BUILD_DEADLINE_LABEL
from sandbox.build_network import NETWORK_LABEL, remove_network
from sandbox.cgroups import PARENT_PREFIX, leftover_parents, remove_cgroup
from sandbox.docker_errors import translate_docker_errors
from sandbox.dockerfile import RUNTIME_IMAGES
from sandbox.runner import DEADLINE_LABEL, DEFAULT_STAGING, LABEL, RUN_LABEL


@dataclass
class ReapReport:
    """What one pass removed."""

    containers: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    staging: list[str] = field(default_factory=list)
    cgroups: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for logs and the CLI."""
        return (
            f"removed {len(self.containers)} containers, {len(self.volumes)} volumes, "
            f"{len(self.staging)} staging folders, {len(self.cgroups)} cgroups"
        )


def reap(
    client: docker.DockerClient,
    *,
    grace_seconds: int = 0,
    staging_root: Path = DEFAULT_STAGING,
    now: float | None = None,
) -> ReapReport:
    """Remove every sandbox leftover whose deadline passed more than ``grace_seconds`` ago.

    Raises:
        EngineUnavailable: the engine could not be reached.
    """
    report = ReapReport()
    cutoff = (time.time() if now is None else now) - grace_seconds
    live_runs: set[str] = set()
    with translate_docker_errors("listing sandbox containers"):
        containers = client.api.containers(all=True, filters={"label": LABEL})
    for container in containers:
        labels = container.get("Labels") or {}
        deadline = _deadline(labels.get(DEADLINE_LABEL))
        if deadline is not None and deadline > cutoff:
            live_runs.add(labels.get(RUN_LABEL, ""))
            continue
        with (
            translate_docker_errors("removing a leftover sandbox container"),
            contextlib.suppress(docker.errors.NotFound),
        ):
            client.api.remove_container(container["Id"], v=True, force=True)
        report.containers.append(container["Id"][:12])
    report.volumes = _reap_volumes(client)
    report.staging = _reap_staging(staging_root, live_runs, cutoff)
    report.cgroups = _reap_cgroups(live_runs)
    return report


def _deadline(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _reap_volumes(client: docker.DockerClient) -> list[str]:
    removed: list[str] = []
    with translate_docker_errors("listing sandbox volumes"):
        answer = client.api.volumes(filters={"label": LABEL, "dangling": True})
    for volume in answer.get("Volumes") or []:
        with (
            translate_docker_errors("removing a leftover volume"),
            contextlib.suppress(docker.errors.APIError),
        ):
            client.api.remove_volume(volume["Name"], force=True)
            removed.append(volume["Name"])
    return removed


def _reap_staging(root: Path, live_runs: set[str], cutoff: float) -> list[str]:
    removed: list[str] = []
    if not root.is_dir():
        return removed
    for run_dir in root.iterdir():
        # A run that has just made its folder may not have its container yet: leave it be.
        if run_dir.name in live_runs or run_dir.stat().st_mtime > cutoff - 120:
            continue
        output = run_dir / "output"
        if output.is_mount():
            subprocess.run(["umount", "-l", str(output)], capture_output=True, check=False)
        shutil.rmtree(run_dir, ignore_errors=True)
        removed.append(run_dir.name)
    return removed


# A build makes its parent cgroup (with its process limit) before its first step runs, and
# holds no container until then: a young, empty build cgroup may belong to a build under way.
BUILD_CGROUP_GRACE_SECONDS = 3 * 3600


def _reap_cgroups(live_runs: set[str]) -> list[str]:
    removed: list[str] = []
    young = time.time() - BUILD_CGROUP_GRACE_SECONDS
    for path in leftover_parents():
        run_id = path.name.removeprefix(PARENT_PREFIX).removesuffix(".slice")
        if run_id in live_runs or (run_id.startswith("build-") and _newer(path, young)):
            continue
        if remove_cgroup(path):  # a busy cgroup stays, for the next pass
            removed.append(path.name)
    return sorted(set(removed))


def _newer(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime > cutoff
    except OSError:
        return True


@dataclass
class BuildReapReport:
    """What one pass over build leftovers removed."""

    networks: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for logs and the CLI."""
        return f"removed {len(self.networks)} build networks, {len(self.images)} build layers"


def reap_builds(
    client: docker.DockerClient,
    *,
    grace_seconds: int = 600,
    keep_label: str = "org.podium.submission",
    bases: tuple[str, ...] = RUNTIME_IMAGES,
    now: float | None = None,
) -> BuildReapReport:
    """Remove what crashed builds left: their networks, and their dangling layers.

    A dangling image is a leftover of a build when it descends from one of ``bases`` (the
    runtime images participants build on), carries no ``keep_label`` (a submission's image is
    the retention's business, not the reaper's) and is older than ``grace_seconds``: an image
    of anyone else sharing the engine is never touched.

    Raises:
        EngineUnavailable: the engine could not be reached.
    """
    report = BuildReapReport()
    now = time.time() if now is None else now
    cutoff = now - grace_seconds
    with translate_docker_errors("listing build networks"):
        networks = client.api.networks(filters={"label": NETWORK_LABEL})
    for network in networks:
        deadline = _deadline((network.get("Labels") or {}).get(BUILD_DEADLINE_LABEL))
        if deadline is None or deadline <= now:  # the deadline has the build's margin in it
            remove_network(client, network["Id"])
            report.networks.append(str(network.get("Name")))
    with translate_docker_errors("listing dangling build layers"):
        dangling = client.api.images(filters={"dangling": True})
        base_ids = {_id_or_none(client, base) for base in bases} - {None}
        for image in dangling:
            labels = image.get("Labels") or {}
            if keep_label in labels or int(image.get("Created") or 0) > cutoff:
                continue
            if _descends_from(client, str(image["Id"]), base_ids):
                with contextlib.suppress(docker.errors.APIError):
                    client.api.remove_image(image["Id"], force=False)
                    report.images.append(str(image["Id"])[7:19])
    return report


def _id_or_none(client: docker.DockerClient, name: str) -> str | None:
    try:
        return str(client.api.inspect_image(name)["Id"])
    except docker.errors.NotFound:
        return None


def _descends_from(client: docker.DockerClient, image_id: str, bases: set[str | None]) -> bool:
    current = image_id
    for _ in range(256):  # a build has at most ~1000 steps; a chain this long is not ours
        try:
            parent = str(client.api.inspect_image(current).get("Parent") or "")
        except docker.errors.NotFound:
            return False
        if not parent:
            return False
        if parent in bases:
            return True
        current = parent
    return False
