"""Single values as the rest of atelier needs them: missing or not, and as JSON holds them."""

import math

import numpy as np
import pandas as pd


def is_missing(value) -> bool:
    """Whether one value stands for a missing one: None, NaN, ``pd.NA`` or ``pd.NaT``.

    Examples
    --------
    >>> [is_missing(v) for v in (None, float("nan"), pd.NA, pd.NaT, 0, "")]
    [True, True, True, True, False, False]
    """
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and math.isnan(value))
    )


def json_value(value):
    """One value as JSON holds it: None when missing, ISO text for a timestamp.

    Numpy scalars become Python's.

    Examples
    --------
    >>> json_value(np.int64(3)), json_value(np.nan), json_value(pd.Timestamp("2026-01-02"))
    (3, None, '2026-01-02T00:00:00')
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value.item() if isinstance(value, np.generic) else value
