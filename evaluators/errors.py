"""The one exception tree of the ``evaluators`` library.

::

    EvaluatorError                  base: anything this library raises on purpose
    ├── InvalidPredictions          the participant's file is unusable (their fault: ``failed``)
    ├── InvalidLabels               the organiser's reference file is unusable (platform ``error``)
    ├── UnknownMetric               a metric name is not in the registry (also a ``KeyError``)
    └── IncompatibleMetric          a metric cannot score this kind of prediction or these labels

Messages of :class:`InvalidPredictions` are meant to be shown to whoever owns the data the model
read: they name counts, ids and the participant's own values, never a reference label. A model
run on hidden inputs could copy those inputs into its ids or values and read them back from the
message, so each problem also carries a stable :class:`ProblemCode`: a caller that must not echo
anything the model wrote chooses its own fixed wording by code. :class:`InvalidLabels` messages
follow the same rule, so that an organiser's mistake cannot leak labels through a status page.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class ProblemCode(StrEnum):
    """The kind of one problem in a prediction (or label) file; stable, for callers to match."""

    FILE_MISSING = "file_missing"
    NOT_REGULAR_FILE = "not_regular_file"
    TOO_LARGE = "too_large"
    NOT_UTF8 = "not_utf8"
    NUL_BYTES = "nul_bytes"
    EMPTY_FILE = "empty_file"
    WRONG_COLUMNS = "wrong_columns"
    NO_ROWS = "no_rows"
    RAGGED_ROWS = "ragged_rows"
    NON_NUMERIC = "non_numeric"
    EMPTY_IDS = "empty_ids"
    DUPLICATE_IDS = "duplicate_ids"
    UNKNOWN_IDS = "unknown_ids"
    MISSING_IDS = "missing_ids"
    NAN_VALUES = "nan_values"
    INFINITE_VALUES = "infinite_values"
    NEGATIVE_PROBABILITIES = "negative_probabilities"
    PROBABILITIES_ABOVE_ONE = "probabilities_above_one"
    PROBABILITIES_NOT_SUMMING = "probabilities_not_summing"
    UNKNOWN_CLASSES = "unknown_classes"
    REPEATED_RANKS = "repeated_ranks"
    OTHER = "other"  # a plain sentence without a code (never raised by this library)


class Problem(str):
    """One problem: a complete sentence for a person, with the stable code of its kind.

    A ``str`` so that problem lists stay lists of sentences (compared, joined and shown as
    text); ``code`` lets a caller pick its own wording without parsing the sentence.
    """

    code: ProblemCode

    def __new__(cls, code: ProblemCode, text: str) -> Problem:
        made = super().__new__(cls, text)
        made.code = code
        return made

    def __reduce__(self) -> tuple[type[Problem], tuple[ProblemCode, str]]:
        return (Problem, (self.code, str(self)))


def code_of(problem: str) -> ProblemCode:
    """The code of a problem sentence (``OTHER`` for a plain string)."""
    return problem.code if isinstance(problem, Problem) else ProblemCode.OTHER


class EvaluatorError(Exception):
    """Base class of every error the evaluators library raises on purpose."""


class _ProblemList(EvaluatorError):
    """An error carrying every problem found, each a complete sentence for a person."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: list[str] = list(problems)
        super().__init__("; ".join(self.problems))

    def __str__(self) -> str:
        return "; ".join(self.problems)


class InvalidPredictions(_ProblemList):
    """A prediction file failed validation; ``problems`` lists every reason found.

    ``codes`` gives the kind of each problem, in the same order, without any of its text.
    """

    @property
    def codes(self) -> list[ProblemCode]:
        """The code of each problem, in order."""
        return [code_of(problem) for problem in self.problems]


class InvalidLabels(_ProblemList):
    """A reference label file failed validation; ``problems`` lists every reason found."""


class UnknownMetric(EvaluatorError, KeyError):
    """A metric name is not registered.

    Attributes:
        name: The name asked for.
        valid: Every registered name, sorted.
        suggestion: The closest registered name, if one is close enough.
    """

    def __init__(self, name: str, valid: Sequence[str], suggestion: str | None) -> None:
        self.name = name
        self.valid = list(valid)
        self.suggestion = suggestion
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        self.message = f"unknown metric {name!r}{hint} valid metrics: {', '.join(self.valid)}"
        super().__init__(self.message)

    def __str__(self) -> str:
        # KeyError.__str__ would wrap the message in quotes.
        return self.message


class IncompatibleMetric(EvaluatorError):
    """A metric was asked to score predictions or labels it cannot handle."""
