"""Low-level, bounded reading of CSV files into typed columns.

Shared by the prediction reader (untrusted files) and the label reader (trusted files). Every
function reports problems as sentences appended to a list instead of raising, so that callers
can collect every problem in a file before giving up.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from evaluators.errors import Problem, ProblemCode
from evaluators.formats import ColumnSpec

try:  # optional: the C engine below reads every file pyarrow reads, only slower
    import pyarrow as pa
    import pyarrow.csv as pa_csv
except ImportError:  # pragma: no cover - pyarrow ships with the platform's environment
    pa = None
    pa_csv = None

_BOM = b"\xef\xbb\xbf"
_SHOWN = 5  # how many offending ids or lines a message lists
_MAX_VALUE_CHARS = 40  # participant values are echoed back; keep them short
# Literals a model may write for a missing float; anything else non-numeric is reported as such.
_FLOAT_NA = ["", "nan", "NaN", "NAN"]


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """Return ``"1 id"`` or ``"3 ids"``."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def first(items: Sequence[object] | np.ndarray) -> str:
    """Join the first few items for a message: ``"1042, 17, 8"``."""
    return ", ".join(str(x) for x in list(items[:_SHOWN]))


def show(value: object) -> str:
    """Quote a participant's value for a message, shortened so a message stays readable."""
    text = str(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[:_MAX_VALUE_CHARS] + "..."
    return repr(text)


def read_capped(
    path: str | os.PathLike[str], name: str, max_mb: int, problems: list[str]
) -> bytes | None:
    """Read a regular file whole, refusing links, special files and files over ``max_mb``.

    Returns:
        The bytes without a UTF-8 byte-order mark, or None after appending a problem.
    """
    limit = max_mb * 1024 * 1024
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        problems.append(
            Problem(
                ProblemCode.FILE_MISSING, f"{name} was not found; write it to the output folder"
            )
        )
        return None
    if not stat.S_ISREG(info.st_mode):
        # Following a link would let a container point the scorer at a host file.
        problems.append(
            Problem(
                ProblemCode.NOT_REGULAR_FILE,
                f"{name} is not a regular file (links are not followed)",
            )
        )
        return None
    if info.st_size > limit:
        size = info.st_size / 2**20
        problems.append(
            Problem(ProblemCode.TOO_LARGE, f"{name} is {size:.1f} MB, over the {max_mb} MB limit")
        )
        return None
    with Path(path).open("rb") as handle:
        data = handle.read(limit + 1)  # the file may have grown since lstat
    if len(data) > limit:
        problems.append(Problem(ProblemCode.TOO_LARGE, f"{name} is over the {max_mb} MB limit"))
        return None
    return data[len(_BOM) :] if data.startswith(_BOM) else data


def check_text(data: bytes, name: str, problems: list[str]) -> bool:
    """Check that ``data`` is non-empty UTF-8 text without NUL bytes."""
    try:
        if not data.isascii():  # ASCII is UTF-8; the scan is much cheaper than decoding
            data.decode("utf-8")
    except UnicodeDecodeError as err:
        problems.append(
            Problem(
                ProblemCode.NOT_UTF8,
                f"{name} is not valid UTF-8 text (first bad byte at offset {err.start}); "
                "write a plain UTF-8 CSV file",
            )
        )
        return False
    if b"\x00" in data:
        problems.append(
            Problem(
                ProblemCode.NUL_BYTES, f"{name} contains NUL bytes; write a plain UTF-8 CSV file"
            )
        )
        return False
    if not data or data.isspace():  # as ``not data.strip()``, without copying the file
        problems.append(
            Problem(
                ProblemCode.EMPTY_FILE, f"{name} is empty; write a header line and one row per id"
            )
        )
        return False
    return True


def check_header(data: bytes, name: str, expected: list[str], problems: list[str]) -> bool:
    """Check the header line names exactly the ``expected`` columns, in order."""
    line = data.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8")
    found = next(csv.reader([line]), [])
    if found != expected:
        problems.append(
            Problem(
                ProblemCode.WRONG_COLUMNS,
                f"{name}: expected columns {','.join(expected)}; found {','.join(found)}",
            )
        )
        return False
    return True


def read_typed(data: bytes, id_column: str, columns: list[ColumnSpec]) -> pd.DataFrame | None:
    """Parse with pandas' C engine straight into the declared types.

    Returns:
        The frame, or None when any value fails to convert or a row has extra fields; the
        caller then takes the slower path that explains what is wrong.
    """
    # object, not str: pandas 3 would build Arrow strings and convert them back (slow).
    dtypes: dict[str, object] = {id_column: object}
    na_values: dict[str, list[str]] = {id_column: []}
    for col in columns:
        dtypes[col.name] = {"int": np.int64, "float": np.float64, "str": object}[col.type]
        na_values[col.name] = _FLOAT_NA if col.type == "float" else []
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(
                io.BytesIO(data),
                dtype=dtypes,
                keep_default_na=False,
                na_values=na_values,
                index_col=False,
                engine="c",
            )
        except (ValueError, OverflowError, pd.errors.ParserWarning):
            # pandas.errors.ParserError is a ValueError; an integer beyond int64 overflows.
            return None
    if any(c.type != "float" for c in columns) and frame.isna().to_numpy().any():
        return None  # a short row left a hole in a non-float column
    return frame


def read_arrow(
    data: bytes, id_column: str, columns: list[ColumnSpec]
) -> tuple[pa.ChunkedArray, list[np.ndarray]] | None:
    """Parse a valid file with pyarrow's multi-threaded reader (the fast path).

    Only a file that is certainly valid as far as parsing goes comes back: every row has every
    field, every cell converts, no cell is missing and every float is finite. Anything else,
    and anything the C engine might read differently (quoted fields, hexadecimal integers
    such as ``0x10``, which pyarrow accepts and pandas refuses), returns None: the caller
    then takes :func:`read_typed` and the slower paths, which explain what is wrong. Values
    equal those of :func:`read_typed` (a test compares the two on awkward cells).

    Returns:
        ``(ids, typed columns)``: the ids as a pyarrow string column (turning a million ids
        into Python strings costs more than parsing them), or None.
    """
    if pa_csv is None or b'"' in data:
        return None
    if any(c.type == "int" for c in columns) and (b"0x" in data or b"0X" in data):
        return None
    kinds = {"int": pa.int64(), "float": pa.float64(), "str": pa.string()}
    types = {id_column: pa.string(), **{c.name: kinds[c.type] for c in columns}}
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(data),
            convert_options=pa_csv.ConvertOptions(
                column_types=types,
                null_values=_FLOAT_NA,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowException:  # a ragged row, a cell that does not convert
        return None
    if table.column_names != list(types) or any(c.null_count for c in table.columns):
        return None
    typed = []
    for col in columns:
        values = table.column(col.name).to_numpy()
        if col.type == "float" and not np.isfinite(values).all():
            return None  # NaN and infinity are reported by the caller's checks
        typed.append(values)
    return table.column(id_column), typed


def same_strings(arrow_ids: pa.ChunkedArray, expected: np.ndarray) -> bool:
    """Whether the ids :func:`read_arrow` found are exactly ``expected``, in order.

    Comparing in Arrow (one conversion of ``expected``, then a memory comparison) costs a
    fraction of building a Python string per id.
    """
    if len(arrow_ids) != len(expected):
        return False
    try:
        wanted = pa.chunked_array([pa.array(expected, type=pa.string())])
    except (pa.ArrowException, TypeError):  # not all strings: compare the slow way
        return False
    return bool(arrow_ids.equals(wanted))


def read_strings(data: bytes, names: list[str]) -> pd.DataFrame:
    """Parse every cell as a string (missing cells become ``""``); used to explain errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.ParserWarning)
        frame = pd.read_csv(
            io.BytesIO(data),
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            index_col=False,
            engine="c",
            on_bad_lines="skip",
        )
    return frame[names].fillna("")


def ragged_lines(data: bytes, n_fields: int) -> list[tuple[int, int]]:
    """Return ``(line number, field count)`` of rows without ``n_fields`` fields (slow)."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    return [(reader.line_num, len(row)) for row in reader if row and len(row) != n_fields]


def convert(values: pd.Series, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert strings to a column type, marking cells that do not convert.

    Args:
        values: String cells.
        kind: ``"int"``, ``"float"`` or ``"str"``.

    Returns:
        ``(array, bad)`` where ``bad`` marks cells that are not numbers (int, float) or not
        integers (int). Float NaN literals convert to NaN and are not marked.
    """
    strings = values.to_numpy(dtype=object)
    if kind == "str":
        return strings, np.zeros(len(strings), dtype=bool)
    numbers = pd.to_numeric(values.replace(_FLOAT_NA, np.nan), errors="coerce").to_numpy(
        dtype=np.float64
    )
    bad = np.isnan(numbers) & ~values.isin(_FLOAT_NA).to_numpy()
    if kind == "float":
        return numbers, bad
    finite = np.isfinite(numbers) & (numbers >= -(2.0**63)) & (numbers < 2.0**63)  # fits int64
    bad |= ~finite | (np.floor(numbers, where=finite, out=np.zeros_like(numbers)) != numbers)
    out = np.zeros(len(numbers), dtype=np.int64)
    out[~bad] = numbers[~bad].astype(np.int64)
    return out, bad


def typed_column(frame: pd.DataFrame, col: ColumnSpec) -> np.ndarray:
    """Return one column of a :func:`read_typed` frame as a numpy array."""
    dtype = object if col.type == "str" else np.int64 if col.type == "int" else np.float64
    return np.asarray(frame[col.name].to_numpy(dtype=dtype))
