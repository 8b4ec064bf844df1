"""Fixtures of the registry tests: a real ``docker-registry`` process trusting this test's API.

The registry runs on a free loopback port with its data, keys and configuration under the
test's platform home; tokens come from the API through its real token endpoint.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.registry.config import BINARY, RegistryFiles, signer_for, write_config
from podium.registry.process import wait_ready
from podium.settings import Settings


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
    binary = shutil.which(BINARY)
    if binary is None:
        pytest.fail(f"{BINARY} is not installed (apt-get install docker-registry)", pytrace=False)
    files = RegistryFiles.under(settings.home)
    signer_for(settings)
    config = write_config(
        files,
        listen=f"127.0.0.1:{settings.registry_port}",
        realm="http://127.0.0.1:1/api/v1/registry/token",  # the tests ask the API themselves
        secret_key=settings.get_secret_key(),
    )
    with open(files.log, "ab") as log:
        child = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=log)
    try:
        wait_ready(settings.registry_url, child)
        yield settings.registry_url
    finally:
        child.terminate()
        child.wait(timeout=10)
