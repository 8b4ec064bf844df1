"""Every problem in a prediction file carries a stable code of its kind, beside its sentence."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from evaluators.errors import InvalidPredictions, Problem, ProblemCode, code_of
from tests.evaluators.problem_cases import CASES, Case, raise_for


@pytest.mark.parametrize("case", CASES, ids=[c.code.value for c in CASES])
def test_each_kind_of_problem_has_its_code(case: Case, tmp_path: Path) -> None:
    error = raise_for(case, tmp_path)
    assert case.code in error.codes
    assert len(error.codes) == len(error.problems)
    for problem, code in zip(error.problems, error.codes, strict=True):
        assert isinstance(problem, Problem) and problem.code is code
        assert str(problem) == problem  # still the plain sentence


def test_every_code_but_other_has_a_case() -> None:
    assert {c.code for c in CASES} == set(ProblemCode) - {ProblemCode.OTHER}


def test_several_problems_keep_their_order_and_codes(tmp_path: Path) -> None:
    path = tmp_path / "predictions.csv"
    path.write_text("id,label\n1,0\n1,0\n9,0\n")
    error = raise_for(Case(ProblemCode.DUPLICATE_IDS, path.read_bytes()), tmp_path)
    assert error.codes == [
        ProblemCode.DUPLICATE_IDS,
        ProblemCode.UNKNOWN_IDS,
        ProblemCode.MISSING_IDS,
    ]


def test_plain_sentences_count_as_other_and_problems_pickle() -> None:
    error = InvalidPredictions(["something the caller wrote"])
    assert error.codes == [ProblemCode.OTHER]
    problem = Problem(ProblemCode.NO_ROWS, "predictions.csv has a header but no rows")
    copy = pickle.loads(pickle.dumps(problem))
    assert copy == problem and code_of(copy) is ProblemCode.NO_ROWS
