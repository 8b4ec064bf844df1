"""Build a participant's context (a Dockerfile and its files) into an image, under limits.

Three walls keep a build away from other teams' images, which share the engine:

1. the Dockerfile is read before anything is sent (`sandbox.dockerfile`): ``FROM`` only the
   allowed bases, ``COPY --from`` only earlier stages, no ``ADD`` of URLs;
2. while the build runs, each ``Step i/n`` line the builder prints must be the instruction this
   reading found, and each ``FROM`` must resolve to an allowed base's id, else the build is
   stopped at once and its log withheld;
3. afterwards every ancestor of the result, down to an allowed base, must be a layer this build
   made.

Limits: wall time, memory (no swap), CPU quota and processes (a parent cgroup per build),
the disk the steps write (polled while it runs), each new layer and the whole image. The build
has no network, or the package indexes only (`sandbox.build_network`). It is cancelled when
asked. Nothing of a failed build is kept; a successful one keeps only the result's own layers.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
import uuid
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
import docker.utils
import requests

from sandbox.archives import ArchiveLimits, safe_extract
from sandbox.build_cgroup import BuildCgroup
from sandbox.build_network import NO_NETWORK, BuildNetwork, PackageAccess
from sandbox.build_result import discard, verify_result
from sandbox.build_steps import StepReader, short_id
from sandbox.docker_errors import translate_docker_errors
from sandbox.dockerfile import RUNTIME_IMAGES, DockerfileCheck, check_dockerfile
from sandbox.errors import BuildError, Cancelled, ImageError, SandboxError

_MB = 1024 * 1024
_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class BuildLimits:
    """Limits for building a participant's context.

    Attributes:
        wall_seconds: the build is stopped after this long.
        memory_mb: memory of each build step (swap off).
        cpus: CPU quota of each build step.
        processes: processes and threads alive at once, all steps together.
        disk_mb: what the steps may write (their containers' layers) at any moment.
        layer_mb: the largest new layer (and the largest single file a step may write).
        image_mb: the resulting image, base included.
        max_context_mb: the uploaded context archive.
        log_kb: the tail of the build log that is kept.
        archive: what the context archive may hold.
        allowed_bases: the images ``FROM`` may name, written exactly as in the Dockerfile.
    """

    wall_seconds: int = 900
    memory_mb: int = 4096
    cpus: float = 2.0
    processes: int = 512
    disk_mb: int = 8192
    layer_mb: int = 4096
    image_mb: int = 12288
    max_context_mb: int = 512
    log_kb: int = 256
    archive: ArchiveLimits = ArchiveLimits()
    allowed_bases: tuple[str, ...] = RUNTIME_IMAGES


@dataclass(frozen=True)
class BuiltImage:
    """An image built from a participant's context, with the tail of its build log."""

    image_id: str
    digest: str
    build_log: str
    build_seconds: float


def build_image(
    client: docker.DockerClient,
    context_archive: Path,
    limits: BuildLimits,
    *,
    labels: dict[str, str] | None = None,
    packages: PackageAccess | None = None,
    cancel: threading.Event | None = None,
) -> BuiltImage:
    """Build a participant's context (tar, tar.gz or zip holding a Dockerfile) under limits.

    Args:
        client: a connected Docker client; the build itself uses its own connection to it.
        context_archive: the uploaded context; the Dockerfile sits at its root or in its one
            top-level folder.
        limits: time, memory, CPU, processes, disk, sizes, log and the allowed bases.
        labels: labels to set on the built image.
        packages: the package indexes the build may reach; None: no network at all.
        cancel: set it to stop the build (it then raises `Cancelled`).

    Returns:
        The built image with the tail of its build log.

    Raises:
        ArchiveError: the context archive is unsafe.
        ImageError: no Dockerfile where one is expected, a refused Dockerfile, context too
            large, no ENTRYPOINT/CMD.
        BuildError: a step failed or a limit was passed; carries the log.
        Cancelled: `cancel` was set.
        EngineUnavailable: the engine could not be reached.
        SandboxError: the engine or the package proxy failed (the platform's fault).
    """
    size = context_archive.stat().st_size
    if size > limits.max_context_mb * _MB:
        raise ImageError(
            f"your build context is {size // _MB} MB; the limit is "
            f"{limits.max_context_mb} MB: leave data and checkpoints out of it"
        )
    workdir = Path(tempfile.mkdtemp(prefix="podium-build-"))
    try:
        safe_extract(context_archive, workdir / "context", limits.archive)
        root = _dockerfile_root(workdir / "context")
        check = check_dockerfile(_read_dockerfile(root), limits.allowed_bases)
        bases = _base_ids(client, check)
        build_id = uuid.uuid4().hex[:16]
        opened = packages.network(build_id, limits.wall_seconds) if packages else None
        with opened or nullcontext(NO_NETWORK) as network:
            job = _BuildJob(client, root, limits, labels or {}, network, check, bases, build_id)
            return job.run(cancel)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class _BuildJob:
    """One build: the request in a thread, the watch (time, disk, cancel) in the caller's."""

    def __init__(
        self,
        client: docker.DockerClient,
        root: Path,
        limits: BuildLimits,
        labels: dict[str, str],
        network: BuildNetwork,
        check: DockerfileCheck,
        bases: dict[str, str],
        build_id: str,
    ) -> None:
        self.client, self.root, self.limits, self.labels = client, root, limits, labels
        self.network, self.bases = network, bases
        self.cgroup = BuildCgroup.for_engine(client, build_id)
        self.steps = StepReader(check, bases, 1 if labels else 0, limits.log_kb)
        self.stopped: str | None = None  # why the watch stopped the build
        self.exception: BaseException | None = None
        self.responses: list[requests.Response] = []

    def run(self, cancel: threading.Event | None) -> BuiltImage:
        started = time.monotonic()
        self.cgroup.limit_processes(self.limits.processes)
        try:
            self._build_and_watch(cancel, started)
            image_id = self._outcome()
            verify_result(
                self.client, image_id, self.bases, set(self.steps.made),
                image_mb=self.limits.image_mb, layer_mb=self.limits.layer_mb,
            )  # fmt: skip
        except BaseException:
            discard(self.client, self._everything(), keep=None, spare=self.bases.values())
            raise
        finally:
            self.cgroup.remove_containers(self.client)
            self.cgroup.remove()
        discard(self.client, self._everything(), keep=image_id, spare=self.bases.values())
        seconds = round(time.monotonic() - started, 2)
        return BuiltImage(image_id, image_id, self.steps.log.text(), seconds)

    def _everything(self) -> list[str]:
        return [*self.steps.made, *(short_id(result) for result in self.steps.results)]

    def _build_and_watch(self, cancel: threading.Event | None, started: float) -> None:
        api = _dedicated_api(self.client, self.limits.wall_seconds + 60)
        api.hooks["response"].append(lambda response, *a, **k: self.responses.append(response))
        thread = threading.Thread(target=self._stream, args=(api,), name="podium-build")
        try:
            thread.start()
            last_disk = 0.0
            while thread.is_alive():
                thread.join(_POLL_SECONDS)
                now = time.monotonic()
                if cancel is not None and cancel.is_set():
                    self._stop("cancelled")
                elif now - started > self.limits.wall_seconds:
                    self._stop("timeout")
                elif now - last_disk >= 1.0:
                    last_disk = now
                    if self.cgroup.disk_used(self.client) > self.limits.disk_mb * _MB:
                        self._stop("disk")
                if self.steps.refusal is not None:
                    self._stop("refused")
                if self.stopped:
                    self._abort(thread)
                    return
        finally:
            api.close()

    def _stop(self, why: str) -> None:
        self.stopped = self.stopped or why

    def _abort(self, thread: threading.Thread) -> None:
        """Close the build's connection (the engine then cancels it) and kill its steps."""
        for response in list(self.responses):
            with suppress(Exception):
                response.raw.shutdown()
            response.close()
        self.cgroup.remove_containers(self.client)
        thread.join(30)

    def _stream(self, api: docker.APIClient) -> None:
        try:
            with translate_docker_errors("building your image", api_error=ImageError):
                response = api.post(
                    api._url("/build"),
                    data=_context(self.root),
                    params=self._params(),
                    headers={"Content-Type": "application/x-tar"},
                    stream=True,
                    timeout=self.limits.wall_seconds + 60,
                )
                api._raise_for_status(response)
                for chunk in api._stream_helper(response, decode=True):
                    self.steps.record(chunk)
        except Exception as error:  # handed to the watching thread
            if not self.stopped:
                self.exception = error

    def _params(self) -> dict[str, Any]:
        limits = self.limits
        file_bytes = limits.layer_mb * _MB
        return {
            "rm": "1",
            "forcerm": "1",
            "nocache": "1",  # another team's cached layers must never be reused
            "pull": "",
            "networkmode": self.network.mode,
            "buildargs": json.dumps(self.network.build_args),
            "labels": json.dumps(self.labels),
            "memory": limits.memory_mb * _MB,
            "memswap": limits.memory_mb * _MB,
            "cpuperiod": 100_000,
            "cpuquota": int(limits.cpus * 100_000),
            "cgroupparent": self.cgroup.parent,
            "ulimits": json.dumps(
                [
                    {"Name": "fsize", "Soft": file_bytes, "Hard": file_bytes},
                    {"Name": "core", "Soft": 0, "Hard": 0},
                ]
            ),
        }

    def _outcome(self) -> str:
        """The built image's id, or the error that explains why there is none."""
        tail, limits, error = self.steps.log.text(), self.limits, self.steps.error
        if self.stopped == "cancelled":
            raise Cancelled("the build was cancelled")
        if self.stopped == "refused":
            raise ImageError(self.steps.refusal or "your build was refused")
        if self.stopped == "disk":
            raise BuildError(
                f"your build wrote more than {limits.disk_mb} MB and was stopped; the limit "
                f"for builds is {limits.disk_mb} MB: leave data and caches out of the image",
                "",
            )
        limit_hit = self._limit_hit()
        if limit_hit is not None and (self.stopped == "timeout" or error is not None):
            raise BuildError(limit_hit, tail)
        if self.stopped == "timeout":
            raise BuildError(
                f"your build ran longer than {limits.wall_seconds} s and was stopped; "
                "make it faster (fewer or smaller dependencies) or build the image "
                "yourself and submit it with docker save",
                tail,
            )
        if error is not None:
            raise BuildError(_explain(error, limits.layer_mb), tail)
        if self.exception is not None:
            raise self.exception
        if not self.steps.results:
            raise BuildError("your build ended without producing an image; see the build log", tail)
        return self.steps.results[-1]

    def _limit_hit(self) -> str | None:
        """The process or memory limit the build ran into, said plainly; None if neither."""
        usage = self.cgroup.read()
        limits = self.limits
        if usage.peak_processes is not None and usage.peak_processes >= limits.processes:
            return (
                f"your build tried to run more than {limits.processes} processes at once and was "
                f"stopped; the limit for builds is {limits.processes} processes and threads"
            )
        peak = usage.peak_memory_bytes
        if peak is not None and peak >= 0.97 * limits.memory_mb * _MB:
            return (
                f"your build used more than {limits.memory_mb} MB of memory and was stopped; "
                f"the limit for builds is {limits.memory_mb} MB"
            )
        return None


def _explain(error: str, layer_mb: int) -> str:
    message = " ".join(error.split())[:500]
    if "file size limit exceeded" in message.lower() or "code: 153" in message:
        return (
            f"a step of your build wrote a file larger than {layer_mb} MB; the limit is "
            f"{layer_mb} MB per file and per layer ({message})"
        )
    return f"your build failed: {message}; see the end of the build log"


def _read_dockerfile(root: Path) -> str:
    with (root / "Dockerfile").open("rb") as handle:
        data = handle.read(512 * 1024)
    return data.decode("utf-8", errors="replace")


def _base_ids(client: docker.DockerClient, check: DockerfileCheck) -> dict[str, str]:
    """Each allowed base the Dockerfile names -> its short image id on this engine."""
    ids: dict[str, str] = {}
    for base in sorted(check.bases):
        try:
            with translate_docker_errors(f"looking up the base image {base}"):
                attrs = client.api.inspect_image(base)
        except ImageError:
            raise SandboxError(
                f"the base image {base} is not on this worker; the operators must build the "
                "runtime images (podium images build)"
            ) from None
        ids[base] = str(attrs["Id"]).removeprefix("sha256:")[:12]
    return ids


def _context(root: Path) -> Any:
    """The context as the docker CLI sends it (.dockerignore honoured)."""
    exclude = None
    ignore = root / ".dockerignore"
    if ignore.is_file():
        lines = ignore.read_text(errors="replace").splitlines()
        exclude = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return docker.utils.tar(str(root), exclude=exclude, dockerfile=("Dockerfile", None))


def _dockerfile_root(context: Path) -> Path:
    """The context root: the archive's root, or its single top-level folder (a zipped folder)."""
    if (context / "Dockerfile").is_file():
        return context
    # Archivers on macOS add these next to the folder people zip.
    entries = [p for p in context.iterdir() if p.name not in ("__MACOSX", ".DS_Store")]
    if len(entries) == 1 and entries[0].is_dir() and (entries[0] / "Dockerfile").is_file():
        return entries[0]
    found = sorted(p.relative_to(context).as_posix() for p in context.rglob("Dockerfile"))[:3]
    where = f" (found: {', '.join(found)})" if found else ""
    raise ImageError(
        "your build context has no Dockerfile at its root or in its single "
        f"top-level folder{where}; put the Dockerfile at the top of the archive"
    )


def _dedicated_api(client: docker.DockerClient, timeout_seconds: int) -> docker.APIClient:
    """A second client to the same engine, so the build's connection is ours alone to close."""
    adapter = getattr(client.api, "_custom_adapter", None)
    socket_path = getattr(adapter, "socket_path", None)
    base_url = f"unix://{socket_path}" if socket_path else client.api.base_url
    with translate_docker_errors("connecting to the Docker engine"):
        return docker.APIClient(
            base_url=base_url, version=client.api.api_version, timeout=timeout_seconds
        )
