"""Greedy ensemble selection (Caruana et al., 2004) and the fitted ensemble it yields.

Starting from the best single model, the selection adds, with replacement, the model
whose out-of-fold predictions most improve the averaged prediction's score. The
weights are how often each model was picked. The same averaging serves a single
model (one member, weight 1), so every final model has the same shape.
"""

from collections import Counter
from collections.abc import Callable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from atelier.learn._metrics import Metric


def greedy_selection(
    predictions: dict[int, np.ndarray],
    y: np.ndarray,
    metric: Metric,
    rounds: int = 25,
    within: Callable[[set[int]], bool] | None = None,
    member_cost: float = 0.0,
) -> tuple[dict[int, float], float]:
    """Choose ensemble weights on out-of-fold predictions.

    Parameters
    ----------
    predictions : dict of int to ndarray
        Out-of-fold predictions of each candidate, keyed by trial number.
    y : ndarray
        The encoded target for the same rows.
    metric : Metric
    rounds : int
        How many picks (with replacement).
    within : callable or None
        ``within(members)`` says whether a set of trials may form the blend (its
        prediction time, say); a pick that would break it is not considered, so
        that a costly model never displaces the affordable ones. None allows all.
    member_cost : float
        What each member beyond the first must earn, in loss: the selection ranks
        blends by their loss plus this much per extra member, since every member
        adds its own prediction time. 0 ranks by loss alone.

    Returns
    -------
    weights : dict of int to float
        Weight of each chosen trial (they sum to 1).
    loss : float
        The ensemble's out-of-fold loss.
    """
    keys = list(predictions)
    losses = {k: metric.loss(y, predictions[k]) for k in keys if within is None or within({k})}
    first = min(losses, key=losses.get)
    picks = [first]
    total = predictions[first].astype(np.float64).copy()

    def charged(loss: float, members: set[int]) -> float:
        return loss + member_cost * (len(members) - 1)

    best_loss, best_size = losses[first], 1
    best_charged = best_loss
    for _ in range(rounds - 1):
        size = len(picks) + 1
        allowed = [k for k in keys if within is None or within({*picks, k})]
        if not allowed:
            break
        trial_losses = {k: metric.loss(y, (total + predictions[k]) / size) for k in allowed}
        chosen = min(allowed, key=lambda k: charged(trial_losses[k], {*picks, k}))
        picks.append(chosen)
        total += predictions[chosen]
        value = charged(trial_losses[chosen], set(picks))
        if value < best_charged - 1e-12:
            best_loss, best_size, best_charged = trial_losses[chosen], size, value
    counts = Counter(picks[:best_size])
    return {k: n / best_size for k, n in counts.items()}, best_loss


class _WeightedAverage(BaseEstimator):
    """Average the predictions of fitted members with fixed weights.

    Parameters
    ----------
    members : list of estimators
        Fitted pipelines (classifiers trained on codes ``0..k-1``).
    weights : list of float
    classes : array-like or None
        The original class labels, in code order (classifiers only).
    names : list of str or None
        A label per member, for the leaderboard and the report.
    """

    def __init__(self, members=None, weights=None, classes=None, names=None):
        self.members = members
        self.weights = weights
        self.classes = classes
        self.names = names

    def fit(self, X, y=None):
        """The members arrive fitted; this only records what prediction needs."""
        self.n_features_in_ = getattr(self.members[0], "n_features_in_", None)
        if self.classes is not None:
            self.classes_ = np.asarray(self.classes)
        self.fitted_ = True
        return self


class WeightedClassifier(ClassifierMixin, _WeightedAverage):
    """A classifier that averages its members' class probabilities.

    With ``smoothing`` > 0, the average is shrunk toward ``prior`` (the class
    shares): ``(1 - smoothing) * p + smoothing * prior``, which tempers
    over-confident probabilities without changing their order.
    """

    def __init__(
        self, members=None, weights=None, classes=None, names=None, smoothing=0.0, prior=None
    ):
        super().__init__(members=members, weights=weights, classes=classes, names=names)
        self.smoothing = smoothing
        self.prior = prior

    def predict_proba(self, X):
        check_is_fitted(self)
        k = len(self.classes_)
        total = np.zeros((len(X), k))
        for member, weight in zip(self.members, self.weights, strict=True):
            total += weight * aligned_proba(member, X, k)
        if self.smoothing:
            total = (1 - self.smoothing) * total + self.smoothing * np.asarray(self.prior)
        return total

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class WeightedRegressor(RegressorMixin, _WeightedAverage):
    """A regressor that averages its members' predictions."""

    def predict(self, X):
        check_is_fitted(self)
        total = np.zeros(len(X))
        for member, weight in zip(self.members, self.weights, strict=True):
            total += weight * np.asarray(member.predict(X), dtype=np.float64).ravel()
        return total


def aligned_proba(model, X, k: int) -> np.ndarray:
    """``model.predict_proba(X)`` with one column per code ``0..k-1``.

    A model trained on codes, on data that lacked a class, has no column for it;
    that class gets probability 0.
    """
    proba = model.predict_proba(X)
    if proba.shape[1] == k:
        return proba
    classes = np.asarray(model.classes_)
    full = np.zeros((proba.shape[0], k))
    full[:, classes.astype(int)] = proba
    return full


SMOOTHING_GRID = (0.0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1)


def best_smoothing(oof: np.ndarray, y: np.ndarray, prior: np.ndarray, metric) -> float:
    """The shrinkage toward the class shares that minimises the out-of-fold loss."""
    losses = {s: metric.loss(y, (1 - s) * oof + s * prior) for s in SMOOTHING_GRID}
    return min(losses, key=losses.get)
