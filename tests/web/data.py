"""Crafted state for the page tests: the breast-cancer example registered, teams, judges and
finished submissions with evaluations, scores, events and logs written straight to the DB and
the store (no worker needed)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from podium.crud.challenges import phases_of
from podium.crud.roles import grant_role
from podium.crud.teams import create_team
from podium.db.models import (
    Challenge,
    ChallengeRoleKind,
    Evaluation,
    Phase,
    Score,
    ScoreSplit,
    Submission,
    SubmissionEvent,
    SubmissionKind,
    SubmissionStatus,
    Team,
    User,
)
from podium.services.registration import register_challenge
from podium.store import Store
from tests.platform.factories import PASSWORD, make_user

SLUG = "breast-cancer-diagnosis"
HOSTILE_TEAM = "<script>alert(1)</script>"
HOSTILE_README = (
    "# Diagnosis\n\nPredict **malignant** masses.\n\n"
    '<script>alert("readme")</script>\n\n<img src=x onerror=alert(2)>\n\n'
    "[click](javascript:alert(3))\n"
)
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LOG_TEXT = "fitting model\n<b>not bold</b> & done\nscore written\n"
STATUSES = ("submitted", "queued", "preparing", "running", "scoring", "finished")

__all__ = ["PASSWORD", "HOSTILE_TEAM", "World", "build_world", "register_example"]


def register_example(
    session: Session, store: Store, built: Path, tmp: Path, owner: User, readme: str | None = None
) -> Challenge:
    """Register a copy of the built example (its README replaced when ``readme`` is given)."""
    copy = tmp / f"bundle-{SLUG}"
    shutil.copytree(built, copy)
    if readme is not None:
        (copy / "README.md").write_text(readme, encoding="utf-8")
    return register_challenge(session, bundle_path=copy, owner=owner, store=store)


def _events(session: Session, sub: Submission, at: datetime) -> None:
    assert sub.id is not None
    for i, status in enumerate(STATUSES):
        detail = f"step {i}" if status != "finished" else "scored"
        session.add(
            SubmissionEvent(
                submission_id=sub.id,
                status=SubmissionStatus(status),
                at=at + timedelta(seconds=10 * i),
                detail=detail,
            )
        )


def _write_logs(store: Store, submission_id: int) -> Path:
    logs = store.logs_dir(submission_id, 1)
    logs.mkdir(parents=True)
    # the run on hidden data (staff only) and the smoke run on public data (the team too)
    for prefix in ("", "smoke_"):
        (logs / f"{prefix}stdout.txt").write_text(LOG_TEXT, encoding="utf-8")
        hostile = "warning: <script>alert('log')</script>\n"
        (logs / f"{prefix}stderr.txt").write_text(hostile, encoding="utf-8")
    return logs


def _scores(
    session: Session, sub_id: int, evaluation_id: int, public: float, private: float, half: float
) -> None:
    for split, value in ((ScoreSplit.PUBLIC, public), (ScoreSplit.PRIVATE, private)):
        for metric, shift in (("roc_auc", 0.0), ("f1", -0.05), ("accuracy", -0.03)):
            session.add(
                Score(
                    evaluation_id=evaluation_id, submission_id=sub_id, split=split,
                    metric=metric, value=value + shift, ci_low=value + shift - half,
                    ci_high=value + shift + half,
                )
            )  # fmt: skip


def finished_submission(
    session: Session,
    store: Store,
    *,
    phase: Phase,
    team: Team,
    user: User,
    at: datetime,
    public: float,
    private: float,
    half_width: float = 0.01,
) -> Submission:
    """A finished submission with one evaluation, scores on both splits, events and logs."""
    sub = Submission(
        challenge_id=phase.challenge_id, phase_id=phase.id or 0, team_id=team.id or 0,
        user_id=user.id, kind=SubmissionKind.MODEL, filename="model.joblib",
        status=SubmissionStatus.FINISHED, created_at=at, updated_at=at + timedelta(minutes=1),
        description=f"attempt by {user.username}",
    )  # fmt: skip
    session.add(sub)
    session.flush()
    assert sub.id is not None
    logs = _write_logs(store, sub.id)
    evaluation = Evaluation(
        submission_id=sub.id, attempt=1, started_at=at, finished_at=at + timedelta(seconds=50),
        wall_seconds=3.25, cpu_seconds=2.5, peak_memory_mb=142.0, exit_code=0,
        logs_path=str(logs),
    )  # fmt: skip
    session.add(evaluation)
    session.flush()
    _scores(session, sub.id, evaluation.id or 0, public, private, half_width)
    _events(session, sub, at)
    session.commit()
    session.refresh(sub)
    return sub


@dataclass
class World:
    challenge: Challenge
    phase: Phase
    organiser: User
    judge: User
    student: User
    rival: User
    outsider: User
    teams: dict[str, Team]
    submissions: dict[str, Submission]


def build_world(
    session: Session, store: Store, built: Path, tmp: Path, readme: str | None = None
) -> World:
    """Three teams (one with a hostile name) with scored submissions, a judge, an outsider."""
    organiser = make_user(session, username="orga")
    judge = make_user(session, username="judy")
    student = make_user(session, username="stud")
    rival = make_user(session, username="rival")
    hacker = make_user(session, username="hacker")
    outsider = make_user(session, username="outsider")
    challenge = register_example(session, store, built, tmp, organiser, readme)
    grant_role(session, challenge=challenge, user=judge, role=ChallengeRoleKind.JUDGE)
    phase = phases_of(session, challenge=challenge)[0]
    teams = {
        "alpha": create_team(session, challenge=challenge, user=student, name="Alpha team"),
        "beta": create_team(session, challenge=challenge, user=rival, name="Beta & co"),
        "evil": create_team(session, challenge=challenge, user=hacker, name=HOSTILE_TEAM),
    }
    plan = [  # (key, team, user, hours after START, public, private)
        ("alpha1", "alpha", student, 0, 0.91, 0.90),
        ("beta1", "beta", rival, 2, 0.93, 0.95),
        ("alpha2", "alpha", student, 5, 0.96, 0.94),
        ("evil1", "evil", hacker, 6, 0.85, 0.84),
        ("beta2", "beta", rival, 9, 0.965, 0.955),
    ]
    subs = {
        key: finished_submission(
            session,
            store,
            phase=phase,
            team=teams[team],
            user=user,
            at=START + timedelta(hours=hours),
            public=pub,
            private=priv,
        )  # fmt: skip
        for key, team, user, hours, pub, priv in plan
    }
    return World(challenge, phase, organiser, judge, student, rival, outsider, teams, subs)
