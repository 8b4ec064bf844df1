"""The one exception tree of the ``leaderboard`` library.

::

    LeaderboardError            base: anything this library raises on purpose (a ValueError)
    ├── InvalidRanking          the ranking was asked for with unusable arguments
    ├── InvalidRubricScore      a judge's score breaks the rubric (points out of range, ...)
    └── JudgeConflict           a judge tried to score a team they belong to

Messages say what was wrong and what to do; they are meant to be shown to organisers and judges.
"""

from __future__ import annotations


class LeaderboardError(ValueError):
    """Base class of every error the leaderboard library raises on purpose."""


class InvalidRanking(LeaderboardError):
    """Unusable ranking arguments: a metric without a direction, negative weights, ..."""


class InvalidRubricScore(LeaderboardError):
    """A rubric score outside the rubric: unknown criterion, points outside [0, max], ..."""


class JudgeConflict(LeaderboardError):
    """A judge who belongs to a team tried to score it."""
