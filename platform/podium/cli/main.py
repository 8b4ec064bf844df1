"""The `podium` command: one Typer app that gathers the sub-commands of each area."""

from __future__ import annotations

import importlib

import typer

from podium.cli import images, sandbox

app = typer.Typer(
    help="Podium: machine-learning challenges with a locked-down sandbox.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(images.app, name="images")
app.add_typer(sandbox.app, name="sandbox")

# Areas that other modules provide join the command when they are present.
for _module, _name in (
    ("podium.cli.challenge", "challenge"),
    ("podium.cli.db", "db"),
    ("podium.cli.users", "users"),
    ("podium.cli.worker", "worker"),
    ("podium.cli.up", "up"),
    ("podium.cli.judge", "judge"),
    # the participant's commands sit at the top level: `podium login`, `podium submit`, ...
    ("podium.cli.participant", None),
    ("podium.cli.submit", None),
    ("podium.cli.check", None),
):
    try:
        app.add_typer(importlib.import_module(_module).app, name=_name)
    except ModuleNotFoundError:
        pass


def main() -> None:
    """Entry point used by tests and `python -m podium`."""
    app()
