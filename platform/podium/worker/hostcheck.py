"""At start, a worker checks that the engine sees what it writes in its staging folder.

The sandbox bind-mounts folders of the staging area (and the tmpfs each run's ``/output`` gets)
by path, and the engine resolves those paths on its own host. A worker in a container must
therefore see the staging folder at the same path as the host, through a shared mount (its
tmpfs mounts must reach the host); otherwise a model's predictions would land where the worker
never looks, and the participant would be blamed for a platform fault. The check mounts a stage
exactly as a run does, writes a marker, and has a container read it back.
"""

from __future__ import annotations

import logging
import secrets
import time
from pathlib import Path

import docker
import docker.errors
from docker.types import Mount

from podium.settings import Settings
from sandbox.docker_errors import connect, translate_docker_errors
from sandbox.errors import EngineUnavailable, SandboxError
from sandbox.outputs import OutputStage

log = logging.getLogger(__name__)
PROBE_IMAGE = "podium/runtime-python:3.11"
GUIDE = "docs/deployment.md, 'Worker hosts'"
ATTEMPTS = 5  # with pauses of 0.5, 1, 2 and 4 s: a loaded engine is not taken for a wrong host


class StagingNotShared(SandboxError):
    """The engine does not see the worker's staging folder as the worker does."""


def check_worker_host(settings: Settings) -> None:
    """:func:`check_staging_shared` on the configured engine; an engine that is down is logged.

    Raises:
        SandboxError: the staging folder is not shared, or the runtime images are missing.
    """
    try:
        client = connect(settings.docker_host, timeout_seconds=60)
    except EngineUnavailable as error:
        log.warning("could not check the staging folder (%s); going on", error)
        return
    try:
        check_staging_shared(client, settings.sandbox_staging)
    finally:
        client.close()


def check_staging_shared(client: docker.DockerClient, staging: Path) -> None:
    """Raise unless a container started on ``client`` reads what this process staged.

    An engine that does not answer is only logged: the worker's tasks treat that as a platform
    fault and retry, and it may come back.

    Raises:
        StagingNotShared: the engine answered but did not see the marker; the message says
            what to do.
    """
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(0.5 * 2 ** (attempt - 1))
        marker = secrets.token_hex(16)
        stage = OutputStage(staging / "runs", f"hostcheck-{secrets.token_hex(6)}", 1 << 20, 16)
        try:
            stage.create()
            mounted = stage.mounted
            (stage.path / "marker").write_text(marker)
            seen = _read_back(client, stage.path)
        except EngineUnavailable as error:
            log.warning("could not check the staging folder (%s); going on", error)
            return
        finally:
            stage.remove()
        if seen == marker:
            return
        log.warning("the engine did not see the staging probe (read %r); trying again", seen)
    raise StagingNotShared(
        f"the Docker engine does not see what this worker writes in its staging folder "
        f"{staging} ({'its own tmpfs' if mounted else 'a plain folder'}): it must be the "
        f"same path on the engine's host, and a "
        f"shared mount when the worker runs in a container; on the host run "
        f"`sudo deploy/prepare-host {staging}` and start the worker again ({GUIDE})"
    )


def _read_back(client: docker.DockerClient, folder: Path) -> str:
    with translate_docker_errors("checking the staging folder"):
        try:
            client.images.get(PROBE_IMAGE)
        except docker.errors.ImageNotFound:
            raise SandboxError(
                f"{PROBE_IMAGE} is missing on this worker's Docker engine; build the runtime "
                "images on this host first (`make images`)"
            ) from None
        try:
            output = client.containers.run(
                PROBE_IMAGE,
                ["cat", "/probe/marker"],
                mounts=[Mount("/probe", str(folder), type="bind", read_only=True)],
                network_mode="none",
                read_only=True,
                remove=True,
                stderr=False,
            )
        except docker.errors.ContainerError as error:  # the engine sees another folder
            log.warning("the staging probe found no marker: %s", error)
            return ""
        except docker.errors.APIError as error:
            if "does not exist" in str(error):  # the folder is not on the engine's host at all
                return ""
            raise
    return output.decode(errors="replace").strip() if isinstance(output, bytes) else ""
