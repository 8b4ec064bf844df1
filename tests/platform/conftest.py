"""Fixtures of the platform tests: a fresh migrated SQLite database and store per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from podium.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    """The shared per-test platform, with a 1 MB bundle cap so size limits are cheap to test."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(migrated_template, home / "podium.db")
    return Settings(home=home, migrate_on_start=False, max_bundle_mb=1)
