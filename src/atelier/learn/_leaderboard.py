"""The leaderboard: every trial of a search, in the metric's own direction."""

import json

import numpy as np
import pandas as pd

from atelier.learn._metrics import Metric

OVERFIT_RELATIVE_GAP = 0.10  # train better than validation by more than 10% of the score
OVERFIT_SPREADS = 3  # ... and by more than 3 fold standard deviations


def overfit_gap(train_loss: float, cv_loss: float, spread: float) -> tuple[float, bool]:
    """How much better the model does on its training rows, and whether that is over-fitting.

    Parameters
    ----------
    train_loss, cv_loss : float
        Mean losses on training and validation folds.
    spread : float
        Standard deviation of the validation losses across folds.

    Returns
    -------
    gap : float
        ``cv_loss - train_loss`` (positive when training looks better).
    overfit : bool
        The gap is above ``OVERFIT_RELATIVE_GAP`` of the score and ``OVERFIT_SPREADS``
        standard deviations.
    """
    gap = cv_loss - train_loss
    scale = max(abs(cv_loss), 1e-12)
    return gap, bool(gap > OVERFIT_RELATIVE_GAP * scale and gap > OVERFIT_SPREADS * spread)


def leaderboard(records, metric: Metric, choice) -> pd.DataFrame:
    """One row per trial, plus the final model, best first.

    Columns: ``model``, ``trial``, ``origin`` (``default`` or ``tuned``), ``status``,
    ``cv_mean``, ``cv_median``, ``cv_std`` (the metric across validation folds),
    ``train_score``, ``gap``, ``overfit``,
    ``fit_s`` (all folds), ``predict_ms_per_1k`` (one call on a batch of 1,000
    rows, as a served model sees them), ``size_kb``, ``trees`` (boosting
    rounds kept by early stopping, median over folds), ``params``, ``notes``.
    """
    rows = []
    for record in records:
        scores = [metric.from_loss(v) for v in record.fold_losses]
        train = [metric.from_loss(v) for v in record.train_losses]
        row = {
            "model": record.family,
            "trial": record.number,
            "origin": record.origin,
            "status": record.status,
            "cv_mean": float(np.mean(scores)) if scores else np.nan,
            "cv_median": float(np.median(scores)) if scores else np.nan,
            "cv_std": float(np.std(scores)) if len(scores) > 1 else np.nan,
            "train_score": float(np.mean(train)) if train else np.nan,
            "gap": np.nan,
            "overfit": False,
            "fit_s": round(record.fit_time, 3),
            "predict_ms_per_1k": round(record.predict_s_per_1k * 1000, 3),
            "size_kb": round(record.size_kb, 1),
            "trees": int(np.median(record.best_iterations)) if record.best_iterations else None,
            "params": json.dumps(record.params, sort_keys=True, default=str),
            "notes": "; ".join(record.notes),
        }
        if record.fold_losses and record.train_losses:
            spread = float(np.std(record.fold_losses)) if len(record.fold_losses) > 1 else 0.0
            gap, overfit = overfit_gap(float(np.mean(record.train_losses)), record.loss, spread)
            row["gap"], row["overfit"] = gap, overfit
        rows.append(row)
    table = pd.DataFrame(rows)
    final = {
        "model": "final: " + choice.kind,
        "trial": -1,
        "origin": "final",
        "status": "chosen",
        "cv_mean": choice.cv_score,
        "params": json.dumps(
            {f"{m['family']}#{m['trial']}": m["weight"] for m in choice.members}, sort_keys=True
        ),
        "notes": choice.why,
    }
    table = pd.concat([pd.DataFrame([final]), table], ignore_index=True)
    order = table["cv_mean"].rank(ascending=not metric.greater_is_better, method="first")
    table["rank"] = order.fillna(len(table)).astype(int)
    table.loc[table["status"] != "complete", "rank"] = len(table)
    table.loc[0, "rank"] = 0
    table = table.sort_values(["rank", "trial"], kind="stable").reset_index(drop=True)
    columns = ["rank", *[c for c in table.columns if c != "rank"]]
    return table[columns]
