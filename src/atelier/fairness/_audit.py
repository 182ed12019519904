"""Group metrics of a binary decision with fairlearn, and their bootstrap intervals.

At the threshold the business costs chose, each group of a sensitive attribute gets
its selection rate, recall, precision and false-positive rate (fairlearn's
``MetricFrame``), each with a 90% percentile-bootstrap interval; the demographic
parity ratio and the equalized-odds difference summarise the gaps. The usual limits
flag them: a ratio under 0.8 (the "four-fifths rule") or a gap over 0.10.
"""

import numpy as np
import pandas as pd

RATIO_LIMIT = 0.8
GAP_LIMIT = 0.10
BOOTSTRAP = 200
MIN_GROUP = 10  # smaller groups are reported, not bootstrapped
SEED = 0


def _metrics():
    from fairlearn.metrics import false_positive_rate, selection_rate
    from sklearn.metrics import precision_score, recall_score

    return {
        "selection_rate": selection_rate,
        "recall": lambda y, p: recall_score(y, p, zero_division=0),
        "precision": lambda y, p: precision_score(y, p, zero_division=0),
        "false_positive_rate": lambda y, p: false_positive_rate(y, p),
    }


def group_metrics(y_true: np.ndarray, y_pred: np.ndarray, groups: pd.Series) -> dict:
    """Each group's metrics with intervals, and the two summary gaps.

    Parameters
    ----------
    y_true, y_pred : array of {0, 1}
        The hold-out's outcomes and the decisions at the chosen threshold.
    groups : Series
        The sensitive attribute of each row (missing values form their own group).

    Returns
    -------
    dict
        ``groups`` (name, rows, each metric and its ``[low, high]``),
        ``demographic_parity_ratio``, ``equalized_odds_difference`` and ``flags``.
    """
    from fairlearn.metrics import (
        MetricFrame,
        demographic_parity_ratio,
        equalized_odds_difference,
    )

    labels = groups.astype("string").fillna("missing").to_numpy()
    frame = MetricFrame(metrics=_metrics(), y_true=y_true, y_pred=y_pred, sensitive_features=labels)
    intervals = _bootstrap(y_true, y_pred, labels)
    rows = []
    for name, values in frame.by_group.iterrows():
        size = int((labels == name).sum())
        rows.append(
            {
                "group": str(name),
                "rows": size,
                "positives": int(y_true[labels == name].sum()),
                **{metric: float(value) for metric, value in values.items()},
                "intervals": intervals.get(str(name), {}),
            }
        )
    ratio = float(demographic_parity_ratio(y_true, y_pred, sensitive_features=labels))
    gap = float(equalized_odds_difference(y_true, y_pred, sensitive_features=labels))
    flags = []
    if ratio < RATIO_LIMIT:
        flags.append("selection_ratio")
    if gap > GAP_LIMIT:
        flags.append("odds_gap")
    return {
        "groups": rows,
        "demographic_parity_ratio": ratio,
        "equalized_odds_difference": gap,
        "flags": flags,
    }


def _bootstrap(y_true, y_pred, labels) -> dict:
    """90% percentile intervals of each group's metrics over resampled hold-outs.

    Resampling a group's rows with replacement draws its four confusion counts from a
    multinomial of the group's size and cell shares: the same distribution as drawing
    the rows, without building the resampled hold-outs.
    """
    rng = np.random.default_rng(SEED)
    truth, decision = np.asarray(y_true).astype(bool), np.asarray(y_pred).astype(bool)
    intervals = {}
    for name in np.unique(labels):
        member = labels == name
        size = int(member.sum())
        if size < MIN_GROUP:
            continue
        cells = [
            np.sum(member & wanted & decided)
            for wanted in (truth, ~truth)
            for decided in (decision, ~decision)
        ]
        tp, fn, fp, tn = rng.multinomial(size, np.asarray(cells) / size, size=BOOTSTRAP).T
        draws = {
            "selection_rate": (tp + fp) / size,
            "recall": _share(tp, tp + fn),
            "precision": _share(tp, tp + fp),
            "false_positive_rate": _share(fp, fp + tn),
        }
        intervals[str(name)] = {
            metric: [float(np.percentile(values, 5)), float(np.percentile(values, 95))]
            for metric, values in draws.items()
        }
    return intervals


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """``part / whole``, 0 where ``whole`` is 0 (scikit-learn's ``zero_division=0``)."""
    return np.divide(part, whole, out=np.zeros(part.shape), where=whole > 0)
