"""`podium platform registry-gc`: the registry's garbage collection, for operators.

Step one (the registry running) deletes the manifests of team repositories that no submission
still needs (:mod:`podium.registry.gc`); step two (``--blobs``, the registry stopped) runs
Distribution's ``docker-registry garbage-collect`` to free the layers no manifest holds. With
`podium up`: run step one at any time, step two while `podium up` is stopped. With compose:
``docker-compose exec api podium platform registry-gc``, then ``docker-compose stop registry``,
``docker-compose run --rm registry podium platform registry-gc --blobs`` and
``docker-compose start registry``.
"""

from __future__ import annotations

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
