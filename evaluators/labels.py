"""Read the organiser's reference labels.

The file is trusted, but a broken one must still fail clearly, and its messages must not quote
label values: an organiser's mistake can surface on a participant's status page.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluators import _csv
from evaluators._csv import first, plural
from evaluators.errors import InvalidLabels
from evaluators.formats import LabelsFormat

# Reference files are written by organisers and may be large; the cap only guards mistakes.
_LABELS_MAX_MB = 4096


@dataclass(frozen=True)
class Labels:
    """Reference labels in file order.

    Attributes:
        ids: Ids as strings (object array), unique.
        values: Shape (n,) for one reference column, (n, columns) for several.
        columns: Reference column names, without the id column.
    """

    ids: np.ndarray
    values: np.ndarray
    columns: tuple[str, ...]


def read_labels(path: str | os.PathLike[str], fmt: LabelsFormat) -> Labels:
    """Read and check a reference label file.

    Args:
        path: The organiser's file.
        fmt: Its declared format.

    Returns:
        The labels.

    Raises:
        InvalidLabels: With every problem found; messages never quote a label value.
    """
    name, problems = fmt.file, list[str]()
    data = _csv.read_capped(path, name, _LABELS_MAX_MB, problems)
    header = [fmt.id_column, *fmt.column_names]
    if (
        data is None
        or not _csv.check_text(data, name, problems)
        or not _csv.check_header(data, name, header, problems)
    ):
        raise InvalidLabels(problems)
    fast = _csv.read_arrow(data, fmt.id_column, fmt.columns)
    if fast is not None:
        ids, columns = fast[0].to_numpy(), fast[1]
    else:
        frame = _csv.read_typed(data, fmt.id_column, fmt.columns)
        if frame is None:
            problems.append(
                f"{name} has values that do not match the declared column types "
                f"({', '.join(f'{c.name}: {c.type}' for c in fmt.columns)}) "
                "or rows with the wrong number of fields"
            )
            raise InvalidLabels(problems)
        ids = frame[fmt.id_column].to_numpy(dtype=object)
        columns = [_csv.typed_column(frame, c) for c in fmt.columns]
    _check(ids, columns, fmt, problems)
    if problems:
        raise InvalidLabels(problems)
    values = columns[0] if len(columns) == 1 else np.column_stack(columns)
    return Labels(ids=ids, values=values, columns=tuple(fmt.column_names))


def _check(
    ids: np.ndarray, columns: list[np.ndarray], fmt: LabelsFormat, problems: list[str]
) -> None:
    if len(ids) == 0:
        problems.append(f"{fmt.file} has a header but no rows")
        return
    if (ids == "").any():
        problems.append(f"{fmt.file} has {plural(int((ids == '').sum()), 'row')} with an empty id")
    duplicated = pd.Series(ids, dtype=object).duplicated().to_numpy()
    if duplicated.any():
        repeated = pd.unique(ids[duplicated])
        problems.append(
            f"{fmt.file} has {plural(len(repeated), 'duplicate id')} (first: {first(repeated)})"
        )
    for col, values in zip(fmt.columns, columns, strict=True):
        if col.type == "float" and not np.isfinite(values).all():
            rows = ids[~np.isfinite(values)]
            problems.append(
                f"{fmt.file} column {col.name} has "
                f"{plural(len(rows), 'missing or non-finite value')} "
                f"(first at ids: {first(rows)})"
            )
