"""`podium worker`: one Celery worker for the evaluation queues, with the reaper thread."""

from __future__ import annotations

import logging
import os
import socket

import typer

from podium.cli.common import one_line_errors
from podium.settings import get_settings

app = typer.Typer(help="Run an evaluation worker.", invoke_without_command=True)


@app.callback()
def worker(
    queues: str = typer.Option("default", help="comma-separated queues: default, gpu"),
    concurrency: int = typer.Option(1, min=1, help="evaluations run at once"),
    reaper: bool = typer.Option(True, help="also run the reaper thread (stale runs, leftovers)"),
    loglevel: str = typer.Option("info", help="Celery log level"),
    pool: str = typer.Option("prefork", help="Celery pool: prefork (default) or solo"),
) -> None:
    """Start a Celery worker (blocks; Ctrl-C stops it after the current evaluation)."""
    from podium.broker import make_celery
    from podium.worker.hostcheck import check_worker_host
    from podium.worker.presence import Presence
    from podium.worker.upkeep import start_reaper

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = get_settings()
    node = f"podium-{os.getpid()}@{socket.gethostname()}"
    with one_line_errors():
        check_worker_host(settings)
    presence = Presence(settings, name=node, queues=queues, concurrency=concurrency).start()
    thread = start_reaper(settings) if reaper else None
    try:
        make_celery(settings).worker_main(
            [
                "worker",
                f"--concurrency={concurrency}",
                f"--queues={queues}",
                f"--loglevel={loglevel}",
                f"--pool={pool}",
                f"--hostname={node}",
                "--without-gossip",
                "--without-mingle",
            ]
        )
    finally:
        if thread is not None:
            thread.stop()
        presence.stop()
