"""The scale-out stack of the fault scenarios: a real Redis (restartable) and a fresh PostgreSQL
database per test on the module's server (``tests/postgres.py``).

Import the fixtures into a test module: ``from tests.reliability.stack import redis_server,
stack_platform``.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.pipeline.harness import Platform, free_port, make_platform


class RedisServer:
    """A ``redis-server`` of the test's own, with an append-only file (AOF) in ``folder``, so
    that a restart keeps what was queued; ``stop`` is a clean shutdown, ``kill`` a crash."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.folder)],
            stdout=(self.folder / "redis.log").open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait()
        return self

    def stop(self) -> None:
        """SIGTERM: Redis flushes its AOF and exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None

    def keys(self) -> list[bytes]:
        import redis

        return list(redis.Redis(port=self.port).keys("*"))

    def queued(self, queue: str = "default") -> int:
        """Messages waiting in ``queue`` (a Redis list of that name)."""
        import redis

        return int(redis.Redis(port=self.port).llen(queue))

    def _wait(self) -> None:
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        for _ in range(200):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise AssertionError(f"redis-server did not answer:\n{self.folder / 'redis.log'}")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis server with AOF for this test, stopped at its end."""
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(folder).start()
    yield server
    server.stop()


def fresh_database(server_url: str) -> str:
    """A new, empty database on the PostgreSQL server of ``server_url``; its URL."""
    name = f"podium_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


MakePlatform = Callable[..., Platform]


@pytest.fixture
def stack_platform(
    tmp_path: Path, postgres_url: str, redis_server: RedisServer
) -> Iterator[MakePlatform]:
    """Makes a platform on Redis and a fresh PostgreSQL database (``overrides``: PODIUM_*)."""
    made: list[Platform] = []

    def make(**overrides: str) -> Platform:
        platform = make_platform(
            tmp_path / f"home{len(made)}",
            database_url=fresh_database(postgres_url),
            broker_url=redis_server.url,
            **overrides,
        )
        made.append(platform)
        return platform

    yield make
    for platform in made:
        platform.engine.dispose()
