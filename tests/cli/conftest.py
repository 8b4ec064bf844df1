"""A real Podium API on a free port in a background thread, and the CLI pointed at it."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from sqlmodel import Session
from typer.testing import CliRunner, Result

from challenges.examples import build_example
from podium.api.routes.submissions import get_enqueuer
from podium.app import create_app
from podium.cli.main import app as cli_app
from podium.crud.roles import grant_role
from podium.db.models import Challenge, ChallengeRoleKind, User
from podium.services.registration import register_challenge
from podium.settings import Settings
from podium.store import Store
from tests.platform.factories import PASSWORD, make_user

SLUG = "breast-cancer-diagnosis"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    settings: Settings
    session: Session

    def user(self, **overrides: object) -> User:
        return make_user(self.session, **overrides)

    def register_example(self, folder: Path) -> Challenge:
        store = Store.from_settings(self.settings)
        return register_challenge(self.session, bundle_path=folder, owner=None, store=store)

    def grant(self, challenge: Challenge, user: User, role: ChallengeRoleKind) -> None:
        grant_role(self.session, challenge=challenge, user=user, role=role)
        self.session.commit()


@pytest.fixture(scope="session")
def example_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The breast-cancer example with its data built, once per run."""
    return build_example(SLUG, tmp_path_factory.mktemp("examples"))


@pytest.fixture
def server(tmp_path: Path, migrated_template: Path) -> Iterator[LiveServer]:  # noqa: F811
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(migrated_template, home / "podium.db")
    settings = Settings(home=home, migrate_on_start=False, max_bundle_mb=64)
    api = create_app(settings)
    api.dependency_overrides[get_enqueuer] = lambda: lambda *_: None  # no workers here
    port = free_port()
    config = uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning")
    live = uvicorn.Server(config)
    thread = threading.Thread(target=live.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not live.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test API server did not start", pytrace=False)
        time.sleep(0.02)
    with Session(api.state.engine, expire_on_commit=False) as session:
        yield LiveServer(f"http://127.0.0.1:{port}", settings, session)
    live.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private config folder; returns XDG_CONFIG_HOME."""
    config = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.delenv("PODIUM_TOKEN", raising=False)
    monkeypatch.delenv("PODIUM_SERVER", raising=False)
    monkeypatch.setenv("COLUMNS", "200")  # rich tables wide enough to assert on
    return config


class Cli:
    """Runs `podium ...` in-process and keeps stdout and stderr apart."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(cli_app, list(args), input=input, catch_exceptions=False)

    def login(self, url: str, username: str, password: str = PASSWORD) -> Result:
        result = self("login", "--server", url, "--username", username, "--password", password)
        assert result.exit_code == 0, result.output
        return result


@pytest.fixture
def cli(cli_env: Path) -> Cli:
    return Cli()


def one_error_line(result: Result) -> str:
    """The one line a failing command printed on stderr (and that it exited 1)."""
    assert result.exit_code == 1, (result.exit_code, result.output)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def anonymous(server: LiveServer, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The CLI pointed at the test server through PODIUM_SERVER, with no token."""
    monkeypatch.setenv("PODIUM_SERVER", server.url)
    return cli
