"""The `podium` command: one Typer app that gathers the sub-commands of each area."""

from __future__ import annotations

import typer

from podium.cli import (
    challenge,
    check,
    db,
    edition,
    images,
    judge,
    participant,
    platform_status,
    sandbox,
    submit,
    up,
    users,
    worker,
)

app = typer.Typer(
    help="Podium: machine-learning challenges with a locked-down sandbox.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
for _area, _name in (
    (images, "images"),
    (sandbox, "sandbox"),
    (challenge, "challenge"),
    (db, "db"),
    (edition, "edition"),
    (users, "users"),
    (worker, "worker"),
    (platform_status, "platform"),
    (up, "up"),
    (judge, "judge"),
    # the participant's commands sit at the top level: `podium login`, `podium submit`, ...
    (participant, None),
    (submit, None),
    (check, None),
):
    app.add_typer(_area.app, name=_name)


def main() -> None:
    """Entry point used by tests and `python -m podium.cli`."""
    app()
