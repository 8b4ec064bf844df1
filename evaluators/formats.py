"""Declared shapes of prediction files and reference label files.

A challenge bundle names one :class:`PredictionFormat` (what the participant's model writes under
``/output``) and one :class:`LabelsFormat` (the organiser's hidden reference file). Both are
frozen pydantic models that reject unknown keys, so a typo in ``challenge.yaml`` fails loudly.

Prediction kinds:

``label``
    One column holding one predicted class per row.
``probabilities``
    One float column per class, named by the class, in the order of ``classes``. Each value
    lies in [0, 1] and each row sums to 1 within :func:`probability_sum_tolerance`.
``value``
    One or more numeric columns (regression targets).
``ranking``
    ``k`` columns holding class labels ranked best first (top-k accuracy, ITU beam selection).
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

ColumnType = Literal["int", "float", "str"]
PredictionKind = Literal["label", "probabilities", "value", "ranking"]

# Models commonly print probabilities with 6 decimals; the rounding error of a row then grows
# with the number of classes, so the tolerance does too, with a floor that forgives float32.
_SUM_TOLERANCE_FLOOR = 1e-4
_SUM_TOLERANCE_PER_COLUMN = 1e-6


def probability_sum_tolerance(n_columns: int) -> float:
    """Return how far a probability row may sum from 1.

    Args:
        n_columns: Number of probability columns (classes).

    Returns:
        ``max(1e-4, 1e-6 * n_columns)``.
    """
    return max(_SUM_TOLERANCE_FLOOR, _SUM_TOLERANCE_PER_COLUMN * n_columns)


class ColumnSpec(BaseModel):
    """One named, typed column of a CSV file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    type: ColumnType = "float"


def _check_columns(id_column: str, columns: list[ColumnSpec]) -> list[str]:
    """Return the names of ``columns`` after checking they are usable next to ``id_column``."""
    names = [c.name for c in columns]
    if not names:
        raise ValueError("columns must list at least one column")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"column names must be unique; repeated: {', '.join(duplicates)}")
    if id_column in names:
        raise ValueError(f"id column {id_column!r} must not also be a prediction column")
    return names


class PredictionFormat(BaseModel):
    """What a model must write: file name, id column, kind and columns.

    ``classes`` is required for ``probabilities`` (one column per class, named by the class, in
    the same order); for ``label`` and ``ranking`` it optionally restricts the allowed labels;
    it is not allowed for ``value``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = "predictions.csv"
    id_column: str = "id"
    kind: PredictionKind = "label"
    columns: list[ColumnSpec]
    classes: list[str] | None = None
    max_mb: int = Field(default=256, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = _check_columns(self.id_column, self.columns)
        if self.classes is not None and len(set(self.classes)) != len(self.classes):
            raise ValueError("classes must be unique")
        if self.kind == "label" and len(names) != 1:
            raise ValueError(f"kind 'label' needs exactly one column; got {len(names)}")
        if self.kind == "probabilities":
            self._check_probabilities(names)
        if self.kind == "value":
            if self.classes is not None:
                raise ValueError("kind 'value' takes no classes")
            if any(c.type == "str" for c in self.columns):
                raise ValueError("kind 'value' needs numeric (int or float) columns")
        if self.kind in ("label", "ranking"):
            self._check_label_columns()
        return self

    def _check_label_columns(self) -> None:
        types = {c.type for c in self.columns}
        if len(types) != 1:
            raise ValueError(f"kind {self.kind!r} needs columns of one type; got {sorted(types)}")
        column_type = types.pop()
        if self.classes is None or column_type == "str":
            return
        parse = int if column_type == "int" else float
        for cls in self.classes:
            try:
                parse(cls)
            except ValueError:
                raise ValueError(f"class {cls!r} is not a valid {column_type}") from None

    def _check_probabilities(self, names: list[str]) -> None:
        if self.classes is None:
            raise ValueError("kind 'probabilities' needs classes (one column per class)")
        if len(self.classes) < 2:
            raise ValueError("kind 'probabilities' needs at least two classes")
        if names != self.classes:
            raise ValueError(
                "kind 'probabilities' needs columns named by the classes, in order: "
                f"expected {','.join(self.classes)}; found {','.join(names)}"
            )
        if any(c.type != "float" for c in self.columns):
            raise ValueError("kind 'probabilities' needs float columns")

    @property
    def column_names(self) -> list[str]:
        """Prediction column names in file order, without the id column."""
        return [c.name for c in self.columns]


class LabelsFormat(BaseModel):
    """The organiser's reference file: file name, id column and reference column(s)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = "labels.csv"
    id_column: str = "id"
    columns: list[ColumnSpec]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_columns(self.id_column, self.columns)
        return self

    @property
    def column_names(self) -> list[str]:
        """Reference column names in file order, without the id column."""
        return [c.name for c in self.columns]
