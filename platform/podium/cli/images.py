"""`podium images`: build the runtime base images participants and baselines build on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from podium.cli.common import docker_client, one_line_errors
from sandbox.runtime_images import RuntimeImageBuilder

app = typer.Typer(help="Build and list the runtime base images.", no_args_is_help=True)


@app.command()
def build(
    base: Annotated[
        str, typer.Option(help="auto: registry if one answers, else debootstrap; or force one")
    ] = "auto",
    torch: Annotated[bool, typer.Option(help="also build podium/runtime-torch:3.11")] = True,
    mirror: Annotated[
        str | None, typer.Option(envvar="PODIUM_DEBIAN_MIRROR", help="Debian mirror URL")
    ] = None,
) -> None:
    """Build podium/runtime-{python,sklearn,torch}:3.11, skipping recipes already built."""
    if base not in ("auto", "registry", "debootstrap"):
        raise typer.BadParameter("choose auto, registry or debootstrap", param_hint="--base")
    with one_line_errors():
        builder = RuntimeImageBuilder(docker_client(), base=base, mirror=mirror, log=typer.echo)
        for tag, image_id in builder.build_all(torch=torch).items():
            typer.echo(f"{tag}  {image_id[:19]}")


@app.command()
def wheels(
    dest: Annotated[
        Path | None, typer.Option(help="where to put them (default: deploy/wheels)")
    ] = None,
) -> None:
    """Fetch the wheels of Podium's own images with this host's pip (then: docker-compose build).

    Run it from the root of a Podium clone; torch is left out (the services never import it).
    """
    from podium.service_images import prepare_wheels

    with one_line_errors():
        prepare_wheels(Path.cwd(), docker_client(), dest, log=typer.echo)
