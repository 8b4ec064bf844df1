"""Crafted leaderboard data: teams with members, finished submissions with scores and costs.

Holds no tests; the leaderboard and judging tests import these helpers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from podium.crud.leaderboards import board_changed
from podium.crud.roles import grant_role
from podium.db.models import (
    Challenge,
    ChallengeRoleKind,
    Evaluation,
    Phase,
    Score,
    ScoreSplit,
    Submission,
    SubmissionStatus,
    Team,
    TeamMember,
    TeamRole,
    User,
)
from podium.store import Store
from tests.platform.factories import auth_headers, make_challenge, make_submission, make_user

T0 = datetime(2024, 1, 1, tzinfo=UTC)
JUDGING = {
    "rubric": [
        {"name": "report", "max_points": 10, "weight": 1},
        {"name": "demo", "max_points": 10, "weight": 1},
    ],
    "final_score": {"leaderboard_weight": 0.6, "rubric_weight": 0.4},
}


@dataclass
class World:
    """A challenge (rmse primary, mae secondary, lower is better) and its people."""

    challenge: Challenge
    phase: Phase
    organiser: User
    judge: User
    participant: User
    outsider_judge: User
    headers: dict[str, dict[str, str]]

    @property
    def slug(self) -> str:
        return self.challenge.slug


def make_world(session: Session, store: Store, tmp_path: Path, *, judging: bool = True) -> World:
    """A challenge with an organiser, a judge, a participant and a judge of another challenge."""
    organiser, judge, participant, outsider = (make_user(session) for _ in range(4))
    challenge = make_challenge(session, store, tmp_path, owner=organiser)
    other = make_challenge(session, store, tmp_path)
    grant_role(session, challenge=challenge, user=judge, role=ChallengeRoleKind.JUDGE)
    grant_role(session, challenge=other, user=outsider, role=ChallengeRoleKind.JUDGE)
    if judging:
        challenge.spec = {**challenge.spec, "judging": JUDGING}
        session.add(challenge)
        session.commit()
    phase = session.exec(select(Phase).where(Phase.challenge_id == challenge.id)).one()
    people = {"organiser": organiser, "judge": judge, "participant": participant}
    headers = {name: auth_headers(session, u) for name, u in people.items()}
    headers["outsider"] = auth_headers(session, outsider)
    headers["anonymous"] = {}
    return World(challenge, phase, organiser, judge, participant, outsider, headers)


def make_team(session: Session, world: World, name: str, members: Sequence[User] = ()) -> Team:
    """A team of the world's challenge with ``members``."""
    assert world.challenge.id is not None
    team = Team(name=name, challenge_id=world.challenge.id)
    session.add(team)
    session.commit()
    session.refresh(team)
    for i, user in enumerate(members):
        assert team.id is not None and user.id is not None
        session.add(
            TeamMember(
                team_id=team.id,
                user_id=user.id,
                challenge_id=world.challenge.id,
                role=TeamRole.OWNER if i == 0 else TeamRole.MEMBER,
            )
        )
    session.commit()
    return team


def scored(
    session: Session,
    world: World,
    team: Team,
    public: float,
    *,
    private: float | None = None,
    mae: float = 0.5,
    ci: float = 0.01,
    minutes: int = 0,
    wall_seconds: float | None = 10.0,
    **overrides: Any,
) -> Submission:
    """A finished submission of ``team`` with rmse/mae on both splits, intervals and costs.

    ``ci`` is the half-width of the rmse interval; ``minutes`` after :data:`T0` it was made.
    """
    at = T0 + timedelta(minutes=minutes)
    values: dict[str, Any] = {"status": SubmissionStatus.FINISHED, "created_at": at}
    values |= {"updated_at": datetime.now(UTC), **overrides}
    submission = make_submission(
        session,
        challenge=world.challenge,
        phase=world.phase,
        team=team,
        user=world.organiser,
        **values,
    )
    assert submission.id is not None
    evaluation = Evaluation(
        submission_id=submission.id, wall_seconds=wall_seconds, cpu_seconds=5.0, peak_memory_mb=100
    )
    session.add(evaluation)
    session.commit()
    add_scores(
        session, submission, evaluation, public, public if private is None else private, mae, ci
    )
    return submission


def add_scores(
    session: Session,
    submission: Submission,
    evaluation: Evaluation,
    public: float,
    private: float,
    mae: float = 0.5,
    ci: float = 0.01,
) -> None:
    """Score rows of ``evaluation`` for rmse (with its interval) and mae on both splits, and
    the challenge's board version raised with them (as the pipeline's saving does)."""
    assert submission.id is not None and evaluation.id is not None
    for split, value in ((ScoreSplit.PUBLIC, public), (ScoreSplit.PRIVATE, private)):
        common: dict[str, Any] = {
            "evaluation_id": evaluation.id,
            "submission_id": submission.id,
            "split": split,
        }
        session.add(
            Score(**common, metric="rmse", value=value, ci_low=value - ci, ci_high=value + ci)
        )
        session.add(Score(**common, metric="mae", value=mae))
    board_changed(session, challenge_id=submission.challenge_id)
    session.commit()
