"""What `make run` shows a newcomer: demo accounts, a few submissions, their progress, rankings.

`podium up --examples` installs the example challenges (once), creates three demo accounts (a
student, an organiser, a judge; each password is printed once, when the account is made),
submits the organiser's baselines (never ranked) and, as the student, two hostile examples (one
runs out of memory, one writes invalid predictions), all through the upload's own intake
(:mod:`podium.pipeline.intake`), follows them to their final state and prints every
leaderboard. A second run finds everything in place and only prints the leaderboards.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console, Group
from rich.live import Live
from rich.text import Text
from sqlmodel import Session, col, select

from challenges.examples import EXAMPLES_DIR, SLUGS
from podium.cli.columns import board_notes, board_rows, leaderboard_columns
from podium.cli.tables import field, is_terminal, print_table, render, terminal_width
from podium.crud.challenges import get_challenge_by_slug
from podium.crud.roles import grant_role
from podium.crud.users import create_user, get_user_by_username
from podium.db.models import (
    Challenge,
    ChallengeRoleKind,
    Submission,
    SubmissionKind,
    User,
    UserCreate,
)
from podium.db.models.submissions import TERMINAL_STATUSES
from podium.errors import PodiumError
from podium.pipeline.examples import DEMO_ORGANISER, load_examples
from podium.pipeline.intake import submit_file
from podium.settings import Settings
from sandbox.packing import pack_folder

DEMO_STUDENT = "demo-student"
DEMO_JUDGE = "demo-judge"
DEMO_ACCOUNTS = (("student", DEMO_STUDENT), ("organiser", DEMO_ORGANISER), ("judge", DEMO_JUDGE))
HOSTILE_DIR = EXAMPLES_DIR / "hostile"
log = logging.getLogger(__name__)
HOSTILE_TARGET = "breast-cancer-diagnosis"
FOLLOW_SECONDS = 1800


@dataclass(frozen=True)
class Account:
    """A demo account; ``password`` is set only in the run that created it."""

    role: str
    username: str
    password: str | None


def install(session: Session, settings: Settings, console: Console) -> list[int]:
    """Install the examples and demo accounts; submit what is new. Returns submission ids."""
    accounts = [_ensure_account(session, role, name) for role, name in DEMO_ACCOUNTS]
    with tempfile.TemporaryDirectory(prefix="podium-examples-") as work:
        console.print("building the example challenges' data (first run only) ...")
        baselines = load_examples(session, settings, Path(work))
    judge = get_user_by_username(session, username=DEMO_JUDGE)
    if judge is not None:
        _judge_every_example(session, judge)
    _print_accounts(console, accounts)
    submitted = [s.id for s in baselines if s.id is not None]
    student = get_user_by_username(session, username=DEMO_STUDENT)
    if baselines and student is not None:
        submitted += _submit_hostile(session, settings, student)
    return submitted


def _ensure_account(session: Session, role: str, username: str) -> Account:
    """The demo account, made with a fresh password when it does not exist yet."""
    if get_user_by_username(session, username=username) is not None:
        return Account(role, username, None)
    password = secrets.token_urlsafe(12)
    create = UserCreate(username=username, email=f"{username}@example.org", password=password)
    user = create_user(session, user_create=create)
    if role == "organiser":
        user.can_create_challenges = True
        session.add(user)
        session.commit()
    return Account(role, username, password)


def _judge_every_example(session: Session, judge: User) -> None:
    for slug in SLUGS:
        challenge = get_challenge_by_slug(session, slug=slug)
        if challenge is not None:
            grant_role(session, challenge=challenge, user=judge, role=ChallengeRoleKind.JUDGE)


def _print_accounts(console: Console, accounts: list[Account]) -> None:
    rows = [
        {
            "role": a.role,
            "username": a.username,
            "password": a.password or "(printed when it was created)",
        }
        for a in accounts
    ]
    columns = [field("role"), field("username"), field("password")]
    print_table("Demo accounts (log in at /login)", columns, rows, file=console.file)
    if any(a.password for a in accounts):
        console.print("[bold]These passwords are shown once; note them now.[/]")


def _submit_hostile(session: Session, settings: Settings, student: User) -> list[int]:
    challenge = get_challenge_by_slug(session, slug=HOSTILE_TARGET)
    if challenge is None:
        return []
    ids = []
    for folder in sorted(p for p in HOSTILE_DIR.iterdir() if p.is_dir()):
        with tempfile.TemporaryDirectory() as tmp:
            archive = pack_folder(folder, Path(tmp) / f"{folder.name}.tar")
            try:
                submission = submit_file(
                    session, settings, challenge=challenge, user=student,
                    kind=SubmissionKind.BUILD, content=archive.read_bytes(),
                    filename=archive.name,
                )  # fmt: skip
            except PodiumError as error:  # refused as an upload would be: say so, go on
                log.warning("demo submission %s refused: %s", folder.name, error.message)
                continue
        if submission.id is not None:
            ids.append(submission.id)
    return ids


def follow(session: Session, ids: list[int], console: Console) -> None:
    """Show each submission's status until all have ended (or the time is up): live on a
    terminal; elsewhere (a log) once, at the end, as a plain table."""
    if not ids:
        return
    deadline = time.monotonic() + FOLLOW_SECONDS
    if not is_terminal(console.file):
        # rich's Live leaves a log's last line open: the next title would join its border
        _wait(session, ids, deadline, lambda: None)
        print_table(STATUS_TITLE, STATUS_COLUMNS, _status_rows(session, ids), file=console.file)
        return
    with Live(_status_view(session, ids, console), console=console, refresh_per_second=2) as live:
        _wait(session, ids, deadline, lambda: live.update(_status_view(session, ids, console)))
    console.line()  # Live ends its last line on a terminal; a blank line separates the next


def _wait(session: Session, ids: list[int], deadline: float, tick: Callable[[], None]) -> None:
    while time.monotonic() < deadline:
        tick()
        if all(row.status in TERMINAL_STATUSES for row in _rows(session, ids)):
            return
        time.sleep(1)


def _rows(session: Session, ids: list[int]) -> list[Submission]:
    session.expire_all()
    query = select(Submission).where(col(Submission.id).in_(ids)).order_by(col(Submission.id))
    return list(session.exec(query).all())


STATUS_TITLE = "Demo submissions"
STATUS_COLUMNS = [
    field("id", justify="right"),
    field("challenge"),
    field("status"),
    field("reason", priority=1, min_width=16),
    field("file", priority=2, min_width=12),
]


def _status_rows(session: Session, ids: list[int]) -> list[dict[str, object]]:
    rows = _rows(session, ids)
    slugs = {c: get_slug(session, c) for c in {s.challenge_id for s in rows}}
    return [
        {"id": r.id, "challenge": slugs[r.challenge_id], "file": r.filename,
         "status": r.status.value, "reason": r.reason}
        for r in rows
    ]  # fmt: skip


def _status_view(session: Session, ids: list[int], console: Console) -> Group:
    """The live status table (on a terminal), fitted like every other table."""
    width = terminal_width(console.file)
    table, _ = render(STATUS_COLUMNS, _status_rows(session, ids), width=width, terminal=True)
    return Group(Text(STATUS_TITLE, style="bold"), table)


def get_slug(session: Session, challenge_id: int) -> str:
    """The slug of a challenge id (for display)."""
    challenge = session.get(Challenge, challenge_id)
    return challenge.slug if challenge else "?"


def print_leaderboards(base_url: str, console: Console) -> None:
    """Print each example's public leaderboard as a participant sees it, through the API, as
    `podium leaderboard` prints it (one blank line after each)."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for slug in SLUGS:
            answer = client.get(f"/api/v1/challenges/{slug}/leaderboard")
            if answer.status_code != 200:
                detail = answer.json().get("detail")
                console.print(f"{slug}: leaderboard unavailable ({detail})", markup=False)
                console.print()
                continue
            board = answer.json()
            rows = board_rows(board)
            title = f"{slug}: {board.get('phase')} phase, {board.get('split')} split"
            notes = board_notes(rows, board)
            columns = leaderboard_columns(board)
            print_table(title, columns, rows, notes=notes, file=console.file)
