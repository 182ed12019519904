"""Where the network is wrong, what those rows share, and what was tried about it.

Errors are measured row by row (the log loss of the true class, or the absolute
residual); the rows with the largest errors are compared with all rows, column
by column, and each group of a low-cardinality column gets its mean error. The
treatments are tried on the validation rows, never on the hold-out.
"""

import numpy as np
import pandas as pd

from atelier.deep._improvements import Trainer, better
from atelier.learn._metrics import REGRESSION

TOP_SHARE = 0.1  # the largest errors: this share of the rows
MIN_TOP_ROWS = 10
MAX_GROUP_VALUES = 12
MIN_GROUP_ROWS = 20
GROUP_RATIO = 1.5  # a group whose mean error is this many times the overall one is flagged
SHOWN_ROWS = 10


def row_errors(task: str, truth, predictions, classes=None) -> np.ndarray:
    """Each row's error: log loss of its true class, or its absolute residual."""
    if task == REGRESSION:
        return np.abs(np.asarray(truth, dtype=np.float64) - predictions)
    codes = np.searchsorted(classes, truth)
    chance = predictions[np.arange(len(codes)), codes]
    return -np.log(np.clip(chance, 1e-12, 1.0))


def analyse(frame: pd.DataFrame, errors: np.ndarray, truth, predicted) -> dict:
    """The largest errors and what they share.

    Parameters
    ----------
    frame : DataFrame
        The rows as the request would send them (feature columns).
    errors : ndarray
        :func:`row_errors` of each row.
    truth, predicted : array-like
        The true and predicted values (labels for classes).

    Returns
    -------
    dict
        ``mean_error``; ``largest`` (the ``SHOWN_ROWS`` worst rows: position, true,
        predicted, error); ``shared`` (columns where the worst rows differ most from
        all rows: a category over-represented, or a number shifted); ``groups``
        (groups whose mean error is ``GROUP_RATIO`` times the overall or more).
    """
    frame = frame.reset_index(drop=True)
    order = np.argsort(-errors, kind="stable")
    n_top = max(MIN_TOP_ROWS, int(TOP_SHARE * len(errors)))
    top = np.zeros(len(errors), dtype=bool)
    top[order[:n_top]] = True
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    largest = [
        {
            "row": int(row),
            "true": _plain(truth[row]),
            "predicted": _plain(predicted[row]),
            "error": round(float(errors[row]), 4),
        }
        for row in order[:SHOWN_ROWS]
    ]
    return {
        "mean_error": float(errors.mean()),
        "top_rows": int(n_top),
        "largest": largest,
        "shared": _shared(frame, top),
        "groups": _groups(frame, errors),
    }


def _shared(frame: pd.DataFrame, top: np.ndarray) -> list[dict]:
    traits = []
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and values.nunique() > MAX_GROUP_VALUES:
            numbers = values.astype(float)
            spread = numbers.std()
            if not spread or np.isnan(spread):
                continue
            shift = (numbers[top].median() - numbers.median()) / spread
            if abs(shift) >= 0.3:
                traits.append(
                    {
                        "column": str(column),
                        "kind": "number",
                        "direction": "higher" if shift > 0 else "lower",
                        "median_top": float(numbers[top].median()),
                        "median_all": float(numbers.median()),
                        "strength": round(abs(float(shift)), 3),
                    }
                )
            continue
        text = values.astype("string").fillna("(missing)")
        if text.nunique() > MAX_GROUP_VALUES:
            continue
        share_all = text.value_counts(normalize=True)
        share_top = text[top].value_counts(normalize=True)
        lift = (share_top / share_all).dropna()
        lift = lift[share_top.reindex(lift.index) >= 0.2]
        if lift.empty or lift.max() < 1.3:
            continue
        value = lift.idxmax()
        traits.append(
            {
                "column": str(column),
                "kind": "category",
                "value": str(value),
                "share_top": round(float(share_top[value]), 4),
                "share_all": round(float(share_all[value]), 4),
                "strength": round(float(lift.max()) - 1, 3),
            }
        )
    return sorted(traits, key=lambda t: -t["strength"])[:3]


def _groups(frame: pd.DataFrame, errors: np.ndarray) -> list[dict]:
    overall = float(errors.mean()) or 1e-12
    groups = []
    for column in frame.columns:
        text = frame[column].astype("string").fillna("(missing)")
        if text.nunique() > MAX_GROUP_VALUES or text.nunique() < 2:
            continue
        means = pd.Series(errors).groupby(text.to_numpy()).agg(["mean", "size"])
        for value, row in means.iterrows():
            if row["size"] >= MIN_GROUP_ROWS and row["mean"] >= GROUP_RATIO * overall:
                groups.append(
                    {
                        "column": str(column),
                        "value": str(value),
                        "rows": int(row["size"]),
                        "mean_error": round(float(row["mean"]), 4),
                        "ratio": round(float(row["mean"] / overall), 2),
                    }
                )
    return sorted(groups, key=lambda g: -g["ratio"])[:5]


def treatments(trainer: Trainer, config: dict, model, score: float, task: str) -> dict:
    """Try what the errors call for on the validation rows; keep what helps.

    - class weights, when the largest validation errors fall on one class at least
      1.5 times as often as its share of the rows;
    - more regularisation (dropout +0.15, weight decay x10), when the training loss
      at the best epoch is well below the validation loss (over-fitting);
    - more epochs (patience and maximum doubled), when training stopped at its
      maximum or the validation loss was still falling (under-fitting).

    Returns
    -------
    dict
        ``tried`` (each treatment: ``treatment``, ``why``, ``validation``, ``delta``,
        ``kept``), ``config`` (the network's parameters after the kept ones) and its
        validation ``score``.
    """
    tried = []
    history = model.history_
    best = history[model.best_epoch_ - 1]
    candidates = []
    if task != REGRESSION:
        concentrated = _concentration(model, trainer)
        if concentrated is not None:
            candidates.append(("class_weights", concentrated, {"class_weight": "balanced"}))
    gap = best["validation_loss"] - best["train_loss"]
    if gap > 0.1 * abs(best["validation_loss"]):
        candidates.append(
            (
                "regularisation",
                {"gap": round(gap, 4)},
                {
                    "dropout": min(0.5, config["dropout"] + 0.15),
                    "weight_decay": max(1e-4, config["weight_decay"] * 10),
                },
            )
        )
    still_falling = model.best_epoch_ >= len(history) - 1
    if model.stopped_by_ == "maximum epochs" or still_falling:
        candidates.append(
            (
                "more_epochs",
                {"stopped_by": model.stopped_by_, "best_epoch": model.best_epoch_},
                {"max_epochs": 2 * config["max_epochs"], "patience": 2 * config["patience"]},
            )
        )
    for name, why, change in candidates:
        if trainer.time_left() < 2.5 * trainer.last_seconds:
            tried.append({"treatment": name, "why": why, "skipped": "time budget"})
            continue
        candidate = config | change
        _, new_score = trainer.fit(candidate)
        delta = better(trainer.metric, new_score, score)
        kept = delta > 0
        tried.append(
            {
                "treatment": name,
                "why": why,
                "change": change,
                "validation": new_score,
                "delta": delta,
                "kept": kept,
            }
        )
        if kept:
            config, score = candidate, new_score
    if not candidates:
        tried.append({"treatment": "none", "why": {"reason": "no_signal"}})
    return {"tried": tried, "config": config, "score": score}


def _concentration(model, trainer: Trainer) -> dict | None:
    """The class the largest validation errors fall on, when it is over-represented there.

    Returns
    -------
    dict or None
        ``class``, ``share_top`` (of the largest errors) and ``share_all`` (of the
        validation rows), when the first is at least 1.5 times the second.
    """
    truth = np.asarray(trainer.y_valid)
    errors = row_errors(
        "classification", truth, model.predict_proba(trainer.X_valid), model.classes_
    )
    top = np.argsort(-errors, kind="stable")[: max(MIN_TOP_ROWS, int(TOP_SHARE * len(truth)))]
    labels, counts = np.unique(truth[top], return_counts=True)
    label = labels[counts.argmax()]
    share_top = counts.max() / len(top)
    share_all = float(np.mean(truth == label))
    if share_top < 1.5 * share_all:
        return None
    return {
        "class": str(label),
        "share_top": round(float(share_top), 4),
        "share_all": round(share_all, 4),
    }


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return value
