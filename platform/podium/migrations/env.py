"""Alembic environment: the platform's models are the target; the URL comes from code.

``podium.db.migrate`` builds the Config and passes either a live connection
(``config.attributes["connection"]``) or a URL (``config.attributes["url"]``); there is no
``alembic.ini``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import podium.db.models  # noqa: F401  (registers every table on the metadata)
from podium.db.engine import create_db_engine

target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_db_engine(config.attributes["url"])
    try:
        with engine.connect() as fresh:
            _run(fresh)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `podium db upgrade`")
run_migrations_online()
