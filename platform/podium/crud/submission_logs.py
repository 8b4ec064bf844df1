"""The logs of a submission's latest evaluation, read back from the store for the API.

The sandbox has already capped and sanitised them; here they are only read with a bound (the
last :data:`MAX_LOG_BYTES` of each file), never through a symbolic link, and with the host's
paths blanked out. Who may read them is decided by the API's dependencies (``show_logs``).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlmodel import Field, Session, SQLModel, col, select

from podium.crud.submission_views import Scrubber
from podium.db.models import Evaluation, Submission
from podium.store import Store

MAX_LOG_BYTES = 64 * 1024
LOG_FILES = {"stdout": "stdout.txt", "stderr": "stderr.txt", "build_log": "build.log"}
TRUNCATED = "[… earlier output not shown …]\n"


class SubmissionLogs(SQLModel):
    """The tails of an evaluation's logs (empty strings when there is none yet)."""

    submission_id: int
    attempt: int | None = Field(description="the evaluation attempt shown; None: not run yet")
    stdout: str
    stderr: str
    build_log: str = Field(description="of the attempt that built the image")
    truncated: list[str] = Field(description="the logs of which only the end is shown")


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


def read_logs(
    session: Session, *, submission: Submission, store: Store, scrub: Scrubber
) -> SubmissionLogs:
    """stdout and stderr of the latest attempt; the build log of the latest attempt that
    built (a re-run reuses the image it built before)."""
    assert submission.id is not None
    attempts = _attempts(session, submission)
    texts = {name: "" for name in LOG_FILES}
    truncated: list[str] = []
    for name, filename in LOG_FILES.items():
        searched = attempts if name == "build_log" else attempts[:1]
        for attempt in searched:
            text, cut = read_tail(store.logs_dir(submission.id, attempt) / filename)
            if text or cut:
                texts[name] = (TRUNCATED if cut else "") + (scrub(text) or "")
                truncated += [name] if cut else []
                break
    return SubmissionLogs(
        submission_id=submission.id,
        attempt=attempts[0] if attempts else None,
        stdout=texts["stdout"],
        stderr=texts["stderr"],
        build_log=texts["build_log"],
        truncated=truncated,
    )
