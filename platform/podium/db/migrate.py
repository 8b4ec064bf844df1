"""Alembic driven from code: the scripts live in ``podium/migrations``; no ``alembic.ini``."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import podium.db.models  # noqa: F401  (the tables the comparison needs)
from podium.db.engine import create_db_engine

SCRIPT_LOCATION = "podium:migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic config for ``database_url`` with the package's scripts."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    # the URL travels as an attribute: set_main_option would choke on '%' in passwords
    config.attributes["url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Undo the migrations down to ``revision`` (``base`` empties the database)."""
    command.downgrade(alembic_config(database_url), revision)


def head_revision() -> str | None:
    """The newest revision shipped with this version of Podium."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(database_url: str) -> str | None:
    """The revision the database is at, or None for an empty database."""
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def schema_differences(database_url: str) -> list[object]:
    """What differs between the database's schema and the models (empty when in step)."""
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()
