"""The engine's disk usage (``docker system df``), which it computes for one caller at a time.

Several workers on one engine (``docker-compose up --scale worker=N``) each measure the image
store for their reaper and their presence beat; the engine answers a second ``df`` that arrives
while one runs with a 500 "a disk usage operation is already running". This waits its turn.
"""

from __future__ import annotations

import time
from typing import Any

import docker
import docker.errors

BUSY = "disk usage operation is already running"


def disk_usage(
    client: docker.DockerClient, *, attempts: int = 20, pause_seconds: float = 0.5
) -> dict[str, Any]:
    """``client.df()``, retried while the engine is busy with another caller's.

    Raises:
        docker.errors.APIError: the engine refused for another reason, or stayed busy.
    """
    for attempt in range(attempts):
        try:
            return dict(client.df())
        except docker.errors.APIError as error:
            if BUSY not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(pause_seconds)
    raise AssertionError("unreachable")
