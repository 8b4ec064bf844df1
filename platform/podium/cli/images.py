"""`podium images`: build the runtime base images participants and baselines build on."""

from __future__ import annotations

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
