"""A worker's presence: it stamps its row every reaper interval, and tidies up when it stops.

The stamp carries what operators need to see per worker (:mod:`podium.crud.workers`): its
queues, the free space of its staging disk and the size of its engine's image store. When the
worker stops cleanly it removes its row, and the package proxy of participants' builds when no
build uses it (the next build starts it again), so that stopping a deployment leaves no
container running on the engine.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
from pathlib import Path

import docker
import docker.errors
from sqlmodel import Session

from podium.crud.workers import BeatFacts, forget_worker, record_beat
from podium.db.engine import create_db_engine
from podium.pipeline.reaper import ReaperThread
from podium.settings import Settings
from podium.worker.runtime import docker_client
from sandbox.build_network import EGRESS_NETWORK, PROXY_LABEL
from sandbox.engine_usage import disk_usage
from sandbox.errors import SandboxError

log = logging.getLogger(__name__)
MB = 1 << 20


def staging_disk(staging: Path) -> tuple[int | None, int | None]:
    """Free and total MB of the disk holding the staging folder (None, None if unreadable)."""
    try:
        staging.mkdir(parents=True, exist_ok=True)
        usage = shutil.disk_usage(staging)
    except OSError:
        return None, None
    return usage.free // MB, usage.total // MB


def engine_facts(client: docker.DockerClient) -> tuple[int | None, str]:
    """The engine's image store size in MB, and its version with its runtimes."""
    try:
        layers = disk_usage(client).get("LayersSize")
        info = client.info()
    except (docker.errors.DockerException, OSError) as error:
        log.warning("could not read the engine's image store: %s", error)
        return None, ""
    runtimes = ",".join(sorted(info.get("Runtimes") or {}))
    engine = f"{info.get('ServerVersion', '?')} ({runtimes})"
    return (int(layers) // MB if isinstance(layers, int) else None), engine


def collect(settings: Settings, *, name: str, queues: str, concurrency: int) -> BeatFacts:
    """What this worker reports now."""
    free, total = staging_disk(settings.sandbox_staging)
    images_mb, engine = None, ""
    try:
        client = docker_client(settings)
    except SandboxError as error:
        log.warning("the engine does not answer: %s", error)
    else:
        try:
            images_mb, engine = engine_facts(client)
        finally:
            client.close()
    return BeatFacts(
        name=name, hostname=socket.gethostname(), queues=queues, concurrency=concurrency,
        staging_free_mb=free, staging_total_mb=total, image_store_mb=images_mb, engine=engine,
    )  # fmt: skip


class Presence:
    """The stamping thread of one worker; :meth:`stop` removes its row and an idle proxy."""

    def __init__(self, settings: Settings, *, name: str, queues: str, concurrency: int) -> None:
        self.settings = settings
        self.name = name
        self._engine = create_db_engine(settings.database_url)

        def tick() -> None:
            facts = collect(settings, name=name, queues=queues, concurrency=concurrency)
            with Session(self._engine) as session:
                record_beat(session, facts)

        self._tick = tick
        self._thread = ReaperThread(tick, settings.reaper_interval_seconds)

    def start(self) -> Presence:
        """Stamp once now (so the worker shows at once), then every interval."""
        try:
            self._tick()
        except Exception:  # the database may still be starting: the thread tries again
            log.warning("could not record this worker's presence yet", exc_info=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop stamping, remove this worker's row and the build proxy if no build uses it."""
        self._thread.stop()
        with contextlib.suppress(Exception), Session(self._engine) as session:
            forget_worker(session, self.name)
        self._engine.dispose()
        try:
            client = docker_client(self.settings)
        except SandboxError:
            return
        try:
            release_build_proxy(client)
        finally:
            client.close()


def release_build_proxy(
    client: docker.DockerClient, *, label: str = PROXY_LABEL, egress: str = EGRESS_NETWORK
) -> bool:
    """Remove the package proxy and its network when no build network is attached to it.

    Args:
        client: the engine.
        label: the label the proxy containers carry.
        egress: the proxy's outward network.

    Returns:
        Whether anything was removed. Safe when several workers stop at once.
    """
    api = client.api
    removed = False
    try:
        for proxy in api.containers(all=True, filters={"label": label}):
            networks = ((proxy.get("NetworkSettings") or {}).get("Networks") or {}).keys()
            if any(n != egress for n in networks):
                continue  # a build is using it right now
            with contextlib.suppress(docker.errors.NotFound):
                api.remove_container(proxy["Id"], force=True)
                removed = True
        for network in api.networks(names=[egress]):
            attached = api.inspect_network(network["Id"]).get("Containers")
            if network.get("Name") != egress or attached:
                continue
            with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                api.remove_network(network["Id"])
                removed = True
    except (docker.errors.DockerException, OSError) as error:
        log.warning("could not remove the idle build proxy: %s", error)
    return removed
