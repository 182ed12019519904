"""Decision thresholds for a binary model, chosen by the charter's business costs."""

import numpy as np
import pandas as pd

from atelier._text import Text

THRESHOLDS = np.round(np.arange(0.01, 1.0, 0.01), 2)


def unit_costs(costs, positive: str, negative: str) -> dict[str, float]:
    """Cost of each outcome (negative values are gains), from the charter's costs.

    Parameters
    ----------
    costs : atelier.charter.Costs
    positive, negative : str
        The labels of the two classes, as the value matrix names them.

    Returns
    -------
    dict
        ``tp``, ``fp``, ``fn``, ``tn``: what one such outcome costs.
    """
    if costs.value_matrix is None:
        return {
            "tp": -costs.true_positive_gain,
            "fp": costs.false_positive,
            "fn": costs.false_negative,
            "tn": 0.0,
        }
    matrix = {str(k): {str(j): v for j, v in row.items()} for k, row in costs.value_matrix.items()}
    try:
        return {
            "tp": -matrix[positive][positive],
            "fp": -matrix[negative][positive],
            "fn": -matrix[positive][negative],
            "tn": -matrix[negative][negative],
        }
    except KeyError as missing:
        raise ValueError(
            f"costs.value_matrix: no entry for class {missing}; "
            f"it needs rows and columns {positive!r} and {negative!r}"
        ) from None


def threshold_table(is_positive: np.ndarray, score: np.ndarray, unit: dict) -> pd.DataFrame:
    """Counts, precision, recall, F1 and total cost at every threshold.

    Parameters
    ----------
    is_positive : ndarray of bool
        Whether each row truly belongs to the positive class.
    score : ndarray of float
        The model's probability of the positive class.
    unit : dict
        Outcome costs from :func:`unit_costs`.

    Returns
    -------
    DataFrame
        One row per threshold: ``threshold``, ``tp``, ``fp``, ``fn``, ``tn``,
        ``precision``, ``recall``, ``f1``, ``alert_rate``, ``cost`` (total) and
        ``cost_per_1000`` rows.
    """
    is_positive = np.asarray(is_positive, dtype=bool)
    alerts = score[None, :] >= THRESHOLDS[:, None]
    tp = (alerts & is_positive).sum(axis=1)
    fp = (alerts & ~is_positive).sum(axis=1)
    fn = (~alerts & is_positive).sum(axis=1)
    tn = (~alerts & ~is_positive).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
        recall = np.where(tp + fn > 0, tp / (tp + fn), np.nan)
        f1 = np.where(tp > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    cost = tp * unit["tp"] + fp * unit["fp"] + fn * unit["fn"] + tn * unit["tn"]
    n = len(score)
    return pd.DataFrame(
        {
            "threshold": THRESHOLDS,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "tn": tn,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "alert_rate": (tp + fp) / n,
            "cost": cost,
            "cost_per_1000": cost / n * 1000,
        }
    )


def best_threshold(table: pd.DataFrame) -> float:
    """The threshold of lowest cost (the one closest to 0.5 among ties)."""
    lowest = table["cost"].min()
    tied = table.loc[np.isclose(table["cost"], lowest), "threshold"]
    return float(tied.iloc[np.argmin(np.abs(tied.to_numpy() - 0.5))])


def at(table: pd.DataFrame, threshold: float) -> dict:
    """The row of ``table`` at ``threshold``, as plain values."""
    row = table.loc[np.isclose(table["threshold"], threshold)].iloc[0]
    counts = {"tp", "fp", "fn", "tn"}
    return {k: int(v) if k in counts else float(v) for k, v in row.items()}


def in_plain_words(row: dict, positive_name: str, currency: str, reference: dict | None) -> str:
    """One sentence a decision maker reads: what the model finds, and what it costs.

    >>> row = {"threshold": 0.3, "recall": 0.74, "precision": 0.66, "cost_per_1000": 21000.0}
    >>> in_plain_words(row, "churners", "EUR", None)
    'At a threshold of 0.30 the model finds 74% of churners; 1 alert in 3 is a false alarm. Expected cost: 21,000 EUR per 1,000 rows.'
    """  # noqa: E501
    recall, precision = row["recall"], row["precision"]
    finds = (
        f"At a threshold of {row['threshold']:.2f} the model finds {recall:.0%} of {positive_name}"
    )
    alarms = Text("en").alarms(precision)
    text = (
        f"{finds}; {alarms}. Expected cost: {row['cost_per_1000']:,.0f} {currency} per 1,000 rows."
    )
    if reference is not None:
        text += (
            f" At 0.50 it would be {reference['cost_per_1000']:,.0f} {currency} "
            f"(finding {reference['recall']:.0%})."
        )
    return text
