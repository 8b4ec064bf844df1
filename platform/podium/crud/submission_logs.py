"""The logs of a submission's latest evaluation, read back from the store for the API.

The sandbox has already capped and sanitised them; here they are only read with a bound (the
last :data:`MAX_LOG_BYTES` of each file), never through a symbolic link, and with the host's
paths blanked out. Whether a participant may read logs at all is the API's dependency
(``show_logs``: the logs of runs on public data); which logs, here:

- the build log and the smoke run's stdout and stderr (public data): the team and staff;
- the stdout and stderr of the run on hidden data: staff only (a model can print its hidden
  inputs there); the team gets at most the first ``hidden_run_stderr_lines`` lines of stderr,
  each cut to :data:`STDERR_LINE_CHARS` characters, where the organiser turned that on.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlmodel import Field, Session, SQLModel, col, select

from podium.crud.submission_views import Scrubber, SubmissionAccess
from podium.db.models import Challenge, Evaluation, Submission
from podium.db.specs import StoredSpecError
from podium.store import Store

MAX_LOG_BYTES = 64 * 1024
SMOKE_STDOUT = "smoke_stdout.txt"
SMOKE_STDERR = "smoke_stderr.txt"
SMOKE_RUN_FILE = "smoke_run.json"
LOG_FILES = {
    "stdout": "stdout.txt",
    "stderr": "stderr.txt",
    "smoke_stdout": SMOKE_STDOUT,
    "smoke_stderr": SMOKE_STDERR,
    "build_log": "build.log",
}
HIDDEN_RUN_LOGS = ("stdout", "stderr")
STDERR_LINE_CHARS = 300
TRUNCATED = "[… earlier output not shown …]\n"
WITHHELD = (
    "the stdout and stderr of the run on hidden data are shown to the challenge's organisers "
    "and judges only (a model could print the hidden inputs there); the build log and the "
    "smoke run on public data are yours to read, and `podium check` shows everything on the "
    "public data"
)
STDERR_HEAD = "only the first {n} lines of the hidden run's stderr are shown (this phase's choice)"


class SmokeRunFacts(SQLModel):
    """How the smoke run on the public sample ended (public data: shown in full)."""

    status: str
    message: str
    source: str = Field(description="where the sample came from")
    exit_code: int | None
    wall_seconds: float | None
    cpu_seconds: float | None
    peak_memory_mb: float | None


class SubmissionLogs(SQLModel):
    """The tails of an evaluation's logs (empty strings when there is none, or withheld)."""

    submission_id: int
    attempt: int | None = Field(description="the evaluation attempt shown; None: not run yet")
    stdout: str = Field(description="of the run on hidden data; staff only")
    stderr: str = Field(
        description="of the run on hidden data; staff, or its first lines where the phase "
        "sets hidden_run_stderr_lines"
    )
    smoke_stdout: str = Field(default="", description="of the smoke run on public data")
    smoke_stderr: str = Field(default="", description="of the smoke run on public data")
    smoke_run: SmokeRunFacts | None = Field(default=None, description="None: no smoke run")
    build_log: str = Field(description="of the attempt that built the image")
    truncated: list[str] = Field(description="the logs of which only the end is shown")
    withheld: list[str] = Field(
        default_factory=list, description="the logs not shown (in full) to the caller"
    )
    notice: str | None = Field(default=None, description="why some logs are withheld")


def read_tail(path: Path, max_bytes: int = MAX_LOG_BYTES) -> tuple[str, bool]:
    """The last ``max_bytes`` of ``path`` as text, and whether more came before; ('', False)
    if it is missing or is a link."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return "", False
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        handle.seek(max(0, size - max_bytes))
        data = handle.read(max_bytes)
    return data.decode("utf-8", errors="replace"), size > max_bytes


def _attempts(session: Session, submission: Submission) -> list[int]:
    query = select(Evaluation.attempt).where(Evaluation.submission_id == submission.id)
    return list(session.exec(query.order_by(col(Evaluation.attempt).desc())).all())


def hidden_run_stderr_lines(challenge: Challenge, phase_name: str) -> int:
    """How many first lines of a hidden run's stderr the phase shows its participants."""
    try:
        phase = challenge.parsed_spec.phase(phase_name)
    except StoredSpecError:  # a stored spec that no longer reads shows nothing: the safe side
        return 0
    return phase.hidden_run_stderr_lines if phase is not None else 0


def stderr_head(text: str, lines: int) -> str:
    """The first ``lines`` lines of ``text``, each cut to :data:`STDERR_LINE_CHARS`."""
    kept = text.splitlines()[:lines]
    return "".join(
        (line[:STDERR_LINE_CHARS] + " [… line cut …]" if len(line) > STDERR_LINE_CHARS else line)
        + "\n"
        for line in kept
    )


def read_logs(session: Session, *, access: SubmissionAccess, store: Store) -> SubmissionLogs:
    """The logs of the latest attempt the caller may read: everything for the challenge's
    staff; for its team, the build log (of the latest attempt that built: a re-run reuses the
    image), the smoke run's logs, and the head of the hidden run's stderr if the phase allows."""
    submission = access.submission
    assert submission.id is not None
    scrub = Scrubber.for_submission(store, access.challenge, submission)
    attempts = _attempts(session, submission)
    texts, truncated = _read_all(store, submission.id, attempts, scrub)
    logs = SubmissionLogs(
        submission_id=submission.id,
        attempt=attempts[0] if attempts else None,
        stdout=texts["stdout"],
        stderr=texts["stderr"],
        smoke_stdout=texts["smoke_stdout"],
        smoke_stderr=texts["smoke_stderr"],
        smoke_run=_smoke_facts(store, submission.id, attempts, scrub),
        build_log=texts["build_log"],
        truncated=truncated,
    )
    if access.staff or submission.practice:  # a practice run only ever ran on public data
        return logs
    return _for_participants(logs, hidden_run_stderr_lines(access.challenge, access.phase.name))


def _read_all(
    store: Store, submission_id: int, attempts: list[int], scrub: Scrubber
) -> tuple[dict[str, str], list[str]]:
    texts = {name: "" for name in LOG_FILES}
    truncated: list[str] = []
    for name, filename in LOG_FILES.items():
        searched = attempts if name == "build_log" else attempts[:1]
        for attempt in searched:
            text, cut = read_tail(store.logs_dir(submission_id, attempt) / filename)
            if text or cut:
                texts[name] = (TRUNCATED if cut else "") + (scrub(text) or "")
                truncated += [name] if cut else []
                break
    return texts, truncated


def _for_participants(logs: SubmissionLogs, stderr_lines: int) -> SubmissionLogs:
    """Withhold the hidden run's output, but for the head of stderr the phase may allow."""
    head = stderr_head(logs.stderr.removeprefix(TRUNCATED), stderr_lines) if stderr_lines else ""
    notice = WITHHELD + ("; " + STDERR_HEAD.format(n=stderr_lines) if stderr_lines else "")
    return logs.model_copy(
        update={
            "stdout": "",
            "stderr": head,
            "truncated": [n for n in logs.truncated if n not in HIDDEN_RUN_LOGS],
            "withheld": list(HIDDEN_RUN_LOGS),
            "notice": notice,
        }
    )


def _smoke_facts(
    store: Store, submission_id: int, attempts: list[int], scrub: Scrubber
) -> SmokeRunFacts | None:
    if not attempts:
        return None
    text, cut = read_tail(store.logs_dir(submission_id, attempts[0]) / SMOKE_RUN_FILE)
    try:
        data: Any = json.loads(text) if text and not cut else None
        if not isinstance(data, dict):
            return None
        data["message"] = scrub(str(data.get("message", ""))) or ""
        return SmokeRunFacts.model_validate(data)
    except (ValueError, ValidationError):
        return None
