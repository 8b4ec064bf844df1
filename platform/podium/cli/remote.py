"""What the commands that talk to a server share: the client, one-line errors, tables."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
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
from rich.table import Table

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


def when(value: Any) -> str:
    """An ISO time from the API as ``YYYY-MM-DD HH:MM`` (UTC), or ``-``."""
    if not value:
        return "-"
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(value)


def cell(value: Any) -> str:
    """A table cell: ``-`` for none, numbers as given, times shortened."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        return when(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def rows_table(title: str, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> Table:
    """A table of ``rows`` showing ``columns`` in order."""
    table = Table(title=title)
    for name in columns:
        table.add_column(name.replace("_", " "))
    for row in rows:
        table.add_row(*(cell(row.get(name)) for name in columns), end_section=False)
    return table


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


def score_line(scores: Any, primary: str | None = None) -> str:
    """Scores of a submission (a list of ``{split, metric, value, ...}``) as one short line."""
    if not isinstance(scores, list) or not scores:
        return "no scores yet"
    parts = []
    for item in scores:
        if not isinstance(item, dict):
            continue
        interval = ""
        if item.get("ci_low") is not None and item.get("ci_high") is not None:
            interval = f" [{item['ci_low']:g}, {item['ci_high']:g}]"
        star = "*" if primary and item.get("metric") == primary else ""
        parts.append(
            f"{item.get('split')}/{item.get('metric')}{star}: {item.get('value')}{interval}"
        )
    return "; ".join(parts) or "no scores yet"


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
