"""Build a participant's context (a Dockerfile and its files) into an image, under limits.

The context is extracted with `safe_extract`, then built by the legacy builder over a dedicated
connection, so that closing it at the wall-time limit makes the engine cancel the build. The
build log is kept as a capped tail. Nothing is ever pulled.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import requests

from sandbox.archives import ArchiveLimits, safe_extract
from sandbox.docker_errors import translate_docker_errors
from sandbox.errors import BuildError, ImageError
from sandbox.intake import require_entrypoint
from sandbox.logtail import TailBuffer

_MB = 1024 * 1024
_RUNTIME_IMAGES = (
    "podium/runtime-python:3.11, podium/runtime-sklearn:3.11 or podium/runtime-torch:3.11"
)
_PULL_FAILURE = re.compile(
    r"pull access denied|registry|manifest unknown|no such host|dial tcp|"
    r"repository does not exist|failed to resolve|i/o timeout",
    re.I,
)


@dataclass(frozen=True)
class BuildLimits:
    """Limits for building a participant's context.

    `network` is on by default because `pip install` in a Dockerfile needs it; the price is that
    build steps run arbitrary code with network access (on a cloud host, block the metadata
    address on the host firewall). Turn it off to require contexts that vendor their wheels.
    The legacy builder has no CPU quota: only a relative weight and a CPU set exist.
    """

    wall_seconds: int = 900
    memory_mb: int = 4096  # swap is off during the build: memswap equals memory
    cpu_shares: int | None = None  # relative weight, 1024 is the default share
    cpuset_cpus: str | None = None  # e.g. "0-1"
    network: bool = True
    max_context_mb: int = 512
    log_kb: int = 256
    archive: ArchiveLimits = ArchiveLimits()


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
) -> BuiltImage:
    """Build a participant's context (tar, tar.gz or zip holding a Dockerfile) under limits.

    Args:
        client: a connected Docker client; the build itself uses its own connection to it.
        context_archive: the uploaded context; the Dockerfile sits at its root or in its one
            top-level folder.
        limits: time, memory, CPU, network, context size and log size.
        labels: labels to set on the built image (and its intermediate images).

    Returns:
        The built image with the tail of its build log.

    Raises:
        ArchiveError: the context archive is unsafe.
        BuildError: a step failed or the build ran past `limits.wall_seconds`; carries the log.
        ImageError: no Dockerfile where one is expected, context too large, no ENTRYPOINT/CMD.
        EngineUnavailable: the engine could not be reached.
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
        started = time.monotonic()
        image_id, log = _run_build(client, root, limits, labels or {})
        seconds = round(time.monotonic() - started, 2)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    with translate_docker_errors("checking your image", api_error=ImageError):
        attrs = client.api.inspect_image(image_id)
    require_entrypoint(client, attrs, remove=not attrs.get("RepoTags"))
    return BuiltImage(image_id, image_id, log, seconds)


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


def _run_build(
    client: docker.DockerClient, root: Path, limits: BuildLimits, labels: dict[str, str]
) -> tuple[str, str]:
    """Build `root` in a thread; at the wall-time limit close its connection to cancel it."""
    api = _dedicated_api(client, limits.wall_seconds + 60)
    responses: list[requests.Response] = []
    api.hooks["response"].append(lambda response, *args, **kwargs: responses.append(response))
    log = TailBuffer(limits.log_kb * 1024)
    outcome: dict[str, Any] = {}
    worker = threading.Thread(
        target=_stream_build,
        args=(api, root, limits, labels, log, outcome),
        name="podium-build",
        daemon=True,
    )
    try:
        worker.start()
        worker.join(limits.wall_seconds)
        if worker.is_alive():
            outcome["timed_out"] = True
            for response in responses:
                response.raw.shutdown()  # wakes the reading thread; the close below tells dockerd
                response.close()
            worker.join(30)
    finally:
        api.close()
    return _build_result(client, outcome, log, limits)


def _dedicated_api(client: docker.DockerClient, timeout_seconds: int) -> docker.APIClient:
    """A second client to the same engine, so the build's connection is ours alone to close."""
    adapter = getattr(client.api, "_custom_adapter", None)
    socket_path = getattr(adapter, "socket_path", None)
    base_url = f"unix://{socket_path}" if socket_path else client.api.base_url
    with translate_docker_errors("connecting to the Docker engine"):
        return docker.APIClient(
            base_url=base_url, version=client.api.api_version, timeout=timeout_seconds
        )


def _stream_build(
    api: docker.APIClient,
    root: Path,
    limits: BuildLimits,
    labels: dict[str, str],
    log: TailBuffer,
    outcome: dict[str, Any],
) -> None:
    container_limits: dict[str, Any] = {
        "memory": limits.memory_mb * _MB,
        "memswap": limits.memory_mb * _MB,
    }
    if limits.cpu_shares is not None:
        container_limits["cpushares"] = limits.cpu_shares
    if limits.cpuset_cpus is not None:
        container_limits["cpusetcpus"] = limits.cpuset_cpus
    try:
        with translate_docker_errors("building your image", api_error=ImageError):
            for chunk in api.build(
                path=str(root),
                rm=True,
                forcerm=True,
                pull=False,
                decode=True,
                container_limits=container_limits,
                network_mode=None if limits.network else "none",
                labels=labels,
                timeout=limits.wall_seconds + 60,
            ):
                _record(chunk, log, outcome)
    except Exception as error:  # handed to the calling thread, which raises it
        outcome["error_object"] = error


def _record(chunk: dict[str, Any], log: TailBuffer, outcome: dict[str, Any]) -> None:
    if "stream" in chunk:
        log.write(str(chunk["stream"]).encode("utf-8", errors="replace"))
    elif "error" in chunk or "errorDetail" in chunk:
        detail = chunk.get("errorDetail") or {}
        message = str(detail.get("message") or chunk.get("error") or "unknown error")
        outcome.setdefault("error", message)
        log.write(f"ERROR: {message}\n".encode())
    elif isinstance(chunk.get("aux"), dict) and "ID" in chunk["aux"]:
        outcome["image_id"] = str(chunk["aux"]["ID"])
    elif "status" in chunk:
        log.write(f"{chunk['status']}\n".encode())


def _build_result(
    client: docker.DockerClient, outcome: dict[str, Any], log: TailBuffer, limits: BuildLimits
) -> tuple[str, str]:
    tail = log.text()
    if outcome.get("timed_out"):
        raise BuildError(
            f"your build ran longer than {limits.wall_seconds} s and was stopped; "
            "make it faster (fewer or smaller dependencies) or build the image "
            "yourself and submit it with docker save",
            tail,
        )
    if "error" in outcome:
        message = " ".join(str(outcome["error"]).split())[:500]
        if _PULL_FAILURE.search(message):
            raise BuildError(
                "your Dockerfile needs a base image that is not on the build host "
                f"({message}); no registry is reachable from the build host: build "
                f"FROM one of the platform's runtime images, {_RUNTIME_IMAGES}",
                tail,
            )
        raise BuildError(f"your build failed: {message}; see the end of the build log", tail)
    if "error_object" in outcome:
        raise outcome["error_object"]
    if "image_id" not in outcome:
        raise BuildError("your build ended without producing an image; see the build log", tail)
    return outcome["image_id"], tail
