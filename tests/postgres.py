"""A real PostgreSQL server for the tests that need one, started and stopped by the test run.

Its server programs (initdb, pg_ctl) are on the PATH; they refuse to run as root, so they run as
the ``postgres`` system user (created when missing). Under ``CI=true`` a missing PostgreSQL is a
failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: drop to the postgres system user then
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str]) -> None:
    done = subprocess.run(_as_postgres(args), capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args[0]} failed: {done.stdout}\n{done.stderr}"


def _ensure_postgres_user() -> None:
    if os.geteuid() != 0:
        return
    if subprocess.run(["id", "postgres"], capture_output=True, check=False).returncode != 0:
        subprocess.run(["useradd", "--system", "postgres"], check=True)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """The SQLAlchemy URL of a fresh server (unix socket only), stopped after the module."""
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("initdb/pg_ctl are not on the PATH; install PostgreSQL", pytrace=False)
        pytest.skip("initdb/pg_ctl are not on the PATH")
    _ensure_postgres_user()
    root = Path(tempfile.mkdtemp(prefix="podium-pg-"))
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    _run(["initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"])
    options = f"-p {port} -k {sockets} -c listen_addresses='' -c fsync=off"
    _run(["pg_ctl", "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"])
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={sockets}&port={port}"
    finally:
        _run(["pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)
