"""What every CLI command shares: one-line failures instead of tracebacks, the Docker client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import docker
import typer
from rich.console import Console

from sandbox.docker_errors import connect
from sandbox.errors import SandboxError

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
    """A client for the local engine; raises EngineUnavailable (one line) when none answers."""
    return connect()
