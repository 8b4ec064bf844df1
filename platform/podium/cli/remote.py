"""What the commands that talk to a server share: the client, one-line errors, transfers.

Tables and figures: :mod:`podium.cli.tables`, :mod:`podium.cli.figures`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from challenges.errors import ChallengeError
from evaluators.errors import EvaluatorError
from podium.cli.artifacts import ArtifactError
from podium.cli.client import ApiError, PodiumClient
from podium.cli.common import fail
from podium.cli.config import ConfigError, load_config
from sandbox.errors import SandboxError

console = Console(highlight=False, soft_wrap=True)


@contextmanager
def handled() -> Iterator[None]:
    """Every error a command can meet becomes one line on stderr and exit code 1."""
    try:
        yield
    except ApiError as exc:
        fail(exc.message)
    except (ConfigError, ArtifactError) as exc:
        fail(str(exc))
    except SandboxError as exc:
        fail(exc.message)
    except (ChallengeError, EvaluatorError) as exc:
        fail(str(exc))
    except json.JSONDecodeError as exc:
        fail(f"a file is not valid JSON ({exc.msg} at line {exc.lineno})")
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        fail(f"cannot use{where}: {exc.strerror or exc}")


def connect(timeout_seconds: float = 30.0) -> PodiumClient:
    """A client for the configured server, with the stored token when there is one."""
    config = load_config()
    return PodiumClient(config.server, config.token, timeout_seconds=timeout_seconds)


def as_rows(answer: Any) -> list[dict[str, Any]]:
    """The list of objects in an answer that is a list or wraps one (``items``, ``rows``)."""
    if isinstance(answer, dict):
        for key in ("items", "rows", "entries", "submissions", "data"):
            if isinstance(answer.get(key), list):
                answer = answer[key]
                break
    if not isinstance(answer, list):
        raise ApiError("the server answered with something other than a list; is it up to date?")
    return [item for item in answer if isinstance(item, dict)]


def expect_dict(answer: Any) -> dict[str, Any]:
    """``answer`` when it is a JSON object; an error a person understands otherwise."""
    if not isinstance(answer, dict):
        raise ApiError("the server answered with something other than an object; is it up to date?")
    return answer


class Transfer:
    """A progress bar for bytes moving to or from the server (drawn on stderr)."""

    def __init__(self, progress: Progress, description: str) -> None:
        self._progress = progress
        self._task = progress.add_task(description, total=None)

    def start(self, total: int | None) -> None:
        self._progress.update(self._task, total=total, completed=0)

    def advance(self, num_bytes: int) -> None:
        self._progress.advance(self._task, num_bytes)


@contextmanager
def transfers() -> Iterator[Progress]:
    """A live progress display for one or more :class:`Transfer` bars."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    errors = Console(stderr=True)
    # bars only on a terminal: logs and pipes get the one-line results, not bar redraws
    with Progress(*columns, console=errors, disable=not errors.is_terminal) as progress:
        yield progress
