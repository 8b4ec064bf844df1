"""The migrations are the schema's truth: they match the models; the CLI drives them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from podium.cli.main import app as cli
from podium.db import migrate
from podium.settings import get_settings


def test_upgrade_builds_exactly_the_models_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/m.db"
    assert migrate.current_revision(url) is None
    migrate.upgrade(url)
    assert migrate.current_revision(url) == migrate.head_revision()
    assert migrate.schema_differences(url) == []
    migrate.upgrade(url)  # idempotent


def test_downgrade_to_base_empties_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/m.db"
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    with sqlite3.connect(tmp_path / "m.db") as connection:
        query = "select name from sqlite_master where name not like 'sqlite_%'"
        names = {row[0] for row in connection.execute(query)}
    assert names <= {"alembic_version"}


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    from sqlalchemy import text

    from podium.db import create_db_engine

    engine = create_db_engine(f"sqlite:///{tmp_path}/sub/dir/x.db")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


@pytest.fixture
def podium_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.setenv("PODIUM_HOME", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_cli_db_upgrade_and_create_admin(podium_home: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(cli, ["db", "upgrade"])
    assert done.exit_code == 0, done.output
    assert f"database at revision {migrate.head_revision()}" in done.output
    created = runner.invoke(
        cli, ["users", "create-admin", "Root", "--email", "root@example.org"],
        input="long-password\nlong-password\n",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert "created administrator root" in created.output
    again = runner.invoke(
        cli,
        ["users", "create-admin", "root", "--email", "x@example.org", "--password", "pw-12345678"],
    )
    assert again.exit_code == 1
    assert "the username 'root' is taken" in again.output
    short = runner.invoke(
        cli, ["users", "create-admin", "other", "--email", "o@example.org", "--password", "x"]
    )
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    flags = runner.invoke(cli, ["users", "set", "root", "--no-admin"])
    assert flags.exit_code == 0 and "admin=False" in flags.output
    assert runner.invoke(cli, ["db", "check"]).exit_code == 0
