"""The metric registry agrees with scikit-learn and fails helpfully on unknown names."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from evaluators import get_metric, metric_names
from evaluators.errors import IncompatibleMetric, UnknownMetric
from evaluators.metrics import make_context, prepare

RNG = np.random.default_rng(7)
N = 500
Y3 = RNG.integers(0, 3, N)
P3 = RNG.dirichlet(np.ones(3), N)
L3 = RNG.integers(0, 3, N)
Y2 = RNG.integers(0, 2, N)
P2 = RNG.dirichlet(np.ones(2), N)
L2 = RNG.integers(0, 2, N)
YR = RNG.normal(3.0, 1.0, N)
PR = YR + RNG.normal(0.0, 0.5, N)

LABEL_CASES = {
    "accuracy": skm.accuracy_score(Y3, L3),
    "balanced_accuracy": skm.balanced_accuracy_score(Y3, L3),
    "f1_macro": skm.f1_score(Y3, L3, average="macro"),
    "f1_micro": skm.f1_score(Y3, L3, average="micro"),
    "f1_weighted": skm.f1_score(Y3, L3, average="weighted"),
    "precision_macro": skm.precision_score(Y3, L3, average="macro"),
    "recall_macro": skm.recall_score(Y3, L3, average="macro"),
    "mcc": skm.matthews_corrcoef(Y3, L3),
    "cohen_kappa": skm.cohen_kappa_score(Y3, L3),
}
REGRESSION_CASES = {
    "mae": skm.mean_absolute_error(YR, PR),
    "mse": skm.mean_squared_error(YR, PR),
    "rmse": skm.root_mean_squared_error(YR, PR),
    "mape": skm.mean_absolute_percentage_error(YR, PR),
    "r2": skm.r2_score(YR, PR),
}


@pytest.mark.parametrize(("name", "expected"), LABEL_CASES.items())
def test_label_metrics_agree_with_sklearn(name: str, expected: float) -> None:
    metric = get_metric(name)
    context = make_context("label", Y3, None)
    assert metric(Y3, prepare(metric, L3, context), context) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("name", "expected"), REGRESSION_CASES.items())
def test_regression_metrics_agree_with_sklearn(name: str, expected: float) -> None:
    metric = get_metric(name)
    context = make_context("value", YR, None)
    pred = prepare(metric, PR.reshape(-1, 1), context)
    assert metric(YR, pred, context) == pytest.approx(expected, abs=1e-12)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
def test_probability_metrics_agree_with_sklearn() -> None:
    context = make_context("probabilities", Y3, ["0", "1", "2"])
    expected = {
        "roc_auc_ovr": skm.roc_auc_score(Y3, P3, multi_class="ovr"),
        "log_loss": skm.log_loss(Y3, P3),
        "top_k_accuracy": skm.top_k_accuracy_score(Y3, P3, k=3),
        "top_2_accuracy": skm.top_k_accuracy_score(Y3, P3, k=2),
        "accuracy": skm.accuracy_score(Y3, P3.argmax(axis=1)),
    }
    for name, value in expected.items():
        metric = get_metric(name)
        got = metric(Y3, prepare(metric, P3, context), context)
        assert got == pytest.approx(value, abs=1e-12), name


def test_binary_metrics_use_the_second_sorted_class() -> None:
    context = make_context("probabilities", Y2, ["1", "0"])  # declared order is irrelevant
    proba = P2[:, ::-1]  # columns follow the declared order: class 1 first
    auc = get_metric("roc_auc")
    assert auc(Y2, prepare(auc, proba, context), context) == pytest.approx(
        skm.roc_auc_score(Y2, P2[:, 1]), abs=1e-12
    )
    f1 = get_metric("f1")
    label_context = make_context("label", Y2, None)
    assert f1(Y2, L2, label_context) == pytest.approx(skm.f1_score(Y2, L2), abs=1e-12)


def test_text_classes_in_unsorted_column_order() -> None:
    names = np.array(["dog", "cat", "emu"], dtype=object)
    y = names[Y3]
    context = make_context("probabilities", y, ["dog", "cat", "emu"])
    metric = get_metric("log_loss")
    assert metric(y, prepare(metric, P3, context), context) == pytest.approx(
        skm.log_loss(y, P3[:, [1, 0, 2]], labels=["cat", "dog", "emu"]), abs=1e-12
    )


def test_per_row_forms_equal_the_metric() -> None:
    context = make_context("probabilities", Y3, ["0", "1", "2"])
    for name in ["accuracy", "log_loss", "top_2_accuracy", "beam_topk_accuracy"]:
        metric = get_metric(name)
        pred = prepare(metric, P3, context)
        assert metric.per_row is not None
        assert metric.finish(float(metric.per_row(Y3, pred, context).mean())) == pytest.approx(
            metric(Y3, pred, context), abs=1e-12
        )


def test_ranking_top_k_and_beam_accuracy() -> None:
    y = np.array([1, 2, 3, 4])
    ranking = np.array([[1, 5, 6], [5, 2, 6], [5, 6, 3], [5, 6, 7]])
    context = make_context("ranking", y, None)
    assert get_metric("top_k_accuracy")(y, ranking, context) == 0.75
    assert get_metric("top_1_accuracy")(y, ranking, context) == 0.25
    # mean over k=1..3 of top-k accuracy: (0.25 + 0.5 + 0.75) / 3
    assert get_metric("beam_topk_accuracy")(y, ranking, context) == pytest.approx(0.5)
    accuracy = get_metric("accuracy")
    assert accuracy(y, prepare(accuracy, ranking, context), context) == 0.25


def test_registry_lists_names_and_directions() -> None:
    names = metric_names()
    assert names == sorted(names)
    assert {"accuracy", "roc_auc", "rmse", "beam_topk_accuracy", "log_loss"} <= set(names)
    assert get_metric("log_loss").greater_is_better is False
    assert get_metric("r2").greater_is_better is True


def test_unknown_metric_suggests_and_lists() -> None:
    with pytest.raises(UnknownMetric) as caught:
        get_metric("acuracy")
    message = str(caught.value)
    assert message.startswith("unknown metric 'acuracy'; did you mean 'accuracy'? valid metrics: ")
    assert "roc_auc_ovr" in message and caught.value.suggestion == "accuracy"
    with pytest.raises(KeyError):
        get_metric("zzz")


def test_incompatible_kind_is_refused() -> None:
    metric = get_metric("roc_auc")
    context = make_context("label", Y2, None)
    with pytest.raises(IncompatibleMetric, match="roc_auc cannot score label predictions"):
        prepare(metric, L2, context)
    with pytest.raises(IncompatibleMetric, match="f1 needs exactly two classes; found 3"):
        get_metric("f1")(Y3, L3, make_context("label", Y3, None))
