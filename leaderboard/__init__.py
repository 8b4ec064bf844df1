"""Ranking rules over plain data: public and private views, ties, composite and judged scores.

Pure functions: nothing here touches a database, a queue or the web. The platform loads
:class:`SubmissionScore` records, calls :func:`rank` (and :func:`composite`,
:func:`final_ranking`, ...) and shows the result.
"""

from leaderboard.composite import (
    CompositeEntry,
    average_marginal_rate,
    composite,
    default_weights,
)
from leaderboard.errors import InvalidRanking, InvalidRubricScore, JudgeConflict, LeaderboardError
from leaderboard.export import columns, rows, to_csv
from leaderboard.final import FinalEntry, final_ranking, normalised_scores
from leaderboard.history import HistoryPoint, best_over_time
from leaderboard.judging import (
    Criterion,
    Rubric,
    RubricScore,
    TeamRubric,
    judge_conflicts,
    team_rubrics,
    validate_score,
)
from leaderboard.models import (
    EFFICIENCY_COLUMNS,
    Efficiency,
    RankingRule,
    ScoreInterval,
    SubmissionScore,
)
from leaderboard.ranking import (
    PRIVATE,
    PUBLIC,
    Leaderboard,
    LeaderboardEntry,
    directions_from_registry,
    rank,
    visible_splits,
)
from leaderboard.reproduce import ReproductionResult, reproduces
from leaderboard.ties import Significance, tie_groups

__all__ = [
    "EFFICIENCY_COLUMNS",
    "PRIVATE",
    "PUBLIC",
    "CompositeEntry",
    "Criterion",
    "Efficiency",
    "FinalEntry",
    "HistoryPoint",
    "InvalidRanking",
    "InvalidRubricScore",
    "JudgeConflict",
    "Leaderboard",
    "LeaderboardEntry",
    "LeaderboardError",
    "RankingRule",
    "ReproductionResult",
    "Rubric",
    "RubricScore",
    "ScoreInterval",
    "Significance",
    "SubmissionScore",
    "TeamRubric",
    "average_marginal_rate",
    "best_over_time",
    "columns",
    "composite",
    "default_weights",
    "directions_from_registry",
    "final_ranking",
    "judge_conflicts",
    "normalised_scores",
    "rank",
    "reproduces",
    "rows",
    "team_rubrics",
    "tie_groups",
    "to_csv",
    "validate_score",
    "visible_splits",
]
