"""Builders of crafted submissions for the leaderboard tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from leaderboard import Efficiency, ScoreInterval, SubmissionScore

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """A time ``minutes`` after the phase start."""
    return START + timedelta(minutes=minutes)


def entry(
    submission_id: int,
    team_id: int,
    minutes: float,
    *,
    public: dict[str, float | None] | None = None,
    private: dict[str, float | None] | None = None,
    interval: tuple[float, float] | None = None,
    efficiency: tuple[float | None, float | None, float | None] | None = None,
    **overrides: Any,
) -> SubmissionScore:
    """A submission of team ``team_id`` (named ``team-<id>``) ``minutes`` after the start."""
    scores = {}
    if public is not None:
        scores["public"] = public
    if private is not None:
        scores["private"] = private
    fields: dict[str, Any] = {
        "submission_id": submission_id,
        "team_id": team_id,
        "team_name": f"team-{team_id}",
        "submitted_at": at(minutes),
        "phase": "final",
        "scores": scores,
    }
    if interval is not None:
        fields["intervals"] = {"public": ScoreInterval(*interval)}
    if efficiency is not None:
        fields["efficiency"] = Efficiency(*efficiency)
    fields.update(overrides)
    return SubmissionScore(**fields)
