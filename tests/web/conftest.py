"""Fixtures of the page tests: the platform's per-test database and store, the example
challenge built once per run, a crafted world, and a logged-in page client."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from challenges.examples import build_example
from podium.app import create_app
from podium.db.migrate import upgrade
from podium.settings import Settings
from podium.store import Store
from tests.web.data import PASSWORD, SLUG, World, build_world

CSRF_PATTERN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once per run; each test gets a copy."""
    path = tmp_path_factory.mktemp("web-template") / "podium.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def settings(tmp_path: Path, migrated_db: Path) -> Settings:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(migrated_db, home / "podium.db")
    return Settings(home=home, migrate_on_start=False)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def session(app: FastAPI) -> Iterator[Session]:
    with Session(app.state.engine, expire_on_commit=False) as db_session:
        yield db_session


@pytest.fixture
def store(settings: Settings) -> Store:
    return Store.from_settings(settings)


@pytest.fixture(scope="session")
def built_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The breast-cancer example with its data built, once per run, in a temp copy."""
    return build_example(SLUG, tmp_path_factory.mktemp("examples"))


@pytest.fixture
def world(session: Session, store: Store, built_example: Path, tmp_path: Path) -> World:
    return build_world(session, store, built_example, tmp_path)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form in a page."""
    found = CSRF_PATTERN.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def log_in(page_client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Log in through the form, as a browser does."""
    page = page_client.get("/login")
    assert page.status_code == 200
    form = {"login": username, "password": password, "csrf_token": csrf_of(page.text)}
    answer = page_client.post("/login", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
