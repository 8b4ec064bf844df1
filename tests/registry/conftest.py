"""Fixtures of the registry tests: a real ``docker-registry`` process trusting this test's API.

The registry runs on a free loopback port with its data, keys and configuration under the
test's platform home; tokens come from the API through its real token endpoint.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.settings import Settings
from tests.registry.live import registry_process


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(migrated_template, home / "podium.db")
    return Settings(home=home, migrate_on_start=False, registry_port=free_port())


@pytest.fixture
def registry(settings: Settings) -> Iterator[str]:
    """A running registry; yields its URL. A missing binary is a failure, never a skip."""
    # the tests ask the API for tokens themselves: the realm is never called
    with registry_process(settings, "http://127.0.0.1:1/api/v1/registry/token") as url:
        yield url
