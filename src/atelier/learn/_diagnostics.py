"""Diagnostics of the chosen model: learning curve, over-fitting, importance, calibration.

Each function takes fitted or unfitted scikit-learn objects and plain arrays and
returns JSON-ready values; the figures are drawn from those values elsewhere.
"""

import json
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.calibration import calibration_curve
from sklearn.exceptions import FitFailedWarning, UndefinedMetricWarning
from sklearn.inspection import permutation_importance
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import KFold, StratifiedKFold, learning_curve

from atelier.learn._ensemble import aligned_proba
from atelier.learn._features import FrameCoercer
from atelier.learn._metrics import REGRESSION, Metric

TRAIN_SIZES = (0.1, 0.25, 0.5, 0.75, 1.0)
CURVE_FOLDS = 3
IMPORTANCE_REPEATS = 5
IMPORTANCE_ROWS = 1_000
MIN_CLASS_ROWS = 10  # the smallest learning-curve size expects this many of the rarest class
MAX_GROUP_VALUES = 10  # a column with more values does not describe groups of people
SUBGROUP_MIN_ROWS = 30
SUBGROUP_MIN_POSITIVES = 5
SUBGROUP_GAP = 0.10  # a recall this far from the overall one is flagged


def metric_scorer(metric: Metric, task: str, classes=None):
    """A scikit-learn scorer: ``metric`` as a negated loss, so that higher is better.

    ``classes`` are the labels in the order of ``predict_proba``'s columns (for a
    model trained on codes, ``numpy.arange(k)``).
    """

    def score(estimator, X, y):
        if task == REGRESSION:
            return -metric.loss(np.asarray(y, dtype=np.float64), estimator.predict(X))
        labels = np.asarray(y)
        codes = np.searchsorted(
            classes, labels.astype(str) if classes.dtype.kind == "U" else labels
        )
        return -metric.loss(codes, aligned_proba(estimator, X, len(classes)))

    return score


def _splitter(task: str, random_state):
    kind = KFold if task == REGRESSION else StratifiedKFold
    return kind(n_splits=CURVE_FOLDS, shuffle=True, random_state=random_state)


def learning_curve_of(
    pipeline, X, y, metric: Metric, task: str, classes, random_state
) -> dict | None:
    """Train and validation scores of ``pipeline`` as the training set grows.

    Returns
    -------
    dict or None
        ``train_sizes`` (rows), ``train_mean``, ``train_std``, ``valid_mean``,
        ``valid_std`` (the metric in its own direction), and ``reading``: whether
        more data would likely help, and whether the model over-fits. None when
        fewer than two sizes could be scored.
    """
    with warnings.catch_warnings():
        # a small share of a rare class may hold no positive case: that size is dropped
        warnings.simplefilter("ignore", FitFailedWarning)
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        sizes, train, valid = learning_curve(
            clone(pipeline),
            X,
            y,
            train_sizes=_curve_sizes(y, task),
            cv=_splitter(task, random_state),
            scoring=metric_scorer(metric, task, classes),
            n_jobs=1,
            shuffle=True,
            random_state=random_state,
        )
    scored = np.isfinite(train).all(axis=1) & np.isfinite(valid).all(axis=1)
    sizes, train, valid = sizes[scored], train[scored], valid[scored]
    if len(sizes) < 2:
        return None
    train, valid = -train, -valid  # scorer values are negated losses
    train_scores = [metric.from_loss(v) for v in train.mean(axis=1)]
    valid_scores = [metric.from_loss(v) for v in valid.mean(axis=1)]
    last_gain = valid.mean(axis=1)[-2] - valid.mean(axis=1)[-1]
    gap = valid.mean(axis=1)[-1] - train.mean(axis=1)[-1]
    spread = float(valid.std(axis=1)[-1])
    reading = []
    if last_gain > max(spread, 1e-9):
        reading.append("the validation score still improves with more rows: more data would help")
    else:
        reading.append(
            "the validation score has levelled off: more rows of the same kind would help little"
        )
    if gap > 0.1 * max(abs(valid.mean(axis=1)[-1]), 1e-12):
        reading.append(
            "training scores stay well above validation scores: the model over-fits "
            "(it memorises part of the training rows)"
        )
    return {
        "train_sizes": [int(s) for s in sizes],
        "train_mean": train_scores,
        "train_std": [float(s) for s in train.std(axis=1)],
        "valid_mean": valid_scores,
        "valid_std": [float(s) for s in valid.std(axis=1)],
        "reading": "; ".join(reading),
        "more_data_helps": bool(last_gain > max(spread, 1e-9)),
        "overfits": bool(gap > 0.1 * max(abs(valid.mean(axis=1)[-1]), 1e-12)),
    }


def _curve_sizes(y, task: str) -> np.ndarray:
    """Training-set shares for the curve, the smallest holding some of the rarest class."""
    sizes = np.asarray(TRAIN_SIZES)
    if task == REGRESSION:
        return sizes
    rarest = np.unique(y, return_counts=True)[1].min() * (CURVE_FOLDS - 1) / CURVE_FOLDS
    smallest = min(1.0, MIN_CLASS_ROWS / max(rarest, 1))
    kept = sizes[sizes >= smallest]
    return kept if len(kept) >= 3 else np.linspace(smallest, 1.0, 4)


def importance_of(
    model, X, y, metric: Metric, task: str, classes, random_state, seconds: float = np.inf
) -> list[dict] | None:
    """Permutation importance of each input column on held-out rows, largest first.

    Importance is the drop of the metric when the column's values are shuffled
    (mean and standard deviation over up to ``IMPORTANCE_REPEATS`` shuffles, as
    many as fit in ``seconds``). None when not even one shuffle per column fits.
    """
    if len(X) > IMPORTANCE_ROWS:
        keep = np.random.default_rng(random_state).choice(len(X), IMPORTANCE_ROWS, replace=False)
        X, y = X.iloc[keep], np.asarray(y)[keep]
    started = time.monotonic()
    model.predict(X)
    per_column = (time.monotonic() - started) * 1.2
    repeats = int(min(IMPORTANCE_REPEATS, seconds / max(per_column * X.shape[1], 1e-9)))
    if repeats < 1:
        return None
    result = permutation_importance(
        model,
        X,
        y,
        scoring=metric_scorer(metric, task, classes),
        n_repeats=repeats,
        random_state=random_state,
        n_jobs=1,
    )
    rows = [
        {"feature": str(name), "mean": float(mean), "std": float(std), "repeats": repeats}
        for name, mean, std in zip(
            X.columns, result.importances_mean, result.importances_std, strict=True
        )
    ]
    return sorted(rows, key=lambda r: -r["mean"])


def selection_pass(
    pipeline_factory,
    roles,
    X,
    y,
    importance: list[dict],
    metric: Metric,
    task,
    classes,
    random_state,
) -> dict:
    """Cross-validate the best model on all features and on the useful ones only.

    A feature is kept when its permutation importance is above twice its spread.
    Both runs use the same folds, so the gain (or loss) and the time saved compare
    like with like.
    """
    useful = {r["feature"] for r in importance if r["mean"] > 2 * r["std"] and r["mean"] > 0}
    kept = [c for c in roles.features if c in useful]
    if not kept or len(kept) == len(roles.features):
        return {
            "kept": kept or roles.features,
            "dropped": [],
            "why": "every feature contributes" if kept else "no feature stands out on its own",
        }
    splits = list(_splitter(task, random_state).split(X, y))
    outcomes = {}
    for label, columns in (("all", roles.features), ("selected", kept)):
        reduced = roles.__class__(
            numeric=[c for c in roles.numeric if c in columns],
            categorical=[c for c in roles.categorical if c in columns],
            high_cardinality=[c for c in roles.high_cardinality if c in columns],
            dates=[c for c in roles.dates if c in columns],
        )
        scores, started = [], time.monotonic()
        for train, valid in splits:
            model = pipeline_factory(reduced)
            coerced = FrameCoercer(reduced).fit(X.iloc[train])
            model.fit(coerced.transform(X.iloc[train]), y[train])
            scores.append(
                metric_scorer(metric, task, classes)(
                    model, coerced.transform(X.iloc[valid]), y[valid]
                )
            )
        outcomes[label] = (metric.from_loss(-float(np.mean(scores))), time.monotonic() - started)
    (all_score, all_time), (sel_score, sel_time) = outcomes["all"], outcomes["selected"]
    better = sel_score > all_score if metric.greater_is_better else sel_score < all_score
    return {
        "kept": kept,
        "dropped": [c for c in roles.features if c not in kept],
        "score_all": all_score,
        "score_selected": sel_score,
        "fit_s_all": round(all_time, 3),
        "fit_s_selected": round(sel_time, 3),
        "why": (
            f"{len(kept)} of {len(roles.features)} features score "
            f"{metric.name} {sel_score:.4f} against {all_score:.4f} with all of them "
            f"({'better' if better else 'worse'}), in {sel_time:.1f} s instead of "
            f"{all_time:.1f} s of cross-validation"
        ),
    }


def calibration_of(is_positive: np.ndarray, score: np.ndarray) -> dict:
    """Reliability of the predicted probabilities: observed rate per bin, and Brier score."""
    observed, predicted = calibration_curve(is_positive, score, n_bins=10, strategy="quantile")
    return {
        "predicted": [float(v) for v in predicted],
        "observed": [float(v) for v in observed],
        "brier": float(brier_score_loss(is_positive, score)),
    }


def subgroup_recall(
    X: pd.DataFrame,
    is_positive: np.ndarray,
    alerts: np.ndarray,
    min_rows: int = SUBGROUP_MIN_ROWS,
    gap: float = SUBGROUP_GAP,
) -> dict:
    """Recall in each group of rows sharing a value of a low-cardinality column.

    A model can find the positive cases of one group of people much less often
    than those of another; each column with at most ``MAX_GROUP_VALUES`` values
    splits the rows, and each group of at least ``min_rows`` rows (and 5 positive
    cases) gets its recall. Groups whose recall differs from the overall recall by
    ``gap`` or more are flagged.

    Returns
    -------
    dict
        ``recall`` (overall), ``min_rows``, ``gap``, and ``groups``: ``column``,
        ``value``, ``rows``, ``positives``, ``recall``, ``gap``, ``flagged``, the
        largest gaps first.
    """
    is_positive, alerts = np.asarray(is_positive, dtype=bool), np.asarray(alerts, dtype=bool)
    overall = float((alerts & is_positive).sum() / max(is_positive.sum(), 1))
    groups = []
    for column in X.columns:
        values = X[column].reset_index(drop=True)
        distinct = values.dropna().unique()
        if not 2 <= len(distinct) <= MAX_GROUP_VALUES:
            continue
        for value in distinct:
            member = (values == value).to_numpy(dtype=bool)
            positives = int((member & is_positive).sum())
            if member.sum() < min_rows or positives < SUBGROUP_MIN_POSITIVES:
                continue
            recall = float((member & is_positive & alerts).sum() / positives)
            groups.append(
                {
                    "column": str(column),
                    "value": str(value),
                    "rows": int(member.sum()),
                    "positives": positives,
                    "recall": recall,
                    "gap": recall - overall,
                    "flagged": bool(abs(recall - overall) >= gap),
                }
            )
    groups.sort(key=lambda g: -abs(g["gap"]))
    return {"recall": overall, "min_rows": min_rows, "gap": gap, "groups": groups}


def overfitting_summary(leaderboard: pd.DataFrame, families_defaults: dict) -> list[dict]:
    """For each family's best trial: the train-validation gap, and what the search did.

    Parameters
    ----------
    leaderboard : DataFrame
        The search's leaderboard.
    families_defaults : dict
        Family name to its first default configuration, to show which way the
        tuned regularisation moved.
    """
    rows = []
    complete = leaderboard[leaderboard["status"] == "complete"]
    for family, group in complete.groupby("model", sort=False):
        best = group.iloc[0]
        params = json.loads(best["params"]) if best["params"] else {}
        actions, changes, trees = [], [], None
        if best.get("trees") is not None and not pd.isna(best.get("trees")):
            trees = int(best["trees"])
            actions.append(f"early stopping kept {trees} boosting rounds")
        defaults = families_defaults.get(family, {})
        for name, value in params.items():
            if name in defaults and defaults[name] != value:
                actions.append(f"{name} {defaults[name]} -> {value}")
                changes.append({"parameter": name, "default": defaults[name], "value": value})
        rows.append(
            {
                "model": family,
                "cv_score": float(best["cv_mean"]),
                "train_score": float(best["train_score"]),
                "gap": float(best["gap"]),
                "overfit": bool(best["overfit"]),
                "done": ", ".join(actions) if actions else "default settings",
                "trees": trees,
                "changes": changes,
            }
        )
    return rows
