"""Has the data changed? The population stability index of each column of a batch.

The batch's distribution of each input column is binned like the training data's
(the reference of the serving card: quantile bins for numbers, values for
categories, missing values apart) and compared with the usual PSI rule of thumb:
below 0.1 stable, 0.1 to 0.25 a moderate shift, above 0.25 a major shift.
"""

import numpy as np
import pandas as pd

from atelier.learn._card import binned_shares, value_shares, word_counts

MODERATE, MAJOR = 0.1, 0.25
FLOOR = 1e-4  # an empty bin would make the index infinite


def population_stability(frame: pd.DataFrame, reference: dict) -> list[dict]:
    """The PSI of each column of ``frame`` against the training ``reference``.

    Parameters
    ----------
    frame : DataFrame
        A validated batch.
    reference : dict
        The serving card's ``reference`` (see :func:`atelier.learn._card.reference_of`).

    Returns
    -------
    list of dict
        Per column, largest shift first: ``feature``, ``psi``, ``level``
        (``stable``, ``moderate`` or ``major``) and ``words``, a sentence for a
        reader who is not a statistician.

    Examples
    --------
    >>> reference = {"plan": {"kind": "categorical", "shares": {"A": 0.5, "B": 0.5}}}
    >>> batch = pd.DataFrame({"plan": ["A"] * 10})
    >>> [row["level"] for row in population_stability(batch, reference)]
    ['major']
    """
    rows = []
    for name, expected in reference.items():
        if name not in frame.columns:
            continue
        values = frame[name]
        if expected["kind"] == "text":  # texts drift by their length in words
            values = word_counts(values)
        if expected["kind"] in ("numeric", "text"):
            actual = binned_shares(values, expected["edges"])
            wanted = expected["shares"]
        else:
            observed = value_shares(values)
            labels = sorted(set(expected["shares"]) | set(observed))
            actual = [observed.get(label, 0.0) for label in labels]
            wanted = [expected["shares"].get(label, 0.0) for label in labels]
        psi = _psi(np.asarray(actual), np.asarray(wanted))
        level = "major" if psi > MAJOR else "moderate" if psi > MODERATE else "stable"
        rows.append(
            {"feature": name, "psi": round(psi, 4), "level": level, "words": _words(name, level)}
        )
    return sorted(rows, key=lambda row: -row["psi"])


def _psi(actual: np.ndarray, expected: np.ndarray) -> float:
    actual, expected = np.maximum(actual, FLOOR), np.maximum(expected, FLOOR)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def _words(name: str, level: str) -> str:
    if level == "major":
        return (
            f"{name} is distributed very differently from the training data: the model's "
            "answers are less reliable; retraining is advised"
        )
    if level == "moderate":
        return f"{name} has shifted somewhat since training: worth watching"
    return f"{name} looks like the training data"
