"""Run one untrusted image under hard limits and say plainly how it ended.

The container gets no network, no capabilities, no new privileges, the ``nobody`` user whatever
the image says, a read-only root, a small ``/tmp``, ``/input`` read-only and ``/output`` as its
only writable mount, and kernel limits on memory (no swap), CPU, processes, open files and file
size. It is created, started, waited on with the wall limit, killed, measured and removed in
``finally``; everything it creates carries labels so the reaper can find leftovers of a crash.

It runs under the engine's gVisor runtime (``runsc``) where the engine offers it, as a second
wall behind the kernel's namespaces, and never inherits the worker's proxy settings, the
image's HEALTHCHECK or GPUs it did not ask for (see ``sandbox.container_spec``). Whatever the
image causes (a missing entrypoint, a bad WORKDIR, an unwalkable ``/output``) ends as a status,
never an exception (see ``sandbox.image_faults``).
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests

from sandbox import container_spec as spec
from sandbox.cgroups import CgroupProbe
from sandbox.docker_errors import connect, translate_docker_errors
from sandbox.errors import ImageError, SandboxError
from sandbox.image_faults import config_problem, masked_volumes, refusal_problem
from sandbox.limits import SandboxLimits
from sandbox.logtail import TailBuffer
from sandbox.outputs import SANDBOX_UID, OutputStage, OutputSummary, OutputTreeError
from sandbox.result import RunResult, RunStatus
from sandbox.verdict import Observation, verdict

LABEL = "org.podium.sandbox"
DEADLINE_LABEL = "org.podium.deadline"
RUN_LABEL = "org.podium.run"
DEFAULT_STAGING = Path("/tmp/podium-sandbox")
CANCELLED_MESSAGE = "the run was cancelled"
_CANCEL_POLL_SECONDS = 0.05


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
        runtime: ``auto`` (gVisor's ``runsc`` where the engine offers it, else ``runc``; GPU
            runs use runc), ``runc`` or ``runsc``.
        gpu_devices: the GPU ids this worker may hand out (``"0,1"``); a GPU run gets the first
            ones it asks for. None: GPU runs ask the engine for a count.

    Raises:
        SandboxError: the engine cannot say its settings, or does not offer ``runtime``.
    """

    def __init__(
        self,
        client: docker.DockerClient,
        *,
        staging_root: Path = DEFAULT_STAGING,
        cgroup_driver: str | None = None,
        cgroup_version: str | None = None,
        runtime: str = "auto",
        gpu_devices: str | Sequence[str] | None = None,
    ) -> None:
        self.client = client
        self.staging_root = staging_root
        info: dict[str, Any] = {}
        if cgroup_driver is None or cgroup_version is None or runtime != "runc":
            with translate_docker_errors("asking the Docker engine for its settings"):
                info = client.info()
        self.cgroup_driver = cgroup_driver or str(info.get("CgroupDriver", "cgroupfs"))
        self.cgroup_version = cgroup_version or str(info.get("CgroupVersion", "1"))
        self.runtimes = spec.choose_runtime(runtime, (info.get("Runtimes") or {}).keys())
        self.gpu_devices = spec.parse_gpu_devices(gpu_devices)

    @property
    def runtime(self) -> str:
        """The OCI runtime of runs without GPUs."""
        return self.runtimes.cpu

    @classmethod
    def from_env(
        cls, *, staging_root: Path = DEFAULT_STAGING, runtime: str = "auto"
    ) -> SandboxRunner:
        """A runner on the engine that DOCKER_HOST (or the local socket) points to."""
        return cls(connect(), staging_root=staging_root, runtime=runtime)

    def run(
        self,
        image: str,
        input_dir: Path,
        output_dir: Path,
        limits: SandboxLimits,
        env: Mapping[str, str] | None = None,
        command: Sequence[str] | None = None,
        cancel: threading.Event | None = None,
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
            cancel: when set (before or while the container runs), the container is killed
                within a fraction of a second and the result is ``cancelled``.

        Returns:
            The run's result (its ``run_id`` labels everything the run created); participant
            faults and cancels are statuses, never exceptions.

        Raises:
            EngineUnavailable: the engine could not be reached (a platform fault; retry).
            SandboxError: the engine refused an operation for a reason that is not the image's.
        """
        run_id = uuid.uuid4().hex[:16]
        try:
            image_id, config = self._resolve(image)
        except ImageError as error:
            return RunResult(RunStatus.INVALID_IMAGE, error.message, run_id=run_id)
        problem = config_problem(image, config, own_command=bool(command))
        if problem or (cancel is not None and cancel.is_set()):
            status = RunStatus.INVALID_IMAGE if problem else RunStatus.CANCELLED
            return RunResult(status, problem or CANCELLED_MESSAGE, image_id=image_id, run_id=run_id)
        plan = _Plan(run_id, image_id, config, input_dir, limits, dict(env or {}), command)
        try:
            return self._run_planned(plan, output_dir, cancel)
        except ImageError as error:  # the engine refused to create or start what the image holds
            return RunResult(
                RunStatus.INVALID_IMAGE, error.message, image_id=image_id, run_id=run_id
            )

    def _run_planned(
        self, plan: _Plan, output_dir: Path, cancel: threading.Event | None
    ) -> RunResult:
        limits = plan.limits
        stage = OutputStage(
            self.staging_root, plan.run_id, limits.output_mb << 20, limits.output_files
        )
        probe = CgroupProbe(plan.run_id, driver=self.cgroup_driver, version=self.cgroup_version)
        container_id: str | None = None
        try:
            stage.create()
            container_id = self._create(plan, stage, probe)
            observation = self._execute(container_id, limits, cancel)
            summary = stage.summarise()
            result = verdict(observation, summary, probe.read(), limits, plan.image_id, plan.run_id)
            return _copy_out(result, summary, stage, output_dir)
        finally:
            try:
                if container_id is not None:
                    self._remove(container_id)
            finally:  # an engine gone mid-run must not leave the /output tmpfs mounted
                stage.remove()
                probe.remove()

    def _resolve(self, image: str) -> tuple[str, dict[str, Any]]:
        with translate_docker_errors(f"looking up the image {image}"):
            attrs = self.client.api.inspect_image(image)
        return str(attrs["Id"]), dict(attrs.get("Config") or {})

    def _create(self, plan: _Plan, stage: OutputStage, probe: CgroupProbe) -> str:
        api = self.client.api
        paths = spec.HostPaths(plan.input_dir, stage.path, stage.empty, probe.parent)
        host_config = api.create_host_config(
            **spec.host_config(
                paths,
                plan.limits,
                volumes=masked_volumes(plan.config),
                runtime=self.runtimes.for_limits(plan.limits),
                device_ids=self.gpu_devices,
                cgroup_v1=probe.version == "1",
            )
        )
        labels = {
            LABEL: "1",
            RUN_LABEL: plan.run_id,
            DEADLINE_LABEL: str(int(time.time() + plan.limits.wall_seconds + 300)),
        }
        with translate_docker_errors("creating the sandbox container"), _image_refusals():
            created = api.create_container(
                plan.image_id,
                entrypoint=list(plan.command) if plan.command else None,
                user=f"{SANDBOX_UID}:{SANDBOX_UID}",
                environment=spec.environment(plan.env, plan.limits, self.gpu_devices),
                labels=labels,
                host_config=host_config,
                network_disabled=True,
                hostname="sandbox",
                stop_signal="SIGKILL",
                healthcheck=spec.HEALTHCHECK_OFF,
                use_config_proxy=False,  # the worker's proxies (and their credentials) stay out
            )
        return str(created["Id"])

    def _execute(
        self, container_id: str, limits: SandboxLimits, cancel: threading.Event | None
    ) -> Observation:
        api = self.client.api
        cap = limits.log_kb << 10
        stdout, stderr = TailBuffer(cap), TailBuffer(cap)
        with translate_docker_errors("attaching to the sandbox container"):
            stream = api.attach(container_id, stdout=True, stderr=True, stream=True, demux=True)
        reader = threading.Thread(target=_drain, args=(stream, stdout, stderr), daemon=True)
        reader.start()
        began = time.monotonic()
        with translate_docker_errors("starting the sandbox container"), _image_refusals():
            api.start(container_id)
        with _cancel_watch(cancel, lambda: self._kill(container_id)) as cancelled:
            timed_out = not self._wait(container_id, limits.wall_seconds)
        if timed_out:
            self._kill(container_id)
            with translate_docker_errors("stopping the sandbox container"):
                api.wait(container_id, timeout=30)
        waited = time.monotonic() - began
        reader.join(timeout=10)
        with translate_docker_errors("inspecting the sandbox container"):
            state = api.inspect_container(container_id)["State"]
        return Observation(
            exit_code=int(state.get("ExitCode", -1)),
            oom_killed=bool(state.get("OOMKilled")),
            timed_out=timed_out and not cancelled.is_set(),
            # under runsc the engine stamps a short run's start after its finish: then the
            # time from start to exit as seen here is the best there is
            wall_seconds=_elapsed(state.get("StartedAt"), state.get("FinishedAt")) or waited,
            stdout=stdout,
            stderr=stderr,
            cancelled=cancelled.is_set(),
            pids_limit=spec.kernel_pids_limit(limits, self.runtimes.for_limits(limits)),
        )

    def _kill(self, container_id: str) -> None:
        with translate_docker_errors("stopping the sandbox container"):
            try:
                self.client.api.kill(container_id)
            except docker.errors.APIError:
                pass  # it exited on its own in the meantime

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


@contextmanager
def _image_refusals() -> Iterator[None]:
    """Turn an engine refusal that the image caused into an ImageError (the participant's)."""
    try:
        yield
    except docker.errors.APIError as error:
        explanation = error.explanation
        if isinstance(explanation, bytes):
            explanation = explanation.decode("utf-8", errors="replace")
        problem = refusal_problem(str(explanation or ""))
        if problem:
            raise ImageError(problem) from error
        raise


@contextmanager
def _cancel_watch(
    cancel: threading.Event | None, kill: Callable[[], None]
) -> Iterator[threading.Event]:
    """While the block runs, kill the container as soon as ``cancel`` is set.

    Yields an event that is set when the kill was for a cancel. Without a cancel event no
    thread is started (the fast path stays as it was).
    """
    fired, done = threading.Event(), threading.Event()
    if cancel is None:
        yield fired
        return

    def watch() -> None:
        while not done.is_set():
            if cancel.wait(_CANCEL_POLL_SECONDS):
                fired.set()
                with contextlib.suppress(SandboxError):  # the main thread meets it too
                    kill()
                return

    watcher = threading.Thread(target=watch, name="sandbox-cancel", daemon=True)
    watcher.start()
    try:
        yield fired
    finally:
        done.set()
        watcher.join(timeout=35)


def _copy_out(
    result: RunResult, summary: OutputSummary, stage: OutputStage, output_dir: Path
) -> RunResult:
    """Copy ``/output`` out when the run's result is worth scoring."""
    skip = (RunStatus.OUTPUT_TOO_LARGE, RunStatus.CANCELLED)
    if result.status in skip or summary.problem:
        return result
    try:
        stage.copy_to(output_dir)
    except OutputTreeError as error:
        return replace(result, status=RunStatus.FAILED, message=str(error))
    return result


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
