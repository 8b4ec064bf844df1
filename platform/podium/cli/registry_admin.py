"""The registry's operator commands: `podium platform registry-serve` (the compose stack's
registry service), `registry-seed` (push the runtime images it lacks) and `registry-gc`.

Garbage collection: step one (the registry running) deletes the manifests of team
repositories that no submission still needs (:mod:`podium.registry.gc`); step two
(``--blobs``, the registry stopped) runs Distribution's ``docker-registry garbage-collect`` to
free the layers no manifest holds. With `podium up`: step one at any time, step two while
`podium up` is stopped. With compose: ``docker-compose exec api podium platform registry-gc``,
then ``docker-compose stop registry``, ``docker-compose run --rm registry podium platform
registry-gc --blobs`` and ``docker-compose start registry``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import timedelta

from podium.cli.common import fail
from podium.settings import Settings


def run_gc(
    settings: Settings, *, grace_hours: float, blobs: bool, echo: Callable[[str], None]
) -> None:
    from podium.db import get_engine, session_scope
    from podium.registry.client import RegistryClient, RegistryUnavailable
    from podium.registry.config import BINARY, RegistryFiles, signer_for
    from podium.registry.gc import RegistryRunning, collect_blobs, delete_unpinned

    files = RegistryFiles.under(settings.home)
    if not files.config.is_file():
        fail(f"no registry configuration at {files.config}; is this the platform's home?")
    if not blobs:
        registry = RegistryClient(settings.registry_url, signer_for(settings))
        try:
            with session_scope(get_engine(settings)) as session:
                done = delete_unpinned(session, registry, files, grace=timedelta(hours=grace_hours))
        except RegistryUnavailable as error:
            fail(f"{error}; manifests are deleted through the running registry")
        finally:
            registry.close()
        for name in done.deleted:
            echo(f"deleted {name}")
        echo(f"{len(done.deleted)} manifests deleted, {done.kept} kept (pinned again meanwhile)")
        echo("their layers are freed by `podium platform registry-gc --blobs` (registry stopped)")
        return
    binary = shutil.which(BINARY)
    if binary is None:
        fail(f"{BINARY} is not installed here (apt-get install docker-registry)")
    try:
        echo(collect_blobs(files, settings.registry_url, binary))
    except (RegistryRunning, RuntimeError) as error:
        fail(str(error))


def serve(settings: Settings, *, listen: str, realm: str) -> None:
    """Write the configuration (and the token key pair on first use), then become the registry."""
    from podium.registry.config import BINARY, RegistryFiles, signer_for, write_config

    binary = shutil.which(BINARY)
    if binary is None:
        fail(f"{BINARY} is not installed here (apt-get install docker-registry)")
    signer_for(settings)  # the certificate must exist before the registry reads it
    config = write_config(
        RegistryFiles.under(settings.home), listen=listen, realm=realm,
        secret_key=settings.get_secret_key(),
    )  # fmt: skip
    os.execv(binary, [binary, "serve", str(config)])


def seed(settings: Settings, echo: Callable[[str], None]) -> None:
    """Push the runtime images this engine holds and the registry lacks."""
    from podium.cli.common import docker_client
    from podium.registry.process import seed_runtime_images

    pushed = seed_runtime_images(settings, docker_client(), echo)
    echo(f"pushed {', '.join(pushed)}" if pushed else "the registry holds every runtime image")
