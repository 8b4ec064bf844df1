"""What `make run` shows a newcomer: demo accounts, a few submissions, their progress, rankings.

`podium up --examples` installs the example challenges (once), creates three demo accounts (a
student, an organiser, a judge; each password is printed once, when the account is made),
submits the baselines and two hostile examples (one runs out of memory, one writes invalid
predictions), follows them to their final state and prints every leaderboard. A second run
finds everything in place and only prints the leaderboards.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.live import Live
from rich.table import Table
from sqlmodel import Session, col, select

from challenges.examples import EXAMPLES_DIR, SLUGS
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
from podium.pipeline.examples import DEMO_ORGANISER, load_examples, submit_file
from podium.settings import Settings
from sandbox.packing import pack_folder

DEMO_STUDENT = "demo-student"
DEMO_JUDGE = "demo-judge"
DEMO_ACCOUNTS = (("student", DEMO_STUDENT), ("organiser", DEMO_ORGANISER), ("judge", DEMO_JUDGE))
HOSTILE_DIR = EXAMPLES_DIR / "hostile"
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
    table = Table(title="Demo accounts (log in at /login)")
    for column in ("role", "username", "password"):
        table.add_column(column)
    for account in accounts:
        shown = account.password or "(printed when it was created)"
        table.add_row(account.role, account.username, shown)
    console.print(table)
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
            submission = submit_file(
                session, settings, challenge=challenge, user=student,
                kind=SubmissionKind.BUILD, content=archive.read_bytes(),
                filename=archive.name,
            )  # fmt: skip
        if submission.id is not None:
            ids.append(submission.id)
    return ids


def follow(session: Session, ids: list[int], console: Console) -> None:
    """Show each submission's status live until all have ended (or the time is up)."""
    if not ids:
        return
    deadline = time.monotonic() + FOLLOW_SECONDS
    with Live(_status_table(session, ids), console=console, refresh_per_second=2) as live:
        while time.monotonic() < deadline:
            table = _status_table(session, ids)
            live.update(table)
            if all(row.status in TERMINAL_STATUSES for row in _rows(session, ids)):
                break
            time.sleep(1)


def _rows(session: Session, ids: list[int]) -> list[Submission]:
    session.expire_all()
    query = select(Submission).where(col(Submission.id).in_(ids)).order_by(col(Submission.id))
    return list(session.exec(query).all())


def _status_table(session: Session, ids: list[int]) -> Table:
    table = Table(title="Demo submissions")
    for column in ("id", "challenge", "file", "status", "reason"):
        table.add_column(column, overflow="fold")
    slugs = {c: get_slug(session, c) for c in {s.challenge_id for s in _rows(session, ids)}}
    for row in _rows(session, ids):
        table.add_row(
            str(row.id), slugs[row.challenge_id], row.filename, row.status.value,
            (row.reason or "")[:120],
        )  # fmt: skip
    return table


def get_slug(session: Session, challenge_id: int) -> str:
    """The slug of a challenge id (for display)."""
    challenge = session.get(Challenge, challenge_id)
    return challenge.slug if challenge else "?"


def print_leaderboards(base_url: str, console: Console) -> None:
    """Print each example's public leaderboard as a participant sees it, through the API."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for slug in SLUGS:
            answer = client.get(f"/api/v1/challenges/{slug}/leaderboard")
            if answer.status_code != 200:
                console.print(f"{slug}: leaderboard unavailable ({answer.json().get('detail')})")
                continue
            console.print(_board_table(slug, answer.json()))


def _board_table(slug: str, board: dict[str, object]) -> Table:
    primary = str(board.get("primary", ""))
    table = Table(title=f"{slug}: {board.get('phase')} phase, {board.get('split')} split")
    for column in ("rank", "team", primary, "95% interval", "wall s"):
        table.add_column(column)
    entries = board.get("entries")
    for entry in entries if isinstance(entries, list) else []:
        interval = entry.get("interval") or {}
        efficiency = entry.get("efficiency") or {}
        rank = entry.get("rank")
        score = (entry.get("scores") or {}).get(primary)
        wall = efficiency.get("wall_seconds")
        table.add_row(
            "B" if entry.get("baseline") else str(rank or "-"),
            str(entry.get("team")),
            "no valid score" if score is None else str(score),
            f"[{interval.get('low')}, {interval.get('high')}]" if interval else "",
            "" if wall is None else f"{wall:.2f}",
        )
    return table
