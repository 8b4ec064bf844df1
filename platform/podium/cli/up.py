"""`podium up`: the whole platform on one machine (API, one worker, the reaper, MLflow's UI,
the image registry).

The worker is supervised: when it dies it is started again (with backoff), and the organisers'
page says so while no worker is alive. SIGTERM stops everything as Ctrl-C does; children run in
their own process groups (:mod:`podium.cli.supervise`).

Order: migrate the database; start MLflow's UI on loopback for the organiser (when the runs are
kept in the embedded SQLite store; its log goes to ``<home>/mlflow-ui.log``); start the image
registry on 127.0.0.1:<registry_port> (supervised; storage and log under ``<home>/registry``;
the runtime images it lacks are pushed in the background); with ``--examples``
install the example challenges, the demo accounts and the demo submissions; start the worker as
a child process (its log goes to ``<home>/worker.log``), the reaper as a thread here and the API
in a thread; with ``--examples``
follow the demo submissions and print the leaderboards; then serve until Ctrl-C, which stops the
API, asks the worker to stop (warm shutdown) and kills it if it lingers.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

import typer
import uvicorn
from rich.console import Console

from podium.cli.common import docker_client, fail
from podium.cli.supervise import Child, Supervisor, start_child, stop_child
from podium.settings import Settings, get_settings
from podium.tracking import Tracker

app = typer.Typer(help="Start the platform on this machine.", invoke_without_command=True)


@app.callback()
def up(
    host: str = typer.Option("127.0.0.1", help="address the API listens on"),
    port: int = typer.Option(8000, help="port the API listens on"),
    examples: bool = typer.Option(False, help="install the example challenges and baselines"),
    mlflow_port: int = typer.Option(5000, help="port of MLflow's UI (always on 127.0.0.1)"),
) -> None:
    """Run the API, one worker and the reaper until Ctrl-C."""
    from podium.db.migrate import upgrade
    from podium.pipeline.reaper import ReaperThread
    from podium.worker.upkeep import start_reaper

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    try:
        upgrade(settings.database_url)
    except Exception as error:  # the CLI boundary: one line
        fail(f"could not migrate the database: {error}")
    console = Console()
    signal.signal(signal.SIGTERM, _interrupt)  # a service manager stops us like Ctrl-C does
    children: list[Supervisor | ReaperThread] = []  # stopped in reverse order
    mlflow_ui: Child | None = None
    server: uvicorn.Server | None = None
    try:
        mlflow_ui, mlflow_url = start_mlflow_ui(settings, mlflow_port)
        demo_ids = _install_demo(settings, console) if examples else []
        console.print(
            f"MLflow's UI, every evaluation's run (organisers; this machine only): {mlflow_url}",
            soft_wrap=True,  # an address must stay on one line to be clicked or copied
        )
        if settings.registry_enabled:
            children.append(_start_registry(settings, host, port, console))
        children.append(Supervisor(lambda: start_worker(settings), "worker", console.print))
        children[-1].start()
        children.append(start_reaper(settings))
        server = _serve(host, port, settings, console, examples, demo_ids)
    except KeyboardInterrupt:
        console.print("stopping ...")
    finally:
        if server is not None:
            server.should_exit = True
        for child in reversed(children):
            child.stop()
        if mlflow_ui is not None:
            stop_child(mlflow_ui)


def _serve(
    host: str, port: int, settings: Settings, console: Console, examples: bool, demo_ids: list[int]
) -> uvicorn.Server:
    """Serve the API in a thread until it stops (Ctrl-C or SIGTERM raise KeyboardInterrupt)."""
    server = uvicorn.Server(
        uvicorn.Config(
            "podium.app:create_app", factory=True, host=host, port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, name="api", daemon=True)
    try:
        thread.start()
        _wait_started(server, thread)
        url = f"http://{host}:{port}"
        if examples:
            _show_demo(settings, demo_ids, url, console)
        console.print(
            f"Podium serves {url} (state in {settings.home}, worker log in "
            f"{settings.home / 'worker.log'}); Ctrl-C stops it",
            soft_wrap=True,
        )
        while thread.is_alive():
            thread.join(timeout=1)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return server


def _start_registry(settings: Settings, host: str, port: int, console: Console) -> Supervisor:
    """The image registry on loopback, supervised; the runtime images pushed in the background."""
    from podium.registry.process import RegistryNotStarted, seed_runtime_images, start_registry

    api = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    try:
        registry = Supervisor(lambda: start_registry(settings, api), "registry", console.print)
    except RegistryNotStarted as error:
        fail(f"could not start the image registry: {error}")
    registry.start()
    console.print(f"image registry (tokens from the API): {settings.registry_url}", soft_wrap=True)
    seed = threading.Thread(  # the engine is asked in the thread: up never waits on it
        target=lambda: seed_runtime_images(settings, docker_client(), console.print),
        name="registry-seed",
        daemon=True,
    )
    seed.start()
    return registry


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    while not server.started:
        if not thread.is_alive():
            fail("the API did not start; is the port already in use? try --port")
        time.sleep(0.1)


def _install_demo(settings: Settings, console: Console) -> list[int]:
    from sqlmodel import Session

    from podium.db.engine import create_db_engine
    from podium.demo import install

    engine = create_db_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        ids = install(session, settings, console)
    engine.dispose()
    return ids


def _show_demo(settings: Settings, ids: list[int], url: str, console: Console) -> None:
    from sqlmodel import Session

    from podium.db.engine import create_db_engine
    from podium.demo import follow, print_leaderboards

    engine = create_db_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        follow(session, ids, console)
    engine.dispose()
    print_leaderboards(url, console)


def start_worker(settings: Settings) -> Child:
    """One ``podium worker`` child in its own process group (no reaper: this process runs it)."""
    env = {**os.environ, "PODIUM_HOME": str(settings.home)}
    command = [sys.executable, "-m", "podium.cli", "worker", "--no-reaper", "--queues=default"]
    return start_child(command, settings.home / "worker.log", env)


def start_mlflow_ui(settings: Settings, port: int) -> tuple[Child | None, str]:
    """MLflow's UI on 127.0.0.1 over the embedded store; for a tracking server, its address.

    Loopback only: the UI shows every run's private scores, and it has no accounts of its own.
    """
    uri = settings.mlflow_tracking_uri
    if not uri.startswith("sqlite:"):
        return None, uri
    tracker = Tracker.from_settings(settings)
    tracker.prepare()  # the store's tables made here, not by the UI and a worker at once
    artifacts = tracker.artifact_root or settings.home / "mlartifacts"
    command = [
        str(Path(sys.executable).with_name("mlflow")), "server", "--backend-store-uri", uri,
        "--default-artifact-root", str(artifacts), "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1",
    ]  # fmt: skip
    return start_child(command, settings.home / "mlflow-ui.log"), f"http://127.0.0.1:{port}"
