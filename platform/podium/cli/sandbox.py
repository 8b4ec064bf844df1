"""`podium sandbox`: run an image in the hardened sandbox, and clean up after crashed runs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from podium.cli.common import docker_client, fail, one_line_errors
from sandbox.limits import SandboxLimits
from sandbox.reaper import reap
from sandbox.runner import SandboxRunner

app = typer.Typer(help="Run images in the sandbox.", no_args_is_help=True)


@app.command()
def run(
    image: Annotated[str, typer.Argument(help="image id, digest or local tag (never pulled)")],
    input_dir: Annotated[Path, typer.Option("--input", help="folder mounted read-only at /input")],
    output_dir: Annotated[Path, typer.Option("--output", help="folder that receives /output")],
    wall_seconds: Annotated[float, typer.Option(help="wall-time limit")] = 60.0,
    memory_mb: Annotated[int, typer.Option(help="memory limit, no swap")] = 512,
    cpus: Annotated[float, typer.Option(help="CPU limit")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Run IMAGE's entrypoint on --input and copy what it wrote to /output into --output.

    With --json the exit code is 0 whatever the container did; it is 1 only when the sandbox
    itself could not run.
    """
    if not input_dir.is_dir():
        fail(f"--input {input_dir} is not a folder; point it at the inputs to mount at /input")
    try:
        limits = replace(SandboxLimits(), wall_seconds=wall_seconds, memory_mb=memory_mb, cpus=cpus)
    except ValueError as exc:
        fail(str(exc))
    output_dir.mkdir(parents=True, exist_ok=True)
    with one_line_errors():
        result = SandboxRunner(docker_client()).run(image, input_dir, output_dir, limits)
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
        return
    typer.echo(f"status: {result.status.value}\n{result.message}")
    for name, value in (
        ("wall seconds", result.wall_seconds),
        ("cpu seconds", result.cpu_seconds),
        ("peak memory MB", result.peak_memory_mb),
    ):
        typer.echo(f"{name}: {'n/a' if value is None else f'{value:.3f}'}")
    if result.stderr_tail:
        typer.echo("--- stderr (tail) ---\n" + result.stderr_tail)
    if not result.succeeded:
        raise typer.Exit(2)


@app.command()
def reaper(
    grace_seconds: Annotated[int, typer.Option(help="only touch runs this far past deadline")] = 0,
) -> None:
    """Remove containers, volumes, staging mounts and cgroups left behind by crashed runs."""
    with one_line_errors():
        report = reap(docker_client(), grace_seconds=grace_seconds)
    typer.echo(report.summary())
