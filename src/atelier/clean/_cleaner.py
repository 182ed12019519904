"""The fitted part of cleaning, as a scikit-learn transformer the model pipeline reuses."""

from collections import Counter
from numbers import Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from atelier.quality._value_findings import normalised_spelling

FAR_OUT = 3.0
_STEP_ORDER = (
    "drop_column",
    "to_missing",
    "placeholder_to_missing",
    "to_numeric",
    "unify_spellings",
    "cap_outliers",
    "impute",
)


class Cleaner(TransformerMixin, BaseEstimator):
    """Clean a DataFrame's values the same way at training and at prediction time.

    The steps run in this order: drop columns, turn missing-value tokens and numeric
    placeholders into missing values, convert to numbers, unify spellings, cap
    outliers, impute. What is learned from the training data (the spelling of each
    category, the caps, the imputation values) is kept, so that a record scored
    later is cleaned exactly like the data the model learned from.

    Parameters
    ----------
    drop_columns : list of str, default=None
        Columns removed (identifiers, leaks, personal data).
    missing_values : dict of str to list of str, default=None
        Text values that stand for a missing value, per column; compared trimmed
        and case-insensitively.
    placeholders : dict of str to list of float, default=None
        Numbers that stand for a missing value (``-999``), per column.
    to_numeric : list of str, default=None
        Text columns converted to numbers; what is not a number becomes missing.
    unify_spellings : list of str, default=None
        Columns whose spellings of a category (case, accents, spaces) are mapped to
        the most frequent spelling seen in training.
    cap_outliers : dict of str to "tukey" or (float, float), default=None
        Bounds each numeric column is clipped to: fixed, or Tukey's far-out fences
        (Q1 - 3 IQR, Q3 + 3 IQR) learned in training.
    impute : dict of str to {"median", "mean", "most_frequent"} or a value, default=None
        How each column's missing values are filled.

    Attributes
    ----------
    spelling_maps_ : dict of str to dict
        Per column, each spelling seen in training and the spelling it becomes.
    caps_ : dict of str to (float, float)
        The bounds each column is clipped to.
    impute_values_ : dict
        The value each column's missing values become.
    feature_names_in_ : ndarray of str
        Columns seen in ``fit``.

    Examples
    --------
    >>> import pandas as pd
    >>> from atelier.clean import Cleaner
    >>> X = pd.DataFrame(
    ...     {"method": ["Card", "card ", "CARD", "Cash"], "fee": [1.0, None, 3.0, 5.0]}
    ... )
    >>> Cleaner(unify_spellings=["method"], impute={"fee": "median"}).fit_transform(X)
      method  fee
    0   Card  1.0
    1   Card  3.0
    2   Card  3.0
    3   Cash  5.0
    """

    _parameter_constraints: dict = {  # noqa: RUF012 -- scikit-learn's own convention
        "drop_columns": [list, None],
        "missing_values": [dict, None],
        "placeholders": [dict, None],
        "to_numeric": [list, None],
        "unify_spellings": [list, None],
        "cap_outliers": [dict, None],
        "impute": [dict, None],
    }
    _IMPUTE_STRATEGIES = StrOptions({"median", "mean", "most_frequent"})

    def __init__(
        self,
        drop_columns=None,
        missing_values=None,
        placeholders=None,
        to_numeric=None,
        unify_spellings=None,
        cap_outliers=None,
        impute=None,
    ):
        self.drop_columns = drop_columns
        self.missing_values = missing_values
        self.placeholders = placeholders
        self.to_numeric = to_numeric
        self.unify_spellings = unify_spellings
        self.cap_outliers = cap_outliers
        self.impute = impute

    def fit(self, X: pd.DataFrame, y=None) -> "Cleaner":
        """Learn spellings, caps and imputation values from ``X``.

        Parameters
        ----------
        X : pandas.DataFrame
            Training data.
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        X = self._check_frame(X, fitting=True)
        self.spelling_maps_ = {}
        self.caps_ = {}
        self.impute_values_ = {}
        frame = self._remove_missing_markers(X.drop(columns=self._dropped(X)))
        for column in self.unify_spellings or []:
            self.spelling_maps_[column] = _spelling_map(frame[column])
            frame[column] = frame[column].map(lambda v, c=column: self._spell(c, v))
        for column, bounds in (self.cap_outliers or {}).items():
            self.caps_[column] = (
                _tukey_fences(frame[column]) if bounds == "tukey" else tuple(bounds)
            )
            frame[column] = frame[column].clip(*self.caps_[column])
        for column, strategy in (self.impute or {}).items():
            self.impute_values_[column] = _imputation_value(frame[column], strategy, column)
        return self

    def restricted_to(self, columns) -> "Cleaner":
        """An unfitted Cleaner that does only what this one does to ``columns``.

        Parameters
        ----------
        columns : iterable of str
            The columns to keep steps for; every other column passes through.

        Returns
        -------
        Cleaner
            A new, unfitted Cleaner with the same kind of parameters.
        """
        keep = set(columns)
        params = {}
        for name, value in self.get_params(deep=False).items():
            if isinstance(value, dict):
                value = {k: v for k, v in value.items() if k in keep} or None
            elif isinstance(value, list | tuple):
                value = [v for v in value if v in keep] or None
            params[name] = value
        return type(self)(**params)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Clean ``X`` with what ``fit`` learned.

        Parameters
        ----------
        X : pandas.DataFrame

        Returns
        -------
        pandas.DataFrame
            A cleaned copy.
        """
        check_is_fitted(self, "impute_values_")
        return self._apply(self._check_frame(X, fitting=False), log=None)

    def explain(self, X: pd.DataFrame) -> list[dict]:
        """Clean ``X`` step by step and say what each step changed.

        Returns
        -------
        list of dict
            One entry per step and column: ``action``, ``column``, ``rows`` changed,
            and a summary of the values ``before`` and ``after``.
        """
        check_is_fitted(self, "impute_values_")
        log: list[dict] = []
        self._apply(self._check_frame(X, fitting=False), log=log)
        return log

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the columns ``transform`` returns."""
        check_is_fitted(self, "impute_values_")
        dropped = set(self.drop_columns or [])
        return np.array(
            [name for name in self.feature_names_in_ if name not in dropped], dtype=object
        )

    def _check_frame(self, X, *, fitting: bool) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"Cleaner works on a pandas DataFrame, got {type(X).__name__}")
        named = [
            *(self.missing_values or {}),
            *(self.placeholders or {}),
            *(self.to_numeric or []),
            *(self.unify_spellings or []),
            *(self.cap_outliers or {}),
            *(self.impute or {}),
        ]
        absent = sorted({name for name in named if name not in X.columns})
        if absent:
            raise ValueError(f"Cleaner: column(s) {absent} are not in the data")
        if fitting:
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            self.n_features_in_ = X.shape[1]
        return X.copy()

    def _dropped(self, X: pd.DataFrame) -> list[str]:
        return [name for name in self.drop_columns or [] if name in X.columns]

    def _remove_missing_markers(self, frame: pd.DataFrame) -> pd.DataFrame:
        for column, tokens in (self.missing_values or {}).items():
            frame[column] = _tokens_to_missing(frame[column], tokens)
        for column, values in (self.placeholders or {}).items():
            frame[column] = frame[column].mask(frame[column].isin(values))
        for column in self.to_numeric or []:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
        return frame

    def _unify(self, column: str, values: pd.Series) -> pd.Series:
        # Each distinct value is looked up once; the column keeps its type.
        spelled = {v: self._spell(column, v) for v in values.unique() if isinstance(v, str)}
        if all(k == v for k, v in spelled.items()):
            return values
        return values.map(spelled).astype(values.dtype)

    def _spell(self, column: str, value):
        if not isinstance(value, str):
            return value
        known = self.spelling_maps_[column]
        if value in known:
            return known[value]
        # A spelling never seen in training still maps if its normalised form is known.
        by_form = {normalised_spelling(k): v for k, v in known.items()}
        return by_form.get(normalised_spelling(value), value)

    def _apply(self, frame: pd.DataFrame, log: list | None) -> pd.DataFrame:
        def record(action, column, before, after):
            if log is not None:
                log.append(_describe_change(action, column, before, after))

        dropped = self._dropped(frame)
        for column in dropped:
            record("drop_column", column, frame[column], None)
        if dropped:
            frame = frame.drop(columns=dropped)
        steps = [
            (
                "to_missing",
                self.missing_values or {},
                lambda c, s: _tokens_to_missing(s, self.missing_values[c]),
            ),
            (
                "placeholder_to_missing",
                self.placeholders or {},
                lambda c, s: s.mask(s.isin(self.placeholders[c])),
            ),
            ("to_numeric", self.to_numeric or [], lambda c, s: pd.to_numeric(s, errors="coerce")),
            (
                "unify_spellings",
                self.spelling_maps_,
                self._unify,
            ),
            ("cap_outliers", self.caps_, lambda c, s: s.clip(*self.caps_[c])),
            ("impute", self.impute_values_, lambda c, s: s.fillna(self.impute_values_[c])),
        ]
        for action, columns, change in steps:
            for column in columns:
                before = frame[column]
                frame[column] = change(column, before)
                record(action, column, before, frame[column])
        return frame

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags


def _tokens_to_missing(series: pd.Series, tokens: list[str]) -> pd.Series:
    lowered = {str(token).strip().lower() for token in tokens}
    as_text = series.astype("string").str.strip().str.lower()
    return series.mask(as_text.isin(lowered).fillna(False).astype(bool))


def _spelling_map(series: pd.Series) -> dict[str, str]:
    counts = Counter(value for value in series.dropna() if isinstance(value, str))
    # The most frequent spelling wins; on a tie, a tidy one (trimmed, single spaces);
    # then the first seen.
    canonical: dict[str, tuple[tuple[int, bool], str]] = {}
    for value, count in counts.items():
        form = normalised_spelling(value)
        rank = (count, value == " ".join(value.split()))
        if form not in canonical or rank > canonical[form][0]:
            canonical[form] = (rank, value)
    return {value: canonical[normalised_spelling(value)][1] for value in counts}


def _tukey_fences(series: pd.Series) -> tuple[float, float]:
    first, third = np.nanquantile(series.astype(float), [0.25, 0.75])
    spread = third - first
    return (float(first - FAR_OUT * spread), float(third + FAR_OUT * spread))


def _imputation_value(series: pd.Series, strategy, column: str):
    if strategy == "median":
        return float(series.median())
    if strategy == "mean":
        return float(series.mean())
    if strategy == "most_frequent":
        mode = series.mode(dropna=True)
        if mode.empty:
            raise ValueError(f"Cleaner: column {column!r} has no value to impute with")
        return mode.iloc[0].item() if hasattr(mode.iloc[0], "item") else mode.iloc[0]
    if isinstance(strategy, Real | str):
        return strategy
    raise ValueError(
        f"Cleaner: impute strategy for {column!r} must be median, mean, "
        f"most_frequent or a value; got {strategy!r}"
    )


def _summary(series: pd.Series) -> dict:
    if pd.api.types.is_numeric_dtype(series):
        finite = series.dropna()
        return {
            "missing": int(series.isna().sum()),
            "min": None if finite.empty else float(finite.min()),
            "max": None if finite.empty else float(finite.max()),
        }
    counts = series.value_counts(dropna=True).head(5)
    return {
        "missing": int(series.isna().sum()),
        "distinct": int(series.nunique()),
        "top": {str(k): int(v) for k, v in counts.items()},
    }


def _describe_change(action: str, column: str, before: pd.Series, after) -> dict:
    if after is None:
        # A dropped column is often personal data: say how much went, never what.
        counts_only = {"missing": int(before.isna().sum()), "distinct": int(before.nunique())}
        return {
            "action": action,
            "column": column,
            "rows": len(before),
            "before": counts_only,
            "after": None,
        }
    if action == "to_numeric":  # every value changes type; what matters is what was lost
        same = before.isna() | after.notna()
    else:
        same = (before.astype(object) == after.astype(object)) | (before.isna() & after.isna())
    return {
        "action": action,
        "column": column,
        "rows": int((~same).sum()),
        "before": _summary(before),
        "after": _summary(after),
    }
