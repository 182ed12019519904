"""Reweighting (Kamiran & Calders, 2012) measured against the same model without it.

Each training row gets the weight ``P(group) P(outcome) / P(group, outcome)``, so that
in the weighted rows the outcome no longer depends on the group. The effect is
measured on one model family, trained twice on the same rows with the same seed,
once unweighted and once weighted: scikit-learn's histogram gradient boosting on the
champion's cleaned features. Each gets the threshold the business costs choose on
its out-of-fold predictions; both are scored on the hold-out, so the difference is
the mitigation's, in fairness and in money.
"""

import numpy as np
import pandas as pd

from atelier.fairness._audit import group_metrics
from atelier.learn._thresholds import at, best_threshold, threshold_table

SEED = 0


def reweighing_weights(y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """``P(g) P(y) / P(g, y)`` for each row: outcome and group independent once weighted."""
    frame = pd.DataFrame({"g": groups, "y": y})
    p_group = frame["g"].map(frame["g"].value_counts(normalize=True))
    p_outcome = frame["y"].map(frame["y"].value_counts(normalize=True))
    p_joint = frame.groupby(["g", "y"])["y"].transform("size") / len(frame)
    return (p_group * p_outcome / p_joint).to_numpy()


def compare_reweighting(
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    groups_train: np.ndarray,
    X_test: pd.DataFrame,
    y_test: np.ndarray,
    groups_test: pd.Series,
    unit_costs: dict,
) -> dict:
    """The unweighted and the reweighted model on the hold-out: ROC AUC, cost, gaps.

    Parameters
    ----------
    X_train, X_test : DataFrame
        The cleaned features (text columns are encoded here).
    y_train, y_test : array of {0, 1}
    groups_train : array
        The sensitive attribute of the training rows.
    groups_test : Series
    unit_costs : dict
        ``tp``, ``fp``, ``fn``, ``tn``: what each outcome costs.

    Returns
    -------
    dict
        ``before`` and ``after``, each with ``roc_auc``, ``threshold``,
        ``cost_per_1000``, ``demographic_parity_ratio``, ``equalized_odds_difference``.
    """
    from sklearn.metrics import roc_auc_score

    weights = reweighing_weights(y_train, groups_train)
    outcome = {}
    for name, sample_weight in (("before", None), ("after", weights)):
        model, out_of_fold = _fit(X_train, y_train, sample_weight)
        threshold = best_threshold(threshold_table(y_train == 1, out_of_fold, unit_costs))
        scores = model.predict_proba(X_test)[:, 1]
        table = threshold_table(y_test == 1, scores, unit_costs)
        decided = (scores >= threshold).astype(int)
        gaps = group_metrics(y_test, decided, groups_test)
        outcome[name] = {
            "roc_auc": float(roc_auc_score(y_test, scores)),
            "threshold": float(threshold),
            "cost_per_1000": float(at(table, threshold)["cost_per_1000"]),
            "demographic_parity_ratio": gaps["demographic_parity_ratio"],
            "equalized_odds_difference": gaps["equalized_odds_difference"],
        }
    return outcome


def _fit(X, y, sample_weight):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    model = HistGradientBoostingClassifier(
        categorical_features="from_dtype", random_state=SEED, max_iter=200
    )
    encoded = _categories(X)
    folds = StratifiedKFold(3, shuffle=True, random_state=SEED)
    params = {} if sample_weight is None else {"sample_weight": sample_weight}
    out_of_fold = cross_val_predict(
        model, encoded, y, cv=folds, method="predict_proba", params=params
    )[:, 1]
    return _Encoded(model.fit(encoded, y, **params), encoded.dtypes.to_dict()), out_of_fold


MAX_CATEGORIES = 255  # the most the model reads natively; rarer values become missing


def _categories(X: pd.DataFrame) -> pd.DataFrame:
    """Text and boolean columns as pandas categories, which the model reads natively."""
    encoded = X.copy()
    for column in encoded.columns:
        if not pd.api.types.is_numeric_dtype(encoded[column]) or encoded[column].dtype == bool:
            text = _text(encoded[column])
            frequent = text.value_counts().index[:MAX_CATEGORIES]
            encoded[column] = pd.Categorical(text.where(text.isin(frequent), np.nan))
    return encoded


def _text(values: pd.Series) -> pd.Series:
    """Values as Python strings, missing ones as NaN (what scikit-learn's encoders take)."""
    return values.astype("string").astype(object).where(values.notna(), np.nan)


class _Encoded:
    """The fitted model, reading a frame as it was encoded for training."""

    def __init__(self, model, dtypes: dict):
        self.model, self.dtypes = model, dtypes

    def predict_proba(self, X):
        encoded = _categories(X)
        for column, dtype in self.dtypes.items():
            if isinstance(dtype, pd.CategoricalDtype):  # unseen categories become missing
                text = _text(X[column])
                known = text.where(text.isin(dtype.categories), np.nan)
                encoded[column] = pd.Categorical(known, dtype=dtype)
        return self.model.predict_proba(encoded)
