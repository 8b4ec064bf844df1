"""`podium db`: apply and inspect the database migrations."""

from __future__ import annotations

import typer

from podium.cli.common import fail
from podium.db import migrate
from podium.settings import get_settings

app = typer.Typer(help="Database schema: apply and inspect migrations.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="the revision to reach")) -> None:
    """Apply the migrations (idempotent); creates the SQLite database if needed."""
    url = get_settings().database_url
    try:
        migrate.upgrade(url, revision)
    except Exception as exc:  # the CLI boundary: one line, never a traceback
        fail(f"could not migrate {_shown(url)}: {exc}")
    typer.echo(f"database at revision {migrate.current_revision(url)} ({_shown(url)})")


@app.command()
def current() -> None:
    """Print the database's revision and the newest one this version ships."""
    url = get_settings().database_url
    typer.echo(f"database: {migrate.current_revision(url) or 'empty'} ({_shown(url)})")
    typer.echo(f"newest:   {migrate.head_revision()}")


@app.command()
def check() -> None:
    """Exit 1 if the database's schema differs from the models."""
    url = get_settings().database_url
    differences = migrate.schema_differences(url)
    if differences:
        fail(f"{len(differences)} schema differences; run `podium db upgrade`: {differences[:3]}")
    typer.echo("schema matches the models")


def _shown(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
