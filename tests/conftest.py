"""Fixtures shared by every test: the real Docker engine, the runtime images, and a fresh
migrated platform (database, store, app, client) per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from challenges.examples import build_all
from podium.app import create_app
from podium.db.migrate import upgrade
from podium.settings import Settings
from podium.store import Store
from tests.pipeline.harness import free_port, quick_bundle
from tests.postgres import postgres_url  # noqa: F401  (a fixture for every test module)

RUNTIME_PYTHON = "podium/runtime-python:3.11"
TEST_LABEL = "org.podium.test"


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """The real engine. A missing engine is a failure, never a skip (make test starts one)."""
    try:
        client = docker.from_env(timeout=300)
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.fail(
            f"no Docker engine answers ({exc}); run scripts/ensure-docker (or `make test`, "
            "which starts one) and try again",
            pytrace=False,
        )
    yield client
    client.close()


@pytest.fixture(scope="session")
def runtime_python(docker_client: docker.DockerClient) -> str:
    """The id of podium/runtime-python:3.11, which `make images` builds."""
    try:
        return str(docker_client.images.get(RUNTIME_PYTHON).id)
    except docker.errors.ImageNotFound:
        pytest.fail(f"{RUNTIME_PYTHON} is missing; run `make images` first", pytrace=False)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once per run; each test gets a copy (fresh, and fast)."""
    path = tmp_path_factory.mktemp("template") / "podium.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(migrated_template, home / "podium.db")
    # a registry port of its own: a platform running beside the tests must not answer
    return Settings(home=home, migrate_on_start=False, registry_port=free_port())


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
def built_examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every example bundle with its data built once per session, in a temporary folder (the
    source stays untouched; tests that change a bundle copy it first)."""
    return build_all(tmp_path_factory.mktemp("examples"))


@pytest.fixture(scope="session")
def quick(built_examples: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The breast-cancer bundle with an 8 s wall-time limit, slug ``quick-check``."""
    return quick_bundle(
        built_examples["breast-cancer-diagnosis"], tmp_path_factory.mktemp("quick") / "quick"
    )
