"""The metrics a search can optimise, on encoded labels and predicted probabilities.

Classification predictions are probability matrices (one column per class, classes
encoded ``0..k-1``); regression predictions are vectors. Every metric is turned into
a loss (lower is better) for the search, and reported in its own direction.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata
from sklearn import metrics as skm

BINARY, MULTICLASS, REGRESSION = "binary", "multiclass", "regression"
TRANSCRIPTION = "transcription"  # what a recording says: the deep stage's transcriber
DEFAULT_METRIC = {BINARY: "roc_auc", MULTICLASS: "log_loss", REGRESSION: "rmse"}


@dataclass(frozen=True)
class Metric:
    """A named score, whether higher is better, and how to compute it.

    Attributes
    ----------
    name : str
        As a user writes it (``"roc_auc"``).
    greater_is_better : bool
        Direction of the raw score.
    function : callable
        ``function(y_true, predictions) -> float``.
    """

    name: str
    greater_is_better: bool
    function: Callable[[np.ndarray, np.ndarray], float]

    def score(self, y_true: np.ndarray, predictions: np.ndarray) -> float:
        """The metric's own value."""
        return float(self.function(y_true, predictions))

    def loss(self, y_true: np.ndarray, predictions: np.ndarray) -> float:
        """The value to minimise: the score, negated when higher is better."""
        value = self.score(y_true, predictions)
        return -value if self.greater_is_better else value

    def from_loss(self, loss: float) -> float:
        """Back from a loss to the metric's own value."""
        return -loss if self.greater_is_better else loss


def _labels(proba: np.ndarray) -> np.ndarray:
    return proba.argmax(axis=1)


def _binary_auc(y, score):
    """ROC AUC by the Mann-Whitney statistic, exact with ties counted half.

    Fast enough for greedy ensemble selection, which scores hundreds of blends.
    """
    positive = np.asarray(y) == 1
    n_positive = int(positive.sum())
    n_negative = len(positive) - n_positive
    if n_positive == 0 or n_negative == 0:
        return float("nan")
    ranks = rankdata(score)
    return (ranks[positive].sum() - n_positive * (n_positive + 1) / 2) / (n_positive * n_negative)


def _roc_auc(y, proba):
    if proba.shape[1] == 2:
        return _binary_auc(y, proba[:, 1])
    return skm.roc_auc_score(
        y, proba, multi_class="ovr", average="weighted", labels=np.arange(proba.shape[1])
    )


def _log_loss(y, proba):
    proba = np.clip(proba, 1e-15, 1.0)
    proba = proba / proba.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(proba[np.arange(len(y)), np.asarray(y, dtype=int)])))


def _rmse(y, predictions):
    return float(np.sqrt(np.mean((np.asarray(y, dtype=np.float64) - predictions) ** 2)))


_CLASSIFICATION: dict[str, tuple[bool, Callable]] = {
    "roc_auc": (True, _roc_auc),
    "log_loss": (False, _log_loss),
    "accuracy": (True, lambda y, p: skm.accuracy_score(y, _labels(p))),
    "balanced_accuracy": (True, lambda y, p: skm.balanced_accuracy_score(y, _labels(p))),
    "f1": (True, lambda y, p: skm.f1_score(y, _labels(p), average="macro")),
}
_REGRESSION: dict[str, tuple[bool, Callable]] = {
    "rmse": (False, _rmse),
    "mae": (False, skm.mean_absolute_error),
    "r2": (True, skm.r2_score),
}


CLASSIFICATION_METRICS = tuple(_CLASSIFICATION)
REGRESSION_METRICS = tuple(_REGRESSION)


def get_metric(name: str | None, task: str) -> Metric:
    """The metric called ``name`` for ``task``, or the task's default when ``name`` is None.

    Raises
    ------
    ValueError
        If ``name`` is not a metric of that task; the message lists those that are.
    """
    name = name or DEFAULT_METRIC[task]
    table = _REGRESSION if task == REGRESSION else _CLASSIFICATION
    if name not in table:
        raise ValueError(
            f"metric {name!r} does not apply to {task} tasks; use one of {sorted(table)}"
        )
    greater_is_better, function = table[name]
    return Metric(name, greater_is_better, function)
