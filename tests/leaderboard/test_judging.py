"""Rubrics, judge conflicts and the judged final ranking on a hand-computed example."""

from __future__ import annotations

import pytest

from leaderboard import (
    Criterion,
    InvalidRanking,
    InvalidRubricScore,
    JudgeConflict,
    Leaderboard,
    Rubric,
    RubricScore,
    final_ranking,
    judge_conflicts,
    normalised_scores,
    rank,
    validate_score,
)
from tests.leaderboard.factory import entry

RUBRIC = Rubric((Criterion("report", 10, weight=2), Criterion("presentation", 10, weight=1)))


def board(values: list[float], greater: bool = True) -> Leaderboard:
    data = [entry(i, i, i, public={"m": v}) for i, v in enumerate(values, start=1)]
    data.append(entry(99, 0, 0, public={"m": 0.5}, baseline=True))
    return rank(data, primary="m", split="public", greater_is_better={"m": greater})


def scores(table: dict[int, dict[int, tuple[float | None, float | None]]]) -> list[RubricScore]:
    """{team: {judge: (report, presentation)}} as rubric scores (None: not scored)."""
    out = []
    for team, per_judge in table.items():
        for judge, (report, presentation) in per_judge.items():
            if report is not None:
                out.append(RubricScore(judge, team, "report", report, "clear"))
            if presentation is not None:
                out.append(RubricScore(judge, team, "presentation", presentation))
    return out


def test_final_score_with_60_40_weights_by_hand() -> None:
    # leaderboard 0.90, 0.80, 0.70, 0.60 -> min-max: 1, 2/3, 1/3, 0 (baseline ignored)
    # team 1: report (3+5)/2 = 4 -> 0.4, presentation (2+4)/2 = 3 -> 0.3
    #         rubric (2*0.4 + 1*0.3)/3 = 0.366667; final 0.6*1 + 0.4*0.366667 = 0.746667
    # team 2: report 10 -> 1.0, presentation (9+7)/2 = 8 -> 0.8
    #         rubric (2*1.0 + 0.8)/3 = 0.933333; final 0.6*2/3 + 0.4*0.933333 = 0.773333
    # team 3: one judge, report 9, presentation 6: rubric (1.8+0.6)/3 = 0.8
    #         final 0.6*1/3 + 0.4*0.8 = 0.52
    # team 4: not judged: unranked, after the judged teams
    judged = scores(
        {1: {101: (3, 2), 102: (5, 4)}, 2: {101: (10, 9), 102: (10, 7)}, 3: {101: (9, 6)}}
    )
    final = final_ranking(board([0.90, 0.80, 0.70, 0.60]), RUBRIC, judged, 0.6, 0.4)
    assert [(f.rank, f.team_id) for f in final] == [(1, 2), (2, 1), (3, 3), (None, 4)]
    assert [f.final_score for f in final[:3]] == pytest.approx([0.773333, 0.746667, 0.52], abs=1e-6)
    assert [f.leaderboard_part for f in final] == pytest.approx([2 / 3, 1.0, 1 / 3, 0.0])
    assert [f.rubric_part for f in final[:3]] == pytest.approx([0.933333, 0.366667, 0.8], abs=1e-6)
    assert final[3].rubric_part is None and final[3].final_score is None
    assert final[0].leaderboard_rank == 2 and final[0].leaderboard_score == 0.8
    assert final[0].rubric is not None and final[0].rubric.judges == 2
    assert final[0].rubric.mean_points == {"report": 10.0, "presentation": 8.0}


def test_a_criterion_nobody_scored_counts_zero_and_is_flagged() -> None:
    judged = scores({1: {101: (10, None)}})
    (team,) = final_ranking(board([0.9]), RUBRIC, judged, 0.6, 0.4)
    # rubric (2*1.0 + 0)/3 = 2/3; single entry: leaderboard part 1; 0.6 + 0.4*2/3
    assert team.rubric is not None and team.rubric.incomplete
    assert team.final_score == pytest.approx(0.6 + 0.4 * 2 / 3)


def test_judged_team_without_a_leaderboard_score_is_listed_unranked() -> None:
    judged = scores({1: {101: (5, 5)}, 7: {101: (10, 10)}})
    final = final_ranking(board([0.9]), RUBRIC, judged)
    assert [(f.rank, f.team_id, f.leaderboard_part) for f in final] == [
        (1, 1, 1.0),
        (None, 7, None),
    ]


def test_normalisations_min_max_and_rank() -> None:
    uneven = board([0.90, 0.89, 0.50])
    assert normalised_scores(uneven) == pytest.approx({1: 1.0, 2: 0.975, 3: 0.0})
    assert normalised_scores(uneven, "rank") == pytest.approx({1: 1.0, 2: 0.5, 3: 0.0})
    lower = board([2.0, 1.0, 4.0], greater=False)  # rmse-like: 1.0 best, 4.0 worst
    assert normalised_scores(lower) == pytest.approx({2: 1.0, 1: 2 / 3, 3: 0.0})
    assert normalised_scores(board([0.7, 0.7])) == {1: 1.0, 2: 1.0}


def test_judge_of_a_team_cannot_score_it() -> None:
    with pytest.raises(JudgeConflict, match="judge 7 is a member of Radio Owls"):
        judge_conflicts(7, {3, 7, 9}, "Radio Owls")
    judge_conflicts(8, {3, 7, 9}, "Radio Owls")  # not a member: no error
    with pytest.raises(JudgeConflict):
        validate_score(RUBRIC, RubricScore(7, 1, "report", 5), team_member_ids=[7])


@pytest.mark.parametrize(
    ("score", "message"),
    [
        (RubricScore(1, 1, "report", 11), "outside 0 to 10"),
        (RubricScore(1, 1, "report", -1), "outside 0 to 10"),
        (RubricScore(1, 1, "style", 5), "unknown criterion 'style'; the rubric has: report"),
    ],
)
def test_invalid_scores_are_refused(score: RubricScore, message: str) -> None:
    with pytest.raises(InvalidRubricScore, match=message):
        validate_score(RUBRIC, score)
    with pytest.raises(InvalidRubricScore):
        final_ranking(board([0.9]), RUBRIC, [score])


def test_points_at_the_bounds_are_valid() -> None:
    validate_score(RUBRIC, RubricScore(1, 1, "report", 0))
    validate_score(RUBRIC, RubricScore(1, 1, "report", 10))


def test_a_judge_scoring_the_same_criterion_twice_is_refused() -> None:
    twice = [RubricScore(1, 1, "report", 5), RubricScore(1, 1, "report", 6)]
    with pytest.raises(InvalidRubricScore, match="twice"):
        final_ranking(board([0.9]), RUBRIC, twice)


def test_bad_rubrics_and_weights_are_refused() -> None:
    with pytest.raises(InvalidRubricScore, match="listed twice"):
        Rubric((Criterion("a", 10), Criterion("a", 5)))
    with pytest.raises(InvalidRubricScore, match="max_points > 0"):
        Rubric((Criterion("a", 0),))
    with pytest.raises(InvalidRanking, match="not both 0"):
        final_ranking(board([0.9]), RUBRIC, [], 0, 0)
