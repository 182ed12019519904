"""The model card the serving side needs: what the model answers, and the data it saw.

Written by the train stage beside the model and logged with it in the registry, so
that whatever serves the champion (the API, the dashboard) finds in one file the
task, the classes and the decision threshold, the training distribution of every
input column (for drift) and a small background sample (for explanations).
"""

import numpy as np
import pandas as pd

from atelier._values import json_value

DRIFT_BINS = 10
BACKGROUND_ROWS = 50


def reference_of(X: pd.DataFrame, text=()) -> dict:
    """The training distribution of each column of ``X``, binned for drift checks.

    Numbers get up to ``DRIFT_BINS`` quantile bins (``edges``: the inner cut points;
    ``shares``: the share of rows in each bin, then the share of missing values);
    other columns get the share of each value (``shares`` by value, and ``null``).
    ``typical`` is the median or the most frequent value: what a plain-words
    explanation compares a record with. Free-text columns (``text``) are described by
    their number of words (``kind`` ``text``, binned as numbers, no typical text):
    a text is no category, and may hold a person's name.

    Examples
    --------
    >>> frame = pd.DataFrame({"age": [20, 30, 40, 50], "plan": ["A", "A", "B", None]})
    >>> reference = reference_of(frame)
    >>> reference["age"]["typical"], reference["plan"]["shares"]
    (35.0, {'A': 0.5, 'B': 0.25, 'null': 0.25})
    """
    reference = {}
    for name in X.columns:
        values = X[name]
        if name in text:
            words = word_counts(values)
            edges = np.unique(np.quantile(words, np.linspace(0, 1, DRIFT_BINS + 1)[1:-1]))
            reference[str(name)] = {
                "kind": "text",
                "edges": edges.tolist(),
                "shares": binned_shares(words, edges),
                "typical": None,
            }
            continue
        present = values.dropna()
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric and present.nunique() > DRIFT_BINS:
            edges = np.unique(np.quantile(present, np.linspace(0, 1, DRIFT_BINS + 1)[1:-1]))
            reference[str(name)] = {
                "kind": "numeric",
                "edges": edges.tolist(),
                "shares": binned_shares(values, edges),
                "typical": float(present.median()) if len(present) else None,
            }
            continue
        shares = value_shares(values)
        typical = next(iter(shares)) if len(present) else None  # the most frequent value
        if numeric and typical is not None:
            typical = float(present.median())
        reference[str(name)] = {"kind": "categorical", "shares": shares, "typical": typical}
    return reference


def word_counts(values: pd.Series) -> pd.Series:
    """The number of words of each text (missing texts stay missing)."""
    return values.astype("string").str.count(r"\S+").astype("Float64")


def binned_shares(values: pd.Series, edges) -> list[float]:
    """The share of ``values`` in each bin between ``edges``, then the share missing.

    The same binning serves the training reference and a batch checked for drift.

    Examples
    --------
    >>> binned_shares(pd.Series([1.0, 5.0, 9.0, None]), [4.0])
    [0.25, 0.5, 0.25]
    """
    numbers = pd.to_numeric(values, errors="coerce")
    bins = np.searchsorted(np.asarray(edges), numbers.dropna().to_numpy(), side="right")
    counts = np.bincount(bins, minlength=len(edges) + 1)
    return [*(counts / len(values)).tolist(), float(numbers.isna().mean())]


def value_shares(values: pd.Series) -> dict[str, float]:
    """The share of each value (as text), most frequent first, then ``null`` if any.

    Examples
    --------
    >>> value_shares(pd.Series(["A", "B", "A", None]))
    {'A': 0.5, 'B': 0.25, 'null': 0.25}
    """
    counts = values.dropna().astype(str).value_counts()
    shares = {str(k): float(v / len(values)) for k, v in counts.items()}
    missing = float(values.isna().mean())
    if missing:
        shares["null"] = missing
    return shares


def background_keys(X: pd.DataFrame, seed: int, keys: list[str] | None) -> list[str]:
    """The key digests of :func:`background_of`'s rows, so that a person can be forgotten."""
    if keys is None:
        return []
    rows = X.sample(min(BACKGROUND_ROWS, len(X)), random_state=seed)
    return [keys[position] for position in X.index.get_indexer(rows.index)]


def background_of(X: pd.DataFrame, seed: int, text=()) -> list[dict]:
    """A seeded sample of at most ``BACKGROUND_ROWS`` training rows, as JSON records.

    Free-text columns (``text``) are shown with the names of persons, addresses and
    long numbers in them hidden: the sample is the API's documented example.
    """
    rows = X.sample(min(BACKGROUND_ROWS, len(X)), random_state=seed)
    if text:
        from atelier.personal import redact

        rows = rows.copy()
        for column in text:
            rows[column] = redact(rows[column].fillna("").astype(str).tolist())
    return [
        {str(k): json_value(v) for k, v in record.items()}
        for record in rows.astype(object).to_dict("records")
    ]
