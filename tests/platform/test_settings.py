"""Settings derive everything from PODIUM_HOME unless told otherwise."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from podium.settings import Settings, get_settings


def test_defaults_live_under_home(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path}/podium.db"
    assert settings.broker_url == f"sqla+sqlite:///{tmp_path}/broker.db"
    assert settings.result_backend == f"db+sqlite:///{tmp_path}/results.db"
    assert settings.mlflow_tracking_uri == f"sqlite:///{tmp_path}/mlflow.db"
    assert settings.store_dir == tmp_path / "store"
    assert settings.sandbox_staging == tmp_path / "staging"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PODIUM_HOME", str(tmp_path))
    monkeypatch.setenv("PODIUM_BROKER_URL", "redis://localhost:6379/0")
    monkeypatch.setenv("PODIUM_DATABASE_URL", "postgresql+psycopg://u:p@db/podium")
    monkeypatch.setenv("PODIUM_MAX_UPLOAD_MB", "12")
    settings = Settings()
    assert settings.home == tmp_path
    assert settings.result_backend == "redis://localhost:6379/0"
    assert settings.database_url == "postgresql+psycopg://u:p@db/podium"
    assert settings.max_upload_mb == 12


def test_relative_home_is_made_absolute(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings().home == tmp_path / ".podium"


def test_get_settings_is_cached() -> None:
    get_settings.cache_clear()
    try:
        assert get_settings() is get_settings()
    finally:
        get_settings.cache_clear()


def test_secret_key_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "h")
    key = settings.get_secret_key()
    path = tmp_path / "h" / "secret_key"
    assert len(key) >= 64 and path.read_text() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Settings(home=tmp_path / "h").get_secret_key() == key


def test_a_configured_secret_key_wins(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, secret_key="configured-secret")
    assert settings.get_secret_key() == "configured-secret"
    assert not (tmp_path / "secret_key").exists()
    assert "configured-secret" not in repr(settings)


def test_every_setting_is_described() -> None:
    missing = [name for name, f in Settings.model_fields.items() if not f.description]
    assert missing == []
