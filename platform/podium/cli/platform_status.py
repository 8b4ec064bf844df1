"""`podium platform status`: queue depths, workers alive, what each runs, their disks.

An operator's command: it reads the database and the broker named by the settings (run it
where the platform runs, e.g. `docker-compose exec api podium platform status`).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

import typer
from rich.console import Console

from podium.cli.common import fail
from podium.crud.workers import PlatformHealth, WorkerHealth
from podium.settings import get_settings

app = typer.Typer(help="The platform's health, for operators.", no_args_is_help=True)


@app.command()
def status(
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of tables"),
) -> None:
    """Queue depth per queue, workers alive and what each runs, free disk and image store."""
    from podium.db import get_engine, session_scope
    from podium.health import health_report

    settings = get_settings()
    try:
        with session_scope(get_engine(settings)) as session:
            report = health_report(session, settings)
    except Exception as error:  # the CLI boundary: one line, never a traceback
        fail(f"could not read the platform's health: {error}")
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(report), default=_json_default, indent=2))
        return
    _print(report)


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _print(report: PlatformHealth) -> None:
    console = Console(highlight=False, soft_wrap=True)
    queues = ", ".join(
        f"{name}: {'broker down' if depth is None else depth} waiting"
        for name, depth in report.queues.items()
    )
    console.print(f"queues: {queues}", markup=False)
    console.print(f"workers alive: {len(report.alive)} of {len(report.workers)} seen", markup=False)
    for worker in report.workers:
        state = "alive" if worker.alive else "gone"
        console.print(
            f"{worker.name}  {state}  queues {worker.queues}  "
            f"seen {worker.seen_at:%Y-%m-%d %H:%M:%S}  staging free {_free(worker)}  "
            f"image store {_mb(worker.image_store_mb)}  runs: {_runs(worker)}",
            markup=False,
        )


def _mb(value: int | None) -> str:
    if value is None:
        return "?"
    return f"{value / 1024:.1f} GB" if value >= 1024 else f"{value} MB"


def _free(worker: WorkerHealth) -> str:
    if worker.staging_free_mb is None or not worker.staging_total_mb:
        return "?"
    share = 100 * worker.staging_free_mb / worker.staging_total_mb
    return f"{_mb(worker.staging_free_mb)} ({share:.0f}%)"


def _runs(worker: WorkerHealth) -> str:
    if not worker.running:
        return "idle"
    return ", ".join(
        f"#{run.submission_id} {run.challenge} ({run.status})"
        if run.submission_id is not None
        else f"another challenge ({run.status})"
        for run in worker.running
    )


@app.command("registry-gc")
def registry_gc(
    grace_hours: float = typer.Option(
        24.0, min=0, help="keep manifests pushed this recently even if no submission pins them"
    ),
    blobs: bool = typer.Option(
        False,
        "--blobs",
        help="then free the layers no manifest holds (docker-registry garbage-collect); "
        "the registry must be stopped",
    ),
) -> None:
    """Delete team images no submission still needs; with --blobs, free their layers."""
    from podium.cli.registry_admin import run_gc

    run_gc(get_settings(), grace_hours=grace_hours, blobs=blobs, echo=typer.echo)


@app.command("registry-serve")
def registry_serve(
    listen: str = typer.Option("127.0.0.1:5050", help="address:port the registry listens on"),
    realm: str = typer.Option(
        ...,
        help="the API's token endpoint as participants' engines reach it "
        "(https://HOST/api/v1/registry/token)",
    ),
) -> None:
    """Run the image registry in the foreground (the compose stack's registry service)."""
    from podium.cli.registry_admin import serve

    serve(get_settings(), listen=listen, realm=realm)


@app.command("registry-seed")
def registry_seed() -> None:
    """Push the runtime images this host's engine holds and the registry lacks (once)."""
    from podium.cli.registry_admin import seed

    seed(get_settings(), typer.echo)
