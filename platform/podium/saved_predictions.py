"""An evaluation's validated predictions, kept in the store for paired significance tests.

After a successful scoring the pipeline saves the prediction values, aligned to the order of the
hidden labels' ids, as ``predictions.npz`` in the attempt's log folder, and records the path in
the evaluation's report (``EvaluationReport.predictions_path``; never public: the logs API
serves only its named log files). :mod:`podium.services.significance` loads two such arrays to
run a paired bootstrap between adjacent leaderboard entries.

The file holds what :func:`evaluators.predictions.read_predictions` returned, nothing else:

* numbers (labels, probabilities, values): the array itself, in an ``.npz`` compressed with zlib;
* text (labels or rankings of class names): the distinct strings, UTF-8 encoded and
  concatenated with their offsets, and one integer code per cell.

No Python objects: it is written and read with ``allow_pickle=False``. Its size is bounded by
the prediction file's (already capped by the format's ``max_mb``): each cell is a number or a
code, and each distinct string is stored once. A failure to save is logged and never fails the
evaluation; a missing or unreadable file only means "no paired test for this entry".
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from challenges import Bundle
from evaluators.labels import read_labels
from evaluators.predictions import read_predictions

log = logging.getLogger(__name__)

PREDICTIONS_FILE = "predictions.npz"
FORMAT_VERSION = 1


def encode_values(values: np.ndarray) -> dict[str, np.ndarray]:
    """Arrays that :func:`numpy.savez` writes without pickle and :func:`decode_values` inverts."""
    header = {"version": np.asarray(FORMAT_VERSION, dtype=np.int64)}
    if values.dtype != object:
        return {**header, "values": np.ascontiguousarray(values)}
    distinct, codes = np.unique(values.ravel(), return_inverse=True)
    encoded = [str(text).encode("utf-8") for text in distinct]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return {
        **header,
        "codes": codes.astype(np.int64).reshape(values.shape),
        "text": np.frombuffer(b"".join(encoded), dtype=np.uint8),
        "offsets": offsets,
    }


def decode_values(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """The values given to :func:`encode_values` (text as an object array of ``str``)."""
    if "values" in arrays:
        return arrays["values"]
    data = arrays["text"].tobytes()
    offsets = arrays["offsets"].tolist()
    distinct = np.empty(len(offsets) - 1, dtype=object)
    distinct[:] = [data[a:b].decode("utf-8") for a, b in zip(offsets, offsets[1:], strict=False)]
    return distinct[arrays["codes"]]


def save_values(folder: Path, values: np.ndarray) -> Path:
    """Write ``values`` to ``folder/predictions.npz`` (a temporary file, then a rename)."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".predictions-", suffix=".npz")
    try:
        arrays: dict[str, Any] = encode_values(values)
        with os.fdopen(handle, "wb") as stream:
            np.savez_compressed(stream, allow_pickle=False, **arrays)
        final = folder / PREDICTIONS_FILE
        os.replace(temporary, final)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return final


def load_values(path: Path, rows: int | None = None) -> np.ndarray | None:
    """The saved values, or None when the file is missing, unreadable or has not ``rows`` rows."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        if int(arrays["version"]) != FORMAT_VERSION:
            return None
        values = decode_values(arrays)
    except (OSError, KeyError, ValueError, IndexError, UnicodeDecodeError) as error:
        log.warning("saved predictions at %s are unusable: %s", path, error)
        return None
    if rows is not None and len(values) != rows:
        return None
    return values


def save_validated_predictions(
    predictions_dir: Path, bundle: Bundle, phase: str, folder: Path
) -> Path | None:
    """Save the run's validated predictions in label order; None (logged) if that fails.

    Reads the labels' ids and the prediction file again (the scorer does not hand its arrays
    out): one more parse of files the scorer has just read, bounded by the format's ``max_mb``.
    Never raises: the scores are what matters, this file only enables paired tests. Nothing
    is saved for a custom scoring program (its metrics are not the registry's, so the paired
    bootstrap cannot score them).
    """
    spec = bundle.spec
    if spec.metrics.scoring_program is not None:
        return None
    try:
        labels = read_labels(bundle.hidden_labels(phase), spec.task.labels)
        predictions = read_predictions(
            predictions_dir / spec.task.predictions.file, spec.task.predictions, labels.ids
        )
        return save_values(folder, predictions.values)
    except Exception:  # any failure: log it, keep the evaluation
        log.exception("could not save the predictions of %s for paired tests", predictions_dir)
        return None


def saved_path(folder: Path) -> Path | None:
    """The predictions file in an attempt's folder, if one was saved."""
    path = folder / PREDICTIONS_FILE
    return path if path.is_file() else None
