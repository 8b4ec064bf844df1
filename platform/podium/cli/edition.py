"""`podium edition load FILE`: declare or update an edition from a YAML file (on the server,
like `podium users`; over HTTP an administrator PUTs the same fields to /api/v1/editions)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from podium.cli.common import fail
from podium.crud.edition_specs import parse_edition_yaml
from podium.crud.editions import load_edition
from podium.db import get_engine, session_scope
from podium.db.migrate import upgrade
from podium.errors import InvalidInput, PodiumError
from podium.settings import get_settings

app = typer.Typer(help="Editions: problem statements, hosts and rounds.", no_args_is_help=True)


@app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="the edition's YAML file")],
) -> None:
    """Create or update the edition FILE declares (idempotent; the challenges must exist)."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read {file}: {error}")
    settings = get_settings()
    upgrade(settings.database_url)
    try:
        spec = parse_edition_yaml(text, source=str(file))
        with session_scope(get_engine(settings)) as session:
            edition = load_edition(session, spec=spec)
            slug, title = edition.slug, edition.title
    except InvalidInput as error:
        fail("; ".join([error.message, *error.problems]))
    except PodiumError as error:
        fail(error.message)
    typer.echo(f"loaded edition {slug} ({title!r})")
