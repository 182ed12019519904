"""One column at a time: summary statistics and a normality test chosen by sample size."""

import numpy as np
import pandas as pd
from scipy import stats

SHAPIRO_MAX_N = 5_000
ALPHA = 0.05


def normality(values: np.ndarray) -> dict:
    """Test whether ``values`` could come from a normal distribution.

    Shapiro-Wilk up to 5,000 values, where it is the most powerful test and its
    p-value is accurate; D'Agostino-Pearson's K² beyond, from skewness and kurtosis.
    """
    values = values[np.isfinite(values)]
    if len(values) < 8 or np.ptp(values) == 0:
        return {
            "test": None,
            "statistic": None,
            "p_value": None,
            "normal": False,
            "why": "too few distinct values to test",
        }
    if len(values) <= SHAPIRO_MAX_N:
        result = stats.shapiro(values)
        test, why = "Shapiro-Wilk", f"n = {len(values):,} <= {SHAPIRO_MAX_N:,}"
    else:
        result = stats.normaltest(values)
        test, why = "D'Agostino-Pearson K²", f"n = {len(values):,} > {SHAPIRO_MAX_N:,}"
    return {
        "test": test,
        "statistic": float(result.statistic),
        "p_value": float(result.pvalue),
        "normal": bool(result.pvalue > ALPHA),
        "why": why,
    }


def summarise_numeric(series: pd.Series) -> dict:
    """Count, mean, standard deviation, quartiles, skewness, kurtosis and normality."""
    values = series.dropna().to_numpy(dtype=float)
    first, median, third = np.percentile(values, [25, 50, 75]) if len(values) else (None,) * 3
    return {
        "column": series.name,
        "kind": "numeric",
        "n": len(values),
        "mean": float(values.mean()) if len(values) else None,
        "std": float(values.std(ddof=1)) if len(values) > 1 else None,
        "median": None if median is None else float(median),
        "iqr": None if first is None else float(third - first),
        "skewness": float(stats.skew(values, bias=False)) if len(values) > 2 else None,
        "kurtosis": float(stats.kurtosis(values, bias=False)) if len(values) > 3 else None,
        "normality": normality(values),
    }


def summarise_categorical(series: pd.Series) -> dict:
    """Counts and shares of each category, most frequent first."""
    counts = series.value_counts(dropna=True)
    total = int(counts.sum())
    return {
        "column": series.name,
        "kind": "categorical",
        "n": total,
        "categories": [
            {"value": str(value), "count": int(count), "share": count / total}
            for value, count in counts.items()
        ],
    }
