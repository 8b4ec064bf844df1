"""What every CLI command shares: one-line failures instead of tracebacks, the Docker client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import docker
import typer
from rich.console import Console

from sandbox.errors import EngineUnavailable, SandboxError

err_console = Console(stderr=True)


def fail(message: str) -> NoReturn:
    """Print one clear line on stderr and exit 1."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn the libraries' errors into one line and exit code 1, never a traceback."""
    try:
        yield
    except SandboxError as exc:
        fail(exc.message)


def docker_client() -> docker.DockerClient:
    """A client for the local engine, or a one-line failure that says how to start one."""
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except docker.errors.DockerException as exc:
        raise EngineUnavailable(
            "the Docker engine is not reachable "
            f"({type(exc).__name__}); start it (`dockerd &` as root, or `make docker`) and retry"
        ) from None
    return client
