"""Run one untrusted image under hard limits and say plainly how it ended.

The container gets no network, no capabilities, no new privileges, the ``nobody`` user whatever
the image says, a read-only root, a small ``/tmp``, ``/input`` read-only and ``/output`` as its
only writable mount, and kernel limits on memory (no swap), CPU, processes, open files and file
size. It is created, started, waited on with the wall limit, killed, measured and removed in
``finally``; everything it creates carries labels so the reaper can find leftovers of a crash.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests
from docker.types import DeviceRequest, LogConfig, Mount, Ulimit

from sandbox.cgroups import CgroupProbe, Usage
from sandbox.docker_errors import connect, translate_docker_errors
from sandbox.errors import ImageError
from sandbox.limits import SandboxLimits
from sandbox.logtail import TailBuffer
from sandbox.outputs import SANDBOX_UID, OutputStage, OutputSummary
from sandbox.result import RunResult, RunStatus
from sandbox.verdict import Observation, verdict

LABEL = "org.podium.sandbox"
DEADLINE_LABEL = "org.podium.deadline"
RUN_LABEL = "org.podium.run"
DEFAULT_STAGING = Path("/tmp/podium-sandbox")
_OWN_MOUNTS = ("/input", "/output", "/tmp")


@dataclass(frozen=True)
class _Plan:
    """Everything that decides how one container is created."""

    run_id: str
    image_id: str
    config: dict[str, Any]
    input_dir: Path
    limits: SandboxLimits
    env: dict[str, str]
    command: Sequence[str] | None


class SandboxRunner:
    """Runs images in the hardened sandbox.

    Args:
        client: the Docker engine to run on.
        staging_root: host folder for per-run ``/output`` staging areas.
        cgroup_driver: the engine's cgroup driver (read from the engine when None).
        cgroup_version: the engine's cgroup version (read from the engine when None).
    """

    def __init__(
        self,
        client: docker.DockerClient,
        *,
        staging_root: Path = DEFAULT_STAGING,
        cgroup_driver: str | None = None,
        cgroup_version: str | None = None,
    ) -> None:
        self.client = client
        self.staging_root = staging_root
        if cgroup_driver is None or cgroup_version is None:
            with translate_docker_errors("asking the Docker engine for its settings"):
                info = client.info()
            cgroup_driver = cgroup_driver or str(info.get("CgroupDriver", "cgroupfs"))
            cgroup_version = cgroup_version or str(info.get("CgroupVersion", "1"))
        self.cgroup_driver = cgroup_driver
        self.cgroup_version = cgroup_version

    @classmethod
    def from_env(cls, *, staging_root: Path = DEFAULT_STAGING) -> SandboxRunner:
        """A runner on the engine that DOCKER_HOST (or the local socket) points to."""
        return cls(connect(), staging_root=staging_root)

    def run(
        self,
        image: str,
        input_dir: Path,
        output_dir: Path,
        limits: SandboxLimits,
        env: Mapping[str, str] | None = None,
        command: Sequence[str] | None = None,
    ) -> RunResult:
        """Run ``image``'s own entrypoint on ``input_dir`` and copy its ``/output`` out.

        Args:
            image: image id, digest or tag (a tag is resolved to its id first and never pulled).
            input_dir: host folder mounted read-only at ``/input`` (readable by uid 65534).
            output_dir: host folder that receives the regular files the run left in ``/output``.
            limits: the hard limits of this run.
            env: extra environment (e.g. PODIUM_CHALLENGE, PODIUM_PHASE); never secrets.
            command: run this instead of the image's entrypoint; for the platform's own
                programs (organisers' scoring programs, model-file wrappers), under the same
                limits. Participant images always run their own entrypoint.

        Returns:
            The run's result; participant faults are statuses, never exceptions.

        Raises:
            EngineUnavailable: the engine could not be reached (a platform fault; retry).
            SandboxError: the engine refused an operation for a reason that is not the image's.
        """
        run_id = uuid.uuid4().hex[:16]
        try:
            image_id, config = self._resolve(image)
        except ImageError as error:
            return RunResult(RunStatus.INVALID_IMAGE, error.message)
        problem = None if command else _image_problem(image, config)
        if problem:
            return RunResult(RunStatus.INVALID_IMAGE, problem, image_id=image_id)
        stage = OutputStage(self.staging_root, run_id, limits.output_mb << 20, limits.output_files)
        probe = CgroupProbe(run_id, driver=self.cgroup_driver, version=self.cgroup_version)
        container_id: str | None = None
        try:
            stage.create()
            plan = _Plan(run_id, image_id, config, input_dir, limits, dict(env or {}), command)
            container_id = self._create(plan, stage, probe)
            observation = self._execute(container_id, limits)
            summary = stage.summarise()
            result = verdict(observation, summary, _usage_or_none(probe), limits, image_id)
            if result.status is not RunStatus.OUTPUT_TOO_LARGE:
                stage.copy_to(output_dir)
            return result
        finally:
            if container_id is not None:
                self._remove(container_id)
            stage.remove()
            probe.remove()

    def _resolve(self, image: str) -> tuple[str, dict[str, Any]]:
        with translate_docker_errors(f"looking up the image {image}"):
            attrs = self.client.api.inspect_image(image)
        return str(attrs["Id"]), dict(attrs.get("Config") or {})

    def _create(self, plan: _Plan, stage: OutputStage, probe: CgroupProbe) -> str:
        api = self.client.api
        host_config = api.create_host_config(
            **_host_config(plan.input_dir, stage, probe, plan.limits, plan.config)
        )
        environment = {
            "PODIUM_INPUT": "/input",
            "PODIUM_OUTPUT": "/output",
            "HOME": "/tmp",
            **plan.env,
        }
        labels = {
            LABEL: "1",
            RUN_LABEL: plan.run_id,
            DEADLINE_LABEL: str(int(time.time() + plan.limits.wall_seconds + 300)),
        }
        with translate_docker_errors("creating the sandbox container"):
            created = api.create_container(
                plan.image_id,
                entrypoint=list(plan.command) if plan.command else None,
                user=f"{SANDBOX_UID}:{SANDBOX_UID}",
                environment=environment,
                labels=labels,
                host_config=host_config,
                network_disabled=True,
                hostname="sandbox",
                stop_signal="SIGKILL",
            )
        return str(created["Id"])

    def _execute(self, container_id: str, limits: SandboxLimits) -> Observation:
        api = self.client.api
        cap = limits.log_kb << 10
        stdout, stderr = TailBuffer(cap), TailBuffer(cap)
        with translate_docker_errors("attaching to the sandbox container"):
            stream = api.attach(container_id, stdout=True, stderr=True, stream=True, demux=True)
        reader = threading.Thread(target=_drain, args=(stream, stdout, stderr), daemon=True)
        reader.start()
        with translate_docker_errors("starting the sandbox container"):
            api.start(container_id)
        timed_out = not self._wait(container_id, limits.wall_seconds)
        if timed_out:
            with translate_docker_errors("stopping the sandbox container"):
                try:
                    api.kill(container_id)
                except docker.errors.APIError:
                    pass  # it exited between the timeout and the kill
                api.wait(container_id, timeout=30)
        reader.join(timeout=10)
        with translate_docker_errors("inspecting the sandbox container"):
            state = api.inspect_container(container_id)["State"]
        return Observation(
            exit_code=int(state.get("ExitCode", -1)),
            oom_killed=bool(state.get("OOMKilled")),
            timed_out=timed_out,
            wall_seconds=_elapsed(state.get("StartedAt"), state.get("FinishedAt")),
            stdout=stdout,
            stderr=stderr,
        )

    def _wait(self, container_id: str, wall_seconds: float) -> bool:
        """True if the container exited by itself within the wall limit."""
        try:
            self.client.api.wait(container_id, timeout=wall_seconds)
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            return False
        return True

    def _remove(self, container_id: str) -> None:
        with translate_docker_errors("removing the sandbox container"):
            try:
                self.client.api.remove_container(container_id, v=True, force=True)
            except docker.errors.NotFound:
                pass


def _host_config(
    input_dir: Path,
    stage: OutputStage,
    probe: CgroupProbe,
    limits: SandboxLimits,
    config: dict[str, Any],
) -> dict[str, Any]:
    mounts = [
        Mount("/input", str(input_dir.resolve()), type="bind", read_only=True),
        Mount("/output", str(stage.path), type="bind", read_only=False),
    ]
    # An image's VOLUME would be a writable anonymous volume escaping the read-only root and
    # every size cap: cover each one with an empty folder mounted read-only.
    for volume in sorted((config.get("Volumes") or {}).keys()):
        if not any(volume.rstrip("/") == own for own in _OWN_MOUNTS):
            mounts.append(Mount(volume, str(stage.empty), type="bind", read_only=True))
    file_size = limits.file_size_mb << 20
    host: dict[str, Any] = {
        "network_mode": "none",
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "read_only": True,
        "mem_limit": f"{limits.memory_mb}m",
        "memswap_limit": f"{limits.memory_mb}m",
        "nano_cpus": int(limits.cpus * 1e9),
        "pids_limit": limits.processes,
        "ulimits": [
            Ulimit(name="nofile", soft=limits.open_files, hard=limits.open_files),
            Ulimit(name="fsize", soft=file_size, hard=file_size),
            Ulimit(name="core", soft=0, hard=0),
        ],
        "tmpfs": {"/tmp": f"rw,nosuid,nodev,size={limits.tmp_mb}m,mode=1777"},
        "mounts": mounts,
        "shm_size": f"{limits.shm_mb}m",
        "ipc_mode": "private",
        "log_config": LogConfig(type="none"),
        "cgroup_parent": probe.parent,
        "oom_score_adj": 500,
    }
    if probe.version == "1":
        host["mem_swappiness"] = 0
    if limits.gpu:
        host["device_requests"] = [DeviceRequest(count=-1, capabilities=[["gpu"]])]
    return host


def _image_problem(image: str, config: dict[str, Any]) -> str | None:
    if not config.get("Entrypoint") and not config.get("Cmd"):
        return (
            f"the image {image} has no ENTRYPOINT or CMD, so there is nothing to run; add one "
            "that reads /input and writes your predictions to /output"
        )
    return None


def _drain(stream: Any, stdout: TailBuffer, stderr: TailBuffer) -> None:
    """Read the attach stream into the two tails until the container's output closes."""
    try:
        for out, err in stream:
            if out:
                stdout.write(out)
            if err:
                stderr.write(err)
    except (requests.exceptions.RequestException, OSError, ValueError):
        pass  # the stream ends abruptly when the container is killed


def _usage_or_none(probe: CgroupProbe) -> Usage:
    return probe.read()


def _elapsed(started: str | None, finished: str | None) -> float | None:
    begin, end = _parse_time(started), _parse_time(finished)
    if begin is None or end is None or end < begin:
        return None
    return (end - begin).total_seconds()


def _parse_time(stamp: str | None) -> datetime | None:
    """Docker's RFC 3339 stamps carry nanoseconds; Python takes microseconds."""
    if not stamp or stamp.startswith("0001-"):
        return None
    head, _, frac = stamp.rstrip("Z").partition(".")
    digits = (frac + "000000")[:6]
    try:
        return datetime.fromisoformat(f"{head}.{digits}+00:00")
    except ValueError:
        return None


__all__ = ["SandboxRunner", "OutputSummary"]
