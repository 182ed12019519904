"""Which columns become features, of which kind, and how each model family encodes them.

The roles are decided once, on the training data, and written down with a reason
for every column left out: all missing, constant, identifier-like. Categories with
more than ``MAX_ONE_HOT`` values are target-encoded (cross-fitted, so that the
encoding does not leak the target into the fit).
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder
from sklearn.utils.validation import check_is_fitted

from atelier._values import is_missing

MAX_ONE_HOT = 50  # beyond this many categories, a column is target-encoded
MAX_ORDINAL = 250  # trees see at most this many categories (histogram bins are 255)
MAX_TARGET_ENCODED = 100_000  # categories kept for target encoding; the rest share -1
IDENTIFIER_MIN_ROWS = 50
SMALL_INPUT = 64  # rows; below this, categories are coded by dictionary look-ups
TEXT_MIN_WORDS = 4  # median words per value of a free-text column
# A category, or a column's missing values, seen in fewer training rows than this gets
# no feature of its own: a model could only memorise those few rows through it.
RARE_BELOW = 5


@dataclass
class ColumnRoles:
    """The role of every input column.

    Attributes
    ----------
    numeric, categorical, high_cardinality, dates, text : list of str
        Feature columns by kind; text is free text, read as TF-IDF of its words.
    dropped : dict of str to str
        Columns left out, and why.
    """

    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    high_cardinality: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        return self.numeric + self.dates + self.categorical + self.high_cardinality + self.text


def infer_roles(X: pd.DataFrame, text: tuple | list = ()) -> ColumnRoles:
    """Sort the columns of ``X`` into roles, leaving out those no model can use.

    Columns named in ``text``, and string columns whose values are mostly distinct
    runs of several words, are free text.
    """
    roles = ColumnRoles()
    rows = len(X)
    for column in X.columns:
        values = X[column]
        present = values.dropna()
        name = str(column)
        try:
            distinct = present.nunique()
        except TypeError:
            kind = type(present.iloc[0]).__name__
            raise TypeError(
                f"column {name!r}: argument must be a string or a number, not {kind!r}"
            ) from None
        if present.empty:
            roles.dropped[name] = "all values missing"
        elif name in text or _is_free_text(present, distinct):
            roles.text.append(name)
        elif distinct == 1:
            roles.dropped[name] = f"constant (always {present.iloc[0]!r})"
        elif pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            roles.numeric.append(name)
        elif pd.api.types.is_datetime64_any_dtype(values):
            roles.dates.append(name)
        elif _all_numbers(present):
            roles.numeric.append(name)
        elif rows >= IDENTIFIER_MIN_ROWS and distinct >= 0.95 * len(present):
            roles.dropped[name] = f"identifier-like ({distinct:,} distinct values in {rows:,} rows)"
        elif distinct > MAX_ONE_HOT:
            roles.high_cardinality.append(name)
        else:
            roles.categorical.append(name)
    return roles


class FrameCoercer(TransformerMixin, BaseEstimator):
    """Select the feature columns and give each the type its role needs.

    Numbers (and booleans) become floats, dates become days since 1970, and each
    category becomes its code among the categories seen in ``fit`` (most frequent
    first, at most ``MAX_ORDINAL`` for ordinary categorical columns), with -1 for a
    missing value or a category not seen in ``fit`` (or beyond the cap). Codes make
    every later encoder cheap: trees read them as they are, one-hot and target
    encoding work on small integers instead of strings. Column names, order and
    roles are those seen in ``fit``; a column missing at prediction time is an
    error that names it.

    Parameters
    ----------
    roles : ColumnRoles or None
        Roles to use; inferred from the data in ``fit`` when None.
    """

    def __init__(self, roles: ColumnRoles | None = None):
        self.roles = roles

    def fit(self, X, y=None):
        X = as_frame(X)
        self.roles_ = self.roles if self.roles is not None else infer_roles(X)
        self.categories_ = {}
        for column in self.roles_.categorical + self.roles_.high_cardinality:
            counts = X[column].astype("string").value_counts(dropna=True)
            cap = MAX_ORDINAL if column in self.roles_.categorical else MAX_TARGET_ENCODED
            self.categories_[column] = [str(v) for v in counts.index[:cap]]
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = as_frame(X)
        roles = self.roles_
        absent = [c for c in roles.features if c not in X.columns]
        if absent:
            raise ValueError(f"columns missing from the input: {absent}")
        out = np.empty((len(X), len(roles.features) - len(roles.text)), dtype="float64")
        position = {name: i for i, name in enumerate(roles.features)}
        for column in roles.numeric:
            values = X[column]
            if not pd.api.types.is_numeric_dtype(values.dtype):
                values = pd.to_numeric(values, errors="coerce")
            out[:, position[column]] = values.to_numpy(dtype="float64", na_value=np.nan)
        for column in roles.dates:
            dates = pd.to_datetime(X[column], errors="coerce")
            days = (dates - pd.Timestamp(0)).dt.total_seconds() / 86_400.0
            out[:, position[column]] = days.to_numpy(dtype="float64", na_value=np.nan)
        for column in roles.categorical + roles.high_cardinality:
            out[:, position[column]] = self._codes(column, X[column])
        # One float block: cheaper to build, and what every later step reads anyway.
        coded = [c for c in roles.features if c not in roles.text]
        frame = pd.DataFrame(out[:, : len(coded)], index=X.index, columns=coded)
        for column in roles.text:  # words stay words: the vectoriser reads them
            frame[column] = X[column].astype("string").fillna("").astype(object)
        return frame

    def _codes(self, column: str, values: pd.Series) -> np.ndarray:
        if len(values) <= SMALL_INPUT:
            # A few rows (a request being served): dictionary look-ups beat pandas'
            # vectorised path, whose fixed cost is paid per column.
            codes = self._lookup(column)
            return np.array(
                [
                    -1 if is_missing(v) else codes.get(v if isinstance(v, str) else str(v), -1)
                    for v in values.tolist()
                ],
                dtype="float64",
            )
        if values.dtype != "str":  # pandas' own text type: Arrow reads it without a copy
            values = values.astype("str")
        # Arrow's hash look-up, 5 times quicker than pandas' get_indexer on 1,000 rows
        codes = pc.index_in(pa.array(values), value_set=self._known(column))
        return pc.fill_null(codes, -1).to_numpy().astype("float64")

    def _lookup(self, column: str) -> dict:
        cache = self.__dict__.setdefault("_lookup_cache", {})
        if column not in cache:
            cache[column] = {v: i for i, v in enumerate(self.categories_[column])}
        return cache[column]

    def __getstate__(self):
        state = super().__getstate__()
        for cache in ("_known_cache", "_lookup_cache"):  # rebuilt on first use
            state.pop(cache, None)
        return state

    def _known(self, column: str) -> pa.Array:
        # The categories as Arrow's look-up reads them, built once per column
        cache = self.__dict__.setdefault("_known_cache", {})
        if column not in cache:
            cache[column] = pa.array(self.categories_[column], type=pa.large_string())
        return cache[column]

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        return np.asarray(self.roles_.features, dtype=object)


def _is_free_text(present: pd.Series, distinct: int) -> bool:
    """Mostly distinct values of several words each: reviews, messages, descriptions."""
    if not (pd.api.types.is_object_dtype(present) or pd.api.types.is_string_dtype(present)):
        return False
    if distinct < 0.5 * len(present) or len(present) < 20:
        return False
    words = present.astype("string").str.count(r"\S+")
    return bool(words.median() >= TEXT_MIN_WORDS)


def _all_numbers(present: pd.Series) -> bool:
    """Whether every value of a text or object column is a number (numbers stored as text)."""
    if not (pd.api.types.is_object_dtype(present) or pd.api.types.is_string_dtype(present)):
        return False
    return bool(pd.to_numeric(present, errors="coerce").notna().all())


def as_frame(X) -> pd.DataFrame:
    """``X`` as a DataFrame with string column names (``x0, x1, ...`` for arrays).

    Raises
    ------
    TypeError
        For sparse matrices.
    ValueError
        For arrays that are not 2-D, complex numbers, or no rows or columns.
    """
    from scipy import sparse

    if sparse.issparse(X):
        raise TypeError(
            "Sparse data was passed for X, but dense data is required. "
            "Use '.toarray()' to convert to a dense numpy array."
        )
    if isinstance(X, pd.DataFrame):
        frame = X.copy(deep=False)
        frame.columns = [str(c) for c in frame.columns]
    else:
        array = np.asarray(X)
        if array.ndim != 2:
            raise ValueError(
                f"Expected 2D array, got an array of shape {array.shape}. Reshape your data: "
                "X must be a table of features (rows x columns)"
            )
        if np.iscomplexobj(array):
            raise ValueError("Complex data not supported")
        frame = pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
    if frame.shape[1] == 0:
        raise ValueError(f"0 feature(s) (shape={frame.shape}) while a minimum of 1 is required.")
    if frame.shape[0] == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={frame.shape}) while a minimum of 1 is required."
        )
    return frame


def make_preprocessor(
    roles: ColumnRoles, *, encoding: str, impute: bool, scale: bool, random_state=None
) -> ColumnTransformer:
    """The column transformer of one model family.

    Parameters
    ----------
    roles : ColumnRoles
    encoding : {"onehot", "ordinal"}
        One-hot for linear and distance-based models, ordinal codes for trees.
    impute : bool
        Fill missing numbers with the median (for models that cannot take NaN).
    scale : bool
        Standardise numbers (for models sensitive to scale).
    random_state : int or None
        Seed of the target encoder's cross-fitting.

    Returns
    -------
    ColumnTransformer
        Numbers first, then categories, then target-encoded columns, in that order.
    """
    numeric_steps = []
    if impute:
        numeric_steps.append(
            FeatureUnion(
                [("median", SimpleImputer(strategy="median")), ("missing", MissingFlags())],
                verbose_feature_names_out=False,
            )
        )
    if scale:
        numeric_steps.append(StandardScaler())
    numeric = make_pipeline(*numeric_steps) if numeric_steps else "passthrough"
    # categories arrive as codes from FrameCoercer (-1: missing or unseen)
    if encoding == "onehot":
        categorical = OneHotEncoder(
            handle_unknown="infrequent_if_exist", min_frequency=RARE_BELOW, sparse_output=False
        )
    else:
        categorical = "passthrough"
    folds = KFold(n_splits=5, shuffle=True, random_state=random_state)  # cross-fitting
    high = Pipeline([("encode", TargetEncoder(cv=folds))])
    if scale:
        high.steps.append(("scale", StandardScaler()))
    transformers = [
        ("numeric", numeric, roles.numeric + roles.dates),
        ("categorical", categorical, roles.categorical),
        ("high_cardinality", high, roles.high_cardinality),
    ]
    # one vectoriser per text column (a column named alone: the vectoriser takes 1-D)
    transformers += [(f"text_{column}", text_vectoriser(), column) for column in roles.text]
    return ColumnTransformer(
        [(name, step, columns) for name, step, columns in transformers if len(columns)],
        remainder="drop",
        verbose_feature_names_out=False,
    )


def often_missing(missing: np.ndarray, min_rows: int = RARE_BELOW) -> np.ndarray:
    """Positions of the columns of a missing-value mask missing in ``min_rows`` rows or more.

    The columns that earn a missing-value flag, for every family that flags them.
    """
    return np.flatnonzero(missing.sum(axis=0) >= min_rows)


class MissingFlags(TransformerMixin, BaseEstimator):
    """One 0/1 column per input column missing in at least ``min_rows`` training rows.

    scikit-learn's ``MissingIndicator`` flags a column missing in a single row; a
    weakly regularised model then learns that row's class from its flag alone (on
    ``penguins``, the one training row with every measurement missing made the
    model sure that any such row was of that row's species).

    Parameters
    ----------
    min_rows : int, default=RARE_BELOW
        Fewer missing values than this in a column: no flag for it.
    """

    def __init__(self, min_rows: int = RARE_BELOW):
        self.min_rows = min_rows

    def fit(self, X, y=None):
        """Keep the columns with at least ``min_rows`` missing values."""
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        missing = np.isnan(np.asarray(X, dtype=np.float64))
        self.n_features_in_ = missing.shape[1]
        self.flagged_ = often_missing(missing, self.min_rows)
        return self

    def transform(self, X):
        """The flags of the kept columns, 1.0 where the value is missing."""
        check_is_fitted(self)
        values = np.asarray(X, dtype=np.float64)
        return np.isnan(values[:, self.flagged_]).astype(np.float64)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        names = getattr(self, "feature_names_in_", None)
        if input_features is not None:
            names = np.asarray(input_features, dtype=object)
        if names is None:
            names = np.asarray([f"x{i}" for i in range(self.n_features_in_)], dtype=object)
        return np.asarray([f"missing_{names[i]}" for i in self.flagged_], dtype=object)


def text_vectoriser():
    """TF-IDF of words and word pairs, the classical model's reading of free text.

    Sublinear term frequencies, accents stripped, words seen in at least two texts;
    the tokens are runs of letters, so that French elisions (``l'avion``) split.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        sublinear_tf=True,
        strip_accents="unicode",
        ngram_range=(1, 2),
        min_df=2,
        max_features=200_000,
        token_pattern=r"(?u)\b[^\W\d_]{2,}\b",
        dtype=np.float32,
    )


def categorical_positions(roles: ColumnRoles) -> list[int]:
    """Positions of the ordinal-coded categories in the preprocessor's output."""
    start = len(roles.numeric) + len(roles.dates)
    return list(range(start, start + len(roles.categorical)))
