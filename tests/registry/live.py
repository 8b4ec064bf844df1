"""A whole platform with its registry, for tests that go through real processes end to end.

The API is a real uvicorn on loopback (the registry's ``realm``: the Docker engine itself asks it
for tokens during ``docker login``, ``docker push`` and the engine pushes of `podium submit`),
the registry a real ``docker-registry`` process trusting the platform's key, the worker a real
``podium worker`` process (tests/pipeline/harness.py) that pulls pinned digests from it.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from podium.app import create_app
from podium.crud.tokens import issue_token
from podium.db.models import User
from podium.registry.config import BINARY, TOKEN_PATH, RegistryFiles, signer_for, write_config
from podium.registry.process import wait_ready
from podium.settings import Settings
from tests.pipeline.harness import Platform, Worker, free_port, make_platform
from tests.platform.live_server import serve


@contextmanager
def registry_process(settings: Settings, realm: str) -> Iterator[str]:
    """A running registry of ``settings``' home; yields its URL. No binary is a failure."""
    binary = shutil.which(BINARY)
    if binary is None:
        pytest.fail(f"{BINARY} is not installed (apt-get install docker-registry)", pytrace=False)
    files = RegistryFiles.under(settings.home)
    signer_for(settings)  # the certificate must exist before the registry reads it
    config = write_config(
        files,
        listen=f"127.0.0.1:{settings.registry_port}",
        realm=realm,
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


@dataclass
class Live:
    """The platform, the API's URL, the registry's host:port and (when asked) a worker."""

    platform: Platform
    api: str
    registry: str
    worker: Worker | None

    def participant(self) -> tuple[User, str]:
        """A fresh participant and a Podium API token of theirs."""
        user = self.platform.participant()
        with Session(self.platform.engine) as session:
            _, secret = issue_token(session, user=user, name="registry-test")
        return user, secret

    def repository(self, secret: str, slug: str) -> dict[str, str]:
        """The answer of POST /challenges/{slug}/registry/repository for ``secret``."""
        answer = httpx.post(
            f"{self.api}/api/v1/challenges/{slug}/registry/repository",
            headers={"Authorization": f"Bearer {secret}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


@contextmanager
def live_platform(home: Path, bundles: list[Path], *, worker: bool) -> Iterator[Live]:
    """API + registry (+ one worker) over a fresh platform under ``home``."""
    platform = make_platform(home, registry_port=str(free_port()))
    for bundle in bundles:
        platform.register(bundle)
    settings = platform.settings
    with contextlib.ExitStack() as stack:
        api = stack.enter_context(serve(create_app(settings)))
        url = stack.enter_context(registry_process(settings, api + TOKEN_PATH))
        started = Worker(platform, home / "worker.log").wait_ready() if worker else None
        try:
            yield Live(platform, api, url.split("://", 1)[1], started)
        finally:
            if started is not None:
                started.stop()
    platform.engine.dispose()
