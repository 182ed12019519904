"""The metrics a search can optimise, on encoded labels and predicted probabilities.

Classification predictions are probability matrices (one column per class, classes
encoded ``0..k-1``); regression predictions are vectors. Every metric is turned into
a loss (lower is better) for the search, and reported in its own direction.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn import metrics as skm

BINARY, MULTICLASS, REGRESSION = "binary", "multiclass", "regression"
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


def _roc_auc(y, proba):
    if proba.shape[1] == 2:
        return skm.roc_auc_score(y, proba[:, 1])
    return skm.roc_auc_score(
        y, proba, multi_class="ovr", average="weighted", labels=np.arange(proba.shape[1])
    )


def _log_loss(y, proba):
    return skm.log_loss(y, np.clip(proba, 1e-15, 1.0), labels=np.arange(proba.shape[1]))


_CLASSIFICATION: dict[str, tuple[bool, Callable]] = {
    "roc_auc": (True, _roc_auc),
    "log_loss": (False, _log_loss),
    "accuracy": (True, lambda y, p: skm.accuracy_score(y, _labels(p))),
    "balanced_accuracy": (True, lambda y, p: skm.balanced_accuracy_score(y, _labels(p))),
    "f1": (True, lambda y, p: skm.f1_score(y, _labels(p), average="macro")),
}
_REGRESSION: dict[str, tuple[bool, Callable]] = {
    "rmse": (False, skm.root_mean_squared_error),
    "mae": (False, skm.mean_absolute_error),
    "r2": (True, skm.r2_score),
}


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
