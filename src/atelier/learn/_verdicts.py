"""What the train stage can claim, measured, not assumed.

The gain over the baseline on the hold-out with its uncertainty, what tuning bought
over each family's defaults, how robust the cross-validated score is to one odd
fold, and why the metric fits the project.

Each function returns plain values that ``result.json`` holds and the dossier's
evidence rules read; a claim the numbers do not support comes out as such.
"""

import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier, DummyRegressor

from atelier.learn._metrics import BINARY, MULTICLASS, REGRESSION, Metric

BOOTSTRAP_RESAMPLES = 300
INTERVAL = 0.90  # the gain's interval: 5th to 95th percentile of the resampled gains


def holdout_comparison(
    model, X_train, y_train, X_test, y_test, metric: Metric, task: str, classes, random_state
) -> dict:
    """The model against the baseline (a prior or mean predictor) on the same hold-out rows.

    The baseline is fitted on the training rows and scored on the hold-out, as the
    model is; the gain's interval comes from resampling the hold-out rows (a paired
    bootstrap), so that a gain within the hold-out's noise is not read as real.

    Returns
    -------
    dict
        ``model`` and ``baseline`` scores (the metric's own direction), ``gain``
        (positive when the model is better), ``gain_low`` and ``gain_high`` (the
        90% interval), ``resamples`` used, and ``beats_baseline``: the whole
        interval is above zero.
    """
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    if task == REGRESSION:
        truth = y_test.astype(np.float64)
        predicted = np.asarray(model.predict(X_test), dtype=np.float64)
        baseline = DummyRegressor().fit(X_train, y_train).predict(X_test)
    else:
        truth = class_codes(classes, y_test)
        predicted = model.predict_proba(X_test)
        prior = DummyClassifier(strategy="prior").fit(X_train, class_codes(classes, y_train))
        baseline = np.zeros_like(predicted)
        baseline[:, prior.classes_] = prior.predict_proba(X_test)
    gain = paired_gain(truth, baseline, predicted, metric, task, random_state)
    return {
        "model": gain["candidate"],
        "baseline": gain["reference"],
        "gain": gain["gain"],
        "gain_low": gain["gain_low"],
        "gain_high": gain["gain_high"],
        "interval": INTERVAL,
        "resamples": gain["resamples"],
        "beats_baseline": gain["better"],
    }


def paired_gain(truth, reference, candidate, metric: Metric, task: str, random_state) -> dict:
    """How much ``candidate``'s predictions beat ``reference``'s on the same rows.

    The interval comes from resampling the rows (a paired bootstrap of
    ``BOOTSTRAP_RESAMPLES``), so that a gain within the rows' noise is not read as
    real.

    Returns
    -------
    dict
        ``reference`` and ``candidate`` scores (the metric's own direction),
        ``gain`` (loss of the reference minus loss of the candidate: positive when
        the candidate is better), ``gain_low`` and ``gain_high`` (the 90% interval),
        ``resamples``, and ``better``: the whole interval is above zero.
    """
    reference_loss, candidate_loss = metric.loss(truth, reference), metric.loss(truth, candidate)
    rng = np.random.default_rng(random_state)
    gains = []
    for _ in range(BOOTSTRAP_RESAMPLES):
        rows = rng.integers(0, len(truth), len(truth))
        if task != REGRESSION and len(np.unique(truth[rows])) < 2:
            continue  # ranking metrics are undefined on one class
        gains.append(
            metric.loss(truth[rows], reference[rows]) - metric.loss(truth[rows], candidate[rows])
        )
    gains = np.asarray([g for g in gains if np.isfinite(g)])
    tail = (1 - INTERVAL) / 2
    low, high = np.quantile(gains, [tail, 1 - tail]) if len(gains) else (np.nan, np.nan)
    return {
        "reference": metric.from_loss(reference_loss),
        "candidate": metric.from_loss(candidate_loss),
        "gain": float(reference_loss - candidate_loss),
        "gain_low": float(low),
        "gain_high": float(high),
        "resamples": len(gains),
        "better": bool(np.isfinite(low) and low > 0),
    }


def tuning_gains(board: pd.DataFrame, metric: Metric, folds: int) -> dict:
    """For each family, its best default trial against its best tuned trial.

    Parameters
    ----------
    board : DataFrame
        The leaderboard (``model``, ``origin``, ``status``, ``cv_mean``, ``cv_std``).
    metric : Metric
    folds : int
        Validation folds per trial: a gain smaller than the tuned trial's standard
        error over its folds (``cv_std / sqrt(folds)``) is within their noise.

    Returns
    -------
    dict
        ``families``: one entry per family with a complete trial (``default``,
        ``tuned`` scores or None, ``tuned_trials``, ``gain``: tuned better than
        default by this much, in the metric's direction, ``within_noise``);
        ``improved``: the families whose tuning beat their defaults; ``why``.
    """
    complete = board[board["status"] == "complete"]
    families, improved = [], []
    sign = 1.0 if metric.greater_is_better else -1.0
    for family, trials in complete.groupby("model", sort=False):
        defaults = trials.loc[trials["origin"] == "default", "cv_mean"]
        tuned = trials.loc[trials["origin"] == "tuned", "cv_mean"]
        best = (lambda s: s.max()) if metric.greater_is_better else (lambda s: s.min())
        entry = {
            "family": family,
            "default": float(best(defaults)) if len(defaults) else None,
            "tuned": float(best(tuned)) if len(tuned) else None,
            "tuned_trials": len(tuned),
            "gain": None,
            "within_noise": None,
        }
        if entry["default"] is not None and entry["tuned"] is not None:
            entry["gain"] = sign * (entry["tuned"] - entry["default"])
            best_tuned = tuned.idxmax() if metric.greater_is_better else tuned.idxmin()
            spread = trials.loc[best_tuned, "cv_std"]
            standard_error = float(spread) / np.sqrt(max(folds, 1)) if spread == spread else 0.0
            entry["within_noise"] = bool(entry["gain"] <= standard_error)
            if entry["gain"] > 0:
                improved.append(family)
        families.append(entry)
    tuned_any = any(f["tuned_trials"] for f in families)
    if improved:
        gains = ", ".join(
            f"{f['family']} {f['default']:.4f} -> {f['tuned']:.4f}"
            for f in families
            if f["family"] in improved
        )
        families_word = "family" if len(improved) == 1 else "families"
        why = (
            f"tuning beat the defaults of {len(improved)} {families_word} ({metric.name}: {gains})"
        )
    elif tuned_any:
        why = "tuned trials did not beat the families' defaults: the defaults were kept"
    else:
        why = "no trial was tuned beyond the families' defaults (budget or max_trials)"
    return {"families": families, "improved": improved, "why": why}


def fold_robustness(records, metric: Metric) -> dict | None:
    """How much the best trial's score rests on single folds: its mean against its median.

    An extreme fold (a block of odd rows) moves the mean but not the median; the
    search ranks trials by the mean, so the check also says whether ranking by the
    median would have picked the same trial.

    Returns
    -------
    dict or None
        ``trial``, ``family``, fold ``scores``, ``mean``, ``median``, ``std``,
        ``best_by_median`` (trial number), ``agree`` and ``why``; None when no
        trial was scored on at least three folds.
    """
    complete = [r for r in records if r.status == "complete" and len(r.fold_losses) >= 3]
    if not complete:
        return None
    best = min(complete, key=lambda r: r.loss)
    by_median = min(complete, key=lambda r: float(np.median(r.fold_losses)))
    scores = [metric.from_loss(v) for v in best.fold_losses]
    mean, median, spread = float(np.mean(scores)), float(np.median(scores)), float(np.std(scores))
    agree = by_median.number == best.number or np.isclose(
        np.median(by_median.fold_losses), np.median(best.fold_losses)
    )
    why = (
        f"{best.family} (trial {best.number}) scores {metric.name} {mean:.4f} on average over "
        f"{len(scores)} folds, median {median:.4f}, spread {spread:.4f}; "
        + (
            "ranked by the median of the folds, it is still the best trial"
            if agree
            else f"ranked by the median, {by_median.family} (trial {by_median.number}) would lead"
        )
    )
    return {
        "trial": best.number,
        "family": best.family,
        "scores": scores,
        "mean": mean,
        "median": median,
        "std": spread,
        "best_by_median": by_median.number,
        "agree": bool(agree),
        "why": why,
    }


def metric_reason(training, task: str, metric: Metric, y, costs, positive) -> dict:
    """Why the metric fits this project, and what the reason rests on.

    Returns
    -------
    dict
        ``text`` and ``basis``: ``charter`` (the charter's ``training.metric_reason``),
        ``class_balance`` and ``costs`` (the default chosen from the data and the
        charter's costs), or None when the charter sets a metric without a reason.
    """
    if training.metric_reason:
        return {"text": training.metric_reason, "basis": "charter"}
    if training.metric is not None:
        return {
            "text": f"{metric.name} was set in the charter without a reason "
            "(training.metric_reason)",
            "basis": None,
        }
    shares = pd.Series(np.asarray(y).astype(str)).value_counts(normalize=True)
    if task == BINARY:
        share = float(shares.get(str(positive), shares.min()))
        return {
            "positive": str(positive),
            "share": share,
            "text": (
                f"{positive!s} is {share:.0%} of the rows: ROC AUC ranks the cases whatever the "
                "threshold and is not swayed by that imbalance, where accuracy would reward "
                f"predicting the majority; the charter's costs ({costs.currency}) then choose "
                "the threshold"
            ),
            "basis": "class_balance",
        }
    if task == MULTICLASS:
        return {
            "classes": len(shares),
            "smallest": float(shares.min()),
            "largest": float(shares.max()),
            "text": (
                f"{len(shares)} classes, from {shares.min():.0%} to {shares.max():.0%} of the "
                "rows: log loss judges the probability of every class, so that a rare class counts "
                "and confident mistakes cost most"
            ),
            "basis": "class_balance",
        }
    return {
        "text": f"{metric.name} is the default for a numeric target; the charter gives no reason",
        "basis": None,
    }


def class_codes(classes, y) -> np.ndarray:
    """Each label of ``y`` as its index in ``classes``."""
    values = np.asarray(y)
    return np.searchsorted(classes, values.astype(str) if classes.dtype.kind == "U" else values)
