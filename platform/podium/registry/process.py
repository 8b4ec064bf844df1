"""The registry as a child of `podium up`: configure, start, wait until it answers, seed.

It listens on 127.0.0.1 only. Seeding pushes the runtime images the engine holds and the
registry lacks (the first time: minutes for runtime-torch; afterwards a few HEAD requests), so
participants' pushes and workers' pulls find their base layers there already.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable

import docker
import httpx

from podium.cli.supervise import Child, start_child
from podium.registry.client import RegistryClient, RegistryUnavailable
from podium.registry.config import BINARY, TOKEN_PATH, RegistryFiles, signer_for, write_config
from podium.registry.engine import push
from podium.settings import Settings
from sandbox.dockerfile import RUNTIME_IMAGES
from sandbox.errors import SandboxError

log = logging.getLogger(__name__)
READY_SECONDS = 20.0


class RegistryNotStarted(Exception):
    """The registry binary is missing, or the process did not answer in time."""


def start_registry(settings: Settings, api_url: str) -> Child:
    """Start the registry on 127.0.0.1:<registry_port>, its tokens from the API at ``api_url``.

    Raises:
        RegistryNotStarted: no ``docker-registry`` binary, or it did not answer in time.
    """
    binary = shutil.which(BINARY)
    if binary is None:
        raise RegistryNotStarted(
            f"{BINARY} is not installed (Debian: apt-get install docker-registry); "
            "or set PODIUM_REGISTRY_ENABLED=false to run without the registry"
        )
    files = RegistryFiles.under(settings.home)
    signer_for(settings)  # the certificate must exist before the registry reads it
    config = write_config(
        files,
        listen=f"127.0.0.1:{settings.registry_port}",
        realm=api_url.rstrip("/") + TOKEN_PATH,
        secret_key=settings.get_secret_key(),
    )
    child = start_child([binary, "serve", str(config)], files.log)
    wait_ready(settings.registry_url, child)
    return child


def wait_ready(url: str, child: Child, seconds: float = READY_SECONDS) -> None:
    """Wait until ``/v2/`` answers (401: it asks for a token, so it is serving)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RegistryNotStarted(
                f"the registry exited with code {child.returncode}; is port "
                f"{url.rsplit(':', 1)[-1]} taken? see its log under <home>/registry"
            )
        try:
            if httpx.get(url.rstrip("/") + "/v2/", timeout=1.0).status_code == 401:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RegistryNotStarted(f"the registry at {url} did not answer within {seconds:.0f} s")


def seed_runtime_images(
    settings: Settings, engine: docker.DockerClient, report: Callable[[str], None]
) -> list[str]:
    """Push the runtime images the registry lacks; returns the ones pushed."""
    registry = RegistryClient(settings.registry_url, signer_for(settings))
    pushed = []
    try:
        for image in RUNTIME_IMAGES:
            repository, tag = image.rsplit(":", 1)
            if not _engine_has(engine, image) or registry.manifest(repository, tag) is not None:
                continue
            report(f"pushing {image} into the registry (once)")
            token = registry.token(
                [{"type": "repository", "name": repository, "actions": ["pull", "push"]}]
            )
            push(engine, image, host=settings.registry_engine_host,
                 repository=repository, tag=tag, token=token)  # fmt: skip
            pushed.append(image)
    except (RegistryUnavailable, SandboxError) as error:
        report(f"could not seed the registry with the runtime images: {error}")
    finally:
        registry.close()
    return pushed


def _engine_has(engine: docker.DockerClient, image: str) -> bool:
    try:
        engine.api.inspect_image(image)
    except docker.errors.DockerException:
        return False
    return True
