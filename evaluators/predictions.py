"""Read and validate an untrusted prediction file.

The reader first tries pyarrow's multi-threaded parser straight into the declared types (the
fast path for a valid file), then pandas' C parser, which reads some files pyarrow refuses
(e.g. quoted fields). When a value fails to convert or a row is ragged it re-reads every cell
as text to say exactly what is wrong. Every problem found is collected and raised together as
:class:`~evaluators.errors.InvalidPredictions`.

Messages name counts, ids from the prediction file or ``/input``, and the participant's own
values, never a reference label: the reader does not even see the labels, only their ids.
Ids are matched as exact strings (``"007"`` is not ``"7"``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluators import _csv
from evaluators._csv import first, plural, show
from evaluators.errors import InvalidPredictions, Problem, ProblemCode
from evaluators.formats import PredictionFormat, PredictionKind, probability_sum_tolerance


@dataclass(frozen=True)
class Predictions:
    """Validated predictions, one row per expected id, in the order of the expected ids.

    Attributes:
        ids: Ids as strings (object array), equal to the expected ids.
        values: ``label``: shape (n,); ``probabilities``: (n, classes); ``value``: (n, columns);
            ``ranking``: (n, k). Numeric columns are int64 or float64, text columns object.
        kind: The prediction kind.
        columns: Prediction column names, without the id column.
        classes: The format's declared classes, if any.
    """

    ids: np.ndarray
    values: np.ndarray
    kind: PredictionKind
    columns: tuple[str, ...]
    classes: tuple[str, ...] | None


def read_predictions(
    path: str | os.PathLike[str], fmt: PredictionFormat, expected_ids: Sequence[str] | np.ndarray
) -> Predictions:
    """Read, validate and align a prediction file with the expected ids.

    Args:
        path: The file the model wrote.
        fmt: The challenge's prediction format; ``fmt.file`` names the file in messages.
        expected_ids: Every id the model was asked to predict (unique strings).

    Returns:
        The predictions, reordered to follow ``expected_ids``.

    Raises:
        InvalidPredictions: With every problem found, each a sentence for the participant.
        ValueError: If ``expected_ids`` repeats an id (a platform bug, not the participant's).
    """
    expected = np.asarray(expected_ids, dtype=object)
    name, problems = fmt.file, list[str]()
    data = _csv.read_capped(path, name, fmt.max_mb, problems)
    header = [fmt.id_column, *fmt.column_names]
    if (
        data is None
        or not _csv.check_text(data, name, problems)
        or not _csv.check_header(data, name, header, problems)
    ):
        raise InvalidPredictions(problems)
    fast = _csv.read_arrow(data, fmt.id_column, fmt.columns)
    if fast is not None:
        file_ids, columns = fast
        bad = np.zeros((len(file_ids), len(fmt.columns)), dtype=bool)
        # Ids equal to the expected ones need not become Python strings: use ``expected``.
        same = _csv.same_strings(file_ids, expected)
        ids = expected if same else file_ids.to_numpy()
    else:
        ids, columns, bad = _parse(data, fmt, problems)
    if len(ids) == 0:
        problems.append(
            Problem(
                ProblemCode.NO_ROWS,
                f"{name} has a header but no rows; predict every id in /input "
                f"({plural(len(expected), 'id')})",
            )
        )
        raise InvalidPredictions(problems)
    order = _align_ids(ids, expected, name, problems)
    values = np.column_stack(columns) if len(columns) > 1 else columns[0]
    _check_values(values, ids, fmt, bad, problems)
    if problems:
        raise InvalidPredictions(problems)
    if order is not None:
        values = values[order]
    if fmt.kind == "value" and values.ndim == 1:
        values = values.reshape(-1, 1)
    return Predictions(
        ids=expected,
        values=values.astype(_dtype(fmt), copy=False),
        kind=fmt.kind,
        columns=tuple(fmt.column_names),
        classes=tuple(fmt.classes) if fmt.classes is not None else None,
    )


def _dtype(fmt: PredictionFormat) -> type:
    if fmt.kind in ("probabilities", "value"):
        return np.float64
    return {"int": np.int64, "float": np.float64, "str": object}[fmt.columns[0].type]


def _parse(
    data: bytes, fmt: PredictionFormat, problems: list[str]
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Return ids, one array per prediction column and a mask of cells that did not convert."""
    frame = _csv.read_typed(data, fmt.id_column, fmt.columns)
    if frame is not None:
        ids = frame[fmt.id_column].to_numpy(dtype=object)
        bad = np.zeros((len(ids), len(fmt.columns)), dtype=bool)
        return ids, [_csv.typed_column(frame, c) for c in fmt.columns], bad
    names = [fmt.id_column, *fmt.column_names]
    ragged = _csv.ragged_lines(data, len(names))
    if ragged:
        lines = ", ".join(f"line {line} has {n}" for line, n in ragged[:5])
        problems.append(
            Problem(
                ProblemCode.RAGGED_ROWS,
                f"{fmt.file} has {plural(len(ragged), 'row')} without "
                f"{len(names)} fields ({lines}); write one value per column",
            )
        )
    text = _csv.read_strings(data, names)
    ids = text[fmt.id_column].to_numpy(dtype=object)
    columns, masks = [], []
    for col in fmt.columns:
        values, bad = _csv.convert(text[col.name], col.type)
        masks.append(bad)
        if bad.any():
            what = "non-integer" if col.type == "int" else "non-numeric"
            at = int(np.flatnonzero(bad)[0])
            problems.append(
                Problem(
                    ProblemCode.NON_NUMERIC,
                    f"{fmt.file} column {col.name} has "
                    f"{plural(int(bad.sum()), what + ' value')} "
                    f"(first at id {ids[at]}: {show(text[col.name].iat[at])})",
                )
            )
        columns.append(values)
    return ids, columns, np.column_stack(masks)


def _align_ids(
    ids: np.ndarray, expected: np.ndarray, name: str, problems: list[str]
) -> np.ndarray | None:
    """Check ids against the expected ones; return the row order that follows ``expected``.

    Returns:
        None when the file already lists the expected ids in order (the common, fast case).
    """
    if ids is expected or (len(ids) == len(expected) and bool((ids == expected).all())):
        return None
    expected_index = pd.Index(expected, dtype=object)
    if not expected_index.is_unique:
        raise ValueError("expected_ids must be unique")
    empty = ids == ""
    if empty.any():
        lines = first([int(i) + 2 for i in np.flatnonzero(empty)])
        problems.append(
            Problem(
                ProblemCode.EMPTY_IDS,
                f"{name} has {plural(int(empty.sum()), 'row')} with an empty id "
                f"(lines: {lines}); every row needs an id",
            )
        )
    duplicated = pd.Series(ids, dtype=object).duplicated().to_numpy() & ~empty
    if duplicated.any():
        repeated = pd.unique(ids[duplicated])
        problems.append(
            Problem(
                ProblemCode.DUPLICATE_IDS,
                f"{name} has {plural(len(repeated), 'duplicate id')} "
                f"(first: {first(repeated)}); each id must appear once",
            )
        )
    position = expected_index.get_indexer(ids)
    unknown = (position < 0) & ~empty
    if unknown.any():
        strangers = pd.unique(ids[unknown])
        problems.append(
            Problem(
                ProblemCode.UNKNOWN_IDS,
                f"{name} has {plural(len(strangers), 'unknown id')} "
                f"(first: {first(strangers)}); predict only the ids in /input",
            )
        )
    seen = np.zeros(len(expected), dtype=bool)
    seen[position[position >= 0]] = True
    if not seen.all():
        missing = expected[~seen]
        problems.append(
            Problem(
                ProblemCode.MISSING_IDS,
                f"{name} is missing {plural(len(missing), 'id')} "
                f"(first: {first(missing)}); predict every id in /input",
            )
        )
    order = np.zeros(len(expected), dtype=np.int64)
    keep = (position >= 0) & ~duplicated
    order[position[keep]] = np.flatnonzero(keep)
    return order


def _check_values(
    values: np.ndarray, ids: np.ndarray, fmt: PredictionFormat, bad: np.ndarray, problems: list[str]
) -> None:
    """Check the values themselves: finite numbers, probabilities, allowed labels.

    Cells marked in ``bad`` were already reported as not converting and are skipped.
    """
    table = values.reshape(len(ids), -1)
    if fmt.kind in ("probabilities", "value") or fmt.columns[0].type == "float":
        _check_finite(table.astype(np.float64, copy=False), ids, fmt, bad, problems)
    if fmt.kind == "probabilities":
        _check_probabilities(table, ids, fmt.file, problems)
    if fmt.kind in ("label", "ranking") and fmt.classes is not None:
        _check_classes(table, ids, fmt, bad, problems)
    if fmt.kind == "ranking" and table.shape[1] > 1:
        _check_distinct(table, ids, fmt.file, problems)


def _report(
    code: ProblemCode,
    mask: np.ndarray,
    ids: np.ndarray,
    message: str,
    problems: list[str],
    describe: Callable[[int], str] | None = None,
) -> None:
    """Append ``message`` with the count and first id of ``mask``, if any row is marked.

    ``message`` may use ``{n}`` (count), ``{s}`` (plural ending) and ``{where}`` (the first
    offending id, followed by ``describe(row)`` when given).
    """
    count = int(mask.sum())
    if count:
        at = int(np.flatnonzero(mask)[0])
        shown = f": {describe(at)}" if describe is not None else ""
        where = f"first at id {ids[at]}{shown}"
        problems.append(
            Problem(code, message.format(n=count, s="" if count == 1 else "s", where=where))
        )


def _shower(column: np.ndarray) -> Callable[[int], str]:
    """Return a function quoting the participant's value in row ``i`` of ``column``."""
    return lambda i: show(column[i])


def _check_finite(
    table: np.ndarray, ids: np.ndarray, fmt: PredictionFormat, bad: np.ndarray, problems: list[str]
) -> None:
    for j, col in enumerate(fmt.column_names):
        column = table[:, j]
        _report(
            ProblemCode.NAN_VALUES,
            np.isnan(column) & ~bad[:, j],
            ids,
            f"{fmt.file} column {col} has {{n}} "
            "missing or NaN value{s} ({where}); write a number in every cell",
            problems,
        )
        _report(
            ProblemCode.INFINITE_VALUES,
            np.isinf(column),
            ids,
            f"{fmt.file} column {col} has {{n}} infinite "
            "value{s} ({where}); write finite numbers",
            problems,
            _shower(column),
        )


def _check_probabilities(
    table: np.ndarray, ids: np.ndarray, name: str, problems: list[str]
) -> None:
    finite = np.isfinite(table)
    # Non-finite cells are reported on their own; keep them out of the range checks.
    negative = np.asarray((finite & (table < 0)).any(axis=1))
    above = np.asarray((finite & (table > 1)).any(axis=1))
    _report(
        ProblemCode.NEGATIVE_PROBABILITIES,
        negative,
        ids,
        f"{name} has {{n}} row{{s}} with negative "
        "probabilities ({where}); probabilities lie in [0, 1]",
        problems,
    )
    _report(
        ProblemCode.PROBABILITIES_ABOVE_ONE,
        above,
        ids,
        f"{name} has {{n}} row{{s}} with probabilities "
        "above 1 ({where}); probabilities lie in [0, 1]",
        problems,
    )
    tolerance = probability_sum_tolerance(table.shape[1])
    sums = table.sum(axis=1)
    off = finite.all(axis=1) & (np.abs(sums - 1.0) > tolerance)
    _report(
        ProblemCode.PROBABILITIES_NOT_SUMMING,
        off,
        ids,
        f"{name} has {{n}} row{{s}} whose probabilities do not sum to 1 within "
        f"{tolerance:g} ({{where}}); normalise each row",
        problems,
        lambda i: f"sum {sums[i]:.6g}",
    )


def _check_classes(
    table: np.ndarray, ids: np.ndarray, fmt: PredictionFormat, bad: np.ndarray, problems: list[str]
) -> None:
    assert fmt.classes is not None
    allowed: np.ndarray = np.asarray(fmt.classes, dtype=object).astype(_dtype(fmt))
    listed = ", ".join(fmt.classes[:10]) + (", ..." if len(fmt.classes) > 10 else "")
    for j, col in enumerate(fmt.column_names):
        column = table[:, j]
        outside = ~pd.Series(column, dtype=column.dtype).isin(allowed).to_numpy() & ~bad[:, j]
        if fmt.columns[j].type == "float":
            outside &= np.isfinite(column.astype(np.float64))  # NaN is reported already
        _report(
            ProblemCode.UNKNOWN_CLASSES,
            outside,
            ids,
            f"{fmt.file} column {col} has {{n}} value{{s}} not among the "
            f"classes ({{where}}); allowed: {listed}",
            problems,
            _shower(column),
        )


def _check_distinct(table: np.ndarray, ids: np.ndarray, name: str, problems: list[str]) -> None:
    ordered = np.sort(table, axis=1)
    repeats = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
    _report(
        ProblemCode.REPEATED_RANKS,
        repeats,
        ids,
        f"{name} has {{n}} row{{s}} that rank the same label twice "
        "({where}); rank each label at most once",
        problems,
    )
