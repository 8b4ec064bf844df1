"""Paired bootstrap p-values between leaderboard entries, from their saved predictions.

The issue asks that adjacent entries whose paired bootstrap difference is not significant at 5%
be marked as statistically tied. The pipeline saves each finished evaluation's validated
predictions (see :mod:`podium.saved_predictions`); here two of them are compared on
the hidden labels of one split with :func:`evaluators.bootstrap.paired_bootstrap` on the
challenge's primary metric.

Cost: one paired bootstrap (``resamples`` resamples, 1,000 by default) per adjacent pair, computed
once. Each result is kept as a small JSON file in
``store/challenges/<slug>/significance/<evaluation a>-<evaluation b>-<split>.json`` (written to a
temporary file and renamed, so concurrent writers are safe: both write the same value). A re-run
is a new evaluation, so it gets new keys; bundles never change in place, so a kept result stays
right. The hidden labels are read at most once per call, and only when some pair is not cached.

Pairs without a p-value are left out (the caller falls back to the interval approximation):
an entry without saved predictions (scored before they were kept, or the save failed), a
challenge with a custom scoring program, a split the metric cannot score.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import func
from sqlmodel import Session, col, select

from challenges import Bundle
from evaluators.bootstrap import paired_bootstrap
from evaluators.errors import EvaluatorError
from evaluators.labels import read_labels
from evaluators.metrics import Metric, MetricContext, get_metric, make_context, prepare
from evaluators.split import split_mask_cached
from leaderboard import SubmissionScore
from podium.db.models import Challenge, Evaluation, Phase, Score
from podium.db.models.reports import read_report
from podium.saved_predictions import load_values
from podium.store import Store

log = logging.getLogger(__name__)

CACHE_FOLDER = "significance"
DEFAULT_RESAMPLES = 1000
_SPLIT_CODES = {"public": 1, "private": 2, "all": 3}
_KEPT_ARRAYS = 4  # loaded prediction arrays kept while walking adjacent pairs
_IDS_PER_QUERY = 500  # submission ids per IN (...) list
_KEPT_PATHS = 500_000  # evaluations whose saved predictions path is known (see saved_runs)
Pair = tuple[int, int]
# (database, evaluation id): its saved predictions path (see _predictions_paths)
_saved_paths: OrderedDict[tuple[str, int], str | None] = OrderedDict()


@dataclass(frozen=True)
class SavedRun:
    """A submission's latest scored evaluation and its saved predictions."""

    evaluation_id: int
    path: Path


@dataclass(frozen=True)
class Reference:
    """The hidden labels of one split, with the primary metric and its context."""

    metric: Metric
    context: MetricContext
    y_true: np.ndarray
    mask: np.ndarray
    rows: int


def paired_p_values(
    session: Session,
    *,
    store: Store,
    challenge: Challenge,
    phase: Phase,
    split: str,
    pairs: list[Pair],
    resamples: int = DEFAULT_RESAMPLES,
) -> dict[Pair, float]:
    """Paired bootstrap p-values of "no difference" for pairs of submission ids.

    Each pair costs one paired bootstrap of ``resamples`` resamples the first time it is asked
    for, and a small file read afterwards (see the module docstring).

    Args:
        session: A database session.
        store: The platform's store (saved predictions, the bundle, the result cache).
        challenge: The challenge (its spec, bundle and split secret).
        phase: The phase ranked (its hidden set and public fraction).
        split: ``public``, ``private`` or ``all``.
        pairs: ``(submission_id_a, submission_id_b)`` pairs, e.g. adjacent leaderboard entries.
        resamples: Bootstrap resamples per pair.

    Returns:
        ``{(a, b): p}`` for each pair with saved predictions on both sides; others are absent.
    """
    tester = PairedTester(session, store, challenge, phase, split, resamples)
    found: dict[Pair, float] = {}
    for a, b in pairs:
        p = tester.p_value(a, b)
        if p is not None:
            found[(a, b)] = p
    return found


def paired_significance(
    session: Session,
    *,
    store: Store,
    challenge: Challenge,
    phase: Phase,
    split: str,
    fallback: Callable[[SubmissionScore, SubmissionScore], float],
    resamples: int = DEFAULT_RESAMPLES,
    submission_ids: Iterable[int] | None = None,
) -> Callable[[SubmissionScore, SubmissionScore], float]:
    """A ``significance`` callable for :func:`leaderboard.rank`: the paired bootstrap where
    both entries have saved predictions, ``fallback`` (the interval approximation) elsewhere.

    ``rank`` asks only for adjacent pairs, so the cost is one paired bootstrap per adjacent
    pair not yet cached (the labels are read once, on the first such pair). With
    ``submission_ids`` (the entries to rank), their saved runs are looked up at once, in a few
    queries, instead of two queries per pair.
    """
    runs = None if submission_ids is None else saved_runs(session, store, submission_ids)
    tester = PairedTester(session, store, challenge, phase, split, resamples, runs)

    def p_value(a: SubmissionScore, b: SubmissionScore) -> float:
        found = tester.p_value(a.submission_id, b.submission_id)
        return fallback(a, b) if found is None else found

    return p_value


class PairedTester:
    """Paired tests on one split of one phase: labels loaded once, arrays of the last pairs."""

    def __init__(
        self,
        session: Session,
        store: Store,
        challenge: Challenge,
        phase: Phase,
        split: str,
        resamples: int = DEFAULT_RESAMPLES,
        runs: dict[int, SavedRun] | None = None,
    ) -> None:
        if split not in _SPLIT_CODES:
            raise ValueError(f"unknown split {split!r}; use public, private or all")
        self.session, self.store, self.challenge, self.phase = session, store, challenge, phase
        self.split, self.resamples = split, resamples
        self.cache_dir = store.challenge_dir(challenge.slug) / CACHE_FOLDER
        self._reference: Reference | None | bool = False  # False: not loaded yet
        self._arrays: OrderedDict[int, np.ndarray | None] = OrderedDict()
        self._runs = runs  # looked up beforehand (None: per pair)

    def p_value(self, submission_a: int, submission_b: int) -> float | None:
        """The p-value for two submissions, or None when it cannot be computed."""
        runs = self._runs
        if runs is None:
            runs = saved_runs(self.session, self.store, (submission_a, submission_b))
        first, second = runs.get(submission_a), runs.get(submission_b)
        if first is None or second is None:
            return None
        low, high = sorted((first, second), key=lambda run: run.evaluation_id)
        cached = read_cached(self.cache_path(low, high), self.resamples)
        if cached is not None:
            return cached
        p = self._compute(low, high)
        if p is not None:
            write_cached(self.cache_path(low, high), p, self.resamples)
        return p

    def cache_path(self, low: SavedRun, high: SavedRun) -> Path:
        """Where the result of one pair of evaluations on this split is kept."""
        return self.cache_dir / f"{low.evaluation_id}-{high.evaluation_id}-{self.split}.json"

    def reference(self) -> Reference | None:
        """The split's labels and metric (loaded on first use); None if unsupported."""
        if self._reference is False:
            self._reference = load_reference(self.challenge, self.phase, self.split)
        return self._reference if isinstance(self._reference, Reference) else None

    def _compute(self, low: SavedRun, high: SavedRun) -> float | None:
        reference = self.reference()
        if reference is None:
            return None
        pred_low, pred_high = self._values(low, reference.rows), self._values(high, reference.rows)
        if pred_low is None or pred_high is None:
            return None
        seed = np.random.default_rng(
            [low.evaluation_id, high.evaluation_id, _SPLIT_CODES[self.split]]
        )
        return compare(reference, pred_low, pred_high, self.resamples, seed)

    def _values(self, run: SavedRun, rows: int) -> np.ndarray | None:
        if run.evaluation_id not in self._arrays:
            if len(self._arrays) >= _KEPT_ARRAYS:
                self._arrays.popitem(last=False)
            self._arrays[run.evaluation_id] = load_values(run.path, rows)
        return self._arrays[run.evaluation_id]


def saved_runs(
    session: Session, store: Store, submission_ids: Iterable[int]
) -> dict[int, SavedRun]:
    """Per submission, its scored evaluation with a saved predictions file inside the store."""
    ids = sorted(set(submission_ids))
    latest: dict[int, int] = {}
    for start in range(0, len(ids), _IDS_PER_QUERY):
        scored = (
            select(col(Score.submission_id), func.max(col(Score.evaluation_id)))
            .where(col(Score.submission_id).in_(ids[start : start + _IDS_PER_QUERY]))
            .group_by(col(Score.submission_id))
        )
        latest |= {sid: eid for sid, eid in session.exec(scored).all() if eid is not None}
    saved = _predictions_paths(session, sorted(set(latest.values())))
    root = store.root.resolve()
    found: dict[int, SavedRun] = {}
    for sid, eid in latest.items():
        stored = saved.get(eid)
        path = Path(stored).resolve() if stored else None
        if path is not None and path.is_relative_to(root) and path.is_file():
            found[sid] = SavedRun(eid, path)
    return found


def _predictions_paths(session: Session, evaluations: list[int]) -> dict[int, str | None]:
    """Each evaluation's saved predictions path as its report names it; reports read once per
    process and database (a scored evaluation's path is written with its scores and never
    changes; whether the file is still there is checked by the caller)."""
    database = str(session.get_bind().engine.url)
    missing = [eid for eid in evaluations if (database, eid) not in _saved_paths]
    for start in range(0, len(missing), _IDS_PER_QUERY):
        rows = select(col(Evaluation.id), col(Evaluation.report)).where(
            col(Evaluation.id).in_(missing[start : start + _IDS_PER_QUERY])
        )
        for eid, report in session.exec(rows):
            _saved_paths[database, int(eid or 0)] = read_report(report).predictions_path
            while len(_saved_paths) > _KEPT_PATHS:
                _saved_paths.popitem(last=False)
    return {eid: _saved_paths.get((database, eid)) for eid in evaluations}


def load_reference(challenge: Challenge, phase: Phase, split: str) -> Reference | None:
    """Read the phase's hidden labels and restrict them to ``split``; None (logged) if the
    challenge's primary metric is not a registered one or the labels cannot be read."""
    try:
        spec = challenge.parsed_spec
        if spec.metrics.scoring_program is not None:
            return None
        metric = get_metric(spec.metrics.primary)
        bundle = Bundle(root=Path(challenge.bundle_path), spec=spec, hashes={})
        labels = read_labels(bundle.hidden_labels(phase.name), spec.task.labels)
    except Exception:  # a leaderboard never fails for this: it falls back to the intervals
        log.exception("no paired tests for %s: its labels or metric are unusable", challenge.slug)
        return None
    fmt = spec.task.predictions
    y_true = labels.values
    if fmt.kind == "value":
        y_true = np.asarray(y_true, dtype=np.float64)
    public = split_mask_cached(labels.ids, challenge.split_secret, phase.public_fraction)
    masks = {"public": public, "private": ~public, "all": np.ones(len(public), dtype=bool)}
    context = make_context(fmt.kind, y_true, fmt.classes)
    mask = masks[split]
    return Reference(metric, context, y_true[mask], mask, len(labels.ids))


def compare(
    reference: Reference,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    resamples: int,
    seed: int | np.random.Generator,
) -> float | None:
    """The paired bootstrap p-value of two aligned prediction arrays on the reference's split;
    None when the metric cannot score the split (an empty split, one class only)."""
    if not reference.mask.any():
        return None
    try:
        a = prepare(reference.metric, pred_a[reference.mask], reference.context)
        b = prepare(reference.metric, pred_b[reference.mask], reference.context)
        result = paired_bootstrap(
            reference.metric, reference.y_true, a, b, reference.context,
            resamples=resamples, seed=seed,
        )  # fmt: skip
    except (EvaluatorError, ValueError) as error:  # a split the metric cannot score
        log.warning("no paired test on this split: %s", error)
        return None
    if result.interval.failed >= result.interval.resamples or not math.isfinite(result.p_value):
        return None
    return float(result.p_value)


def read_cached(path: Path, resamples: int) -> float | None:
    """A kept p-value, or None when there is none (or it was computed with other resamples)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if int(data["resamples"]) != resamples:
            return None
        return float(data["p_value"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_cached(path: Path, p_value: float, resamples: int) -> None:
    """Keep a p-value (temporary file, then rename); a failure is logged, not raised."""
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump({"p_value": p_value, "resamples": resamples}, stream)
        os.replace(temporary, path)
    except OSError:
        log.exception("could not keep the paired p-value at %s", path)
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
