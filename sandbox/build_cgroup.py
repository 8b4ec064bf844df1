"""A build's own parent cgroup: its steps' process limit, and finding its step containers.

The build API has no process limit, so each build gets a parent cgroup whose ``pids.max`` holds
for all its steps together (an ``nproc`` ulimit is no substitute: steps run as root, and the
kernel counts every process of root on the host against it). The same cgroup finds the step
containers, whose disk use is watched while the build runs.
"""

from __future__ import annotations

import re
from contextlib import suppress

import docker
import docker.errors
import requests

from sandbox.cgroups import CgroupProbe
from sandbox.docker_errors import translate_docker_errors

_CONTAINER = re.compile(r"([0-9a-f]{64})")


class BuildCgroup(CgroupProbe):
    """The parent cgroup of one build."""

    @classmethod
    def for_engine(cls, client: docker.DockerClient, build_id: str) -> BuildCgroup:
        """The build's cgroup, in the engine's cgroup driver and version.

        Raises:
            EngineUnavailable: the engine could not be reached.
        """
        with translate_docker_errors("asking the Docker engine for its settings"):
            info = client.info()
        driver = str(info.get("CgroupDriver", "cgroupfs"))
        version = str(info.get("CgroupVersion", "1"))
        return cls(f"build-{build_id}", driver=driver, version=version)

    def limit_processes(self, processes: int) -> None:
        """Write ``pids.max`` where this host lets us (cgroupfs, as root)."""
        if self.driver == "systemd":
            return
        base = self.root / self.relative if self.version == "2" else self._v1("pids")
        with suppress(OSError):
            base.mkdir(parents=True, exist_ok=True)
            (base / "pids.max").write_text(str(processes))

    def containers(self) -> list[str]:
        """The build's step containers (found under this cgroup)."""
        found: set[str] = set()
        for directory in self.directories():
            with suppress(OSError):
                for child in directory.iterdir():
                    match = _CONTAINER.search(child.name)
                    if match and child.is_dir():
                        found.add(match.group(1))
        return sorted(found)

    def disk_used(self, client: docker.DockerClient) -> int:
        """Bytes the step containers have written (their layers); 0 when unknown."""
        ids = self.containers()
        if not ids:
            return 0
        with suppress(docker.errors.APIError, requests.RequestException):
            listed = client.api.containers(all=True, filters={"id": ids}, size=True)
            return sum(int(c.get("SizeRw") or 0) for c in listed)
        return 0

    def remove_containers(self, client: docker.DockerClient) -> None:
        """Kill and remove the step containers (a stopped build's engine may lag behind)."""
        for container in self.containers():
            with suppress(docker.errors.APIError, requests.RequestException):
                client.api.remove_container(container, force=True, v=True)
