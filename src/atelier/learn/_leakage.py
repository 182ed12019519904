"""Features that give the target away on their own, found before any model is fitted."""

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from atelier.learn._features import ColumnRoles
from atelier.learn._metrics import BINARY, REGRESSION

LEAK_SCORE = 0.995  # AUC, purity or |Spearman| at or above which a feature is a leak
MIN_PRESENT = 0.5  # a feature must be present in half the rows to count
MIN_ROWS = 200  # with fewer rows, a perfect separation happens by chance


def leaking_features(X: pd.DataFrame, y: np.ndarray, task: str, roles: ColumnRoles) -> dict:
    """Features that predict ``y`` almost perfectly by themselves, with the evidence.

    Numeric features: ROC AUC of the raw value (binary target) or absolute Spearman
    correlation (numeric target). Categorical features: the share of rows whose
    class is the majority class of their category, when that beats always
    predicting the overall majority class. Nothing is called a leak on fewer than
    ``MIN_ROWS`` rows, nor when every feature would be one.

    Returns
    -------
    dict of str to str
        Column name to a sentence saying why it is a leak.
    """
    leaks: dict[str, str] = {}
    if len(y) < MIN_ROWS:
        return leaks
    for column in roles.numeric:
        values = pd.to_numeric(X[column], errors="coerce").to_numpy(dtype=np.float64)
        present = ~np.isnan(values)
        if present.mean() < MIN_PRESENT or len(np.unique(y[present])) < 2:
            continue
        if task == BINARY:
            auc = roc_auc_score(y[present], values[present])
            strength = max(auc, 1 - auc)
            if strength >= LEAK_SCORE:
                leaks[column] = f"alone it separates the classes with ROC AUC {strength:.3f}"
        elif task == REGRESSION:
            rho = abs(spearmanr(values[present], y[present]).statistic)
            if rho >= LEAK_SCORE:
                leaks[column] = f"its rank correlation with the target is {rho:.3f}"
    if task != REGRESSION:
        leaks |= _leaking_categories(X, y, roles)
    if len(leaks) == len(roles.features):
        return {}  # every feature alone gives the target: an easy problem, not a leak
    return leaks


def _leaking_categories(X: pd.DataFrame, y: np.ndarray, roles: ColumnRoles) -> dict:
    leaks = {}
    majority_share = np.bincount(y).max() / len(y)
    for column in roles.categorical:
        values = X[column].astype(object).where(X[column].notna(), "__missing__")
        table = pd.crosstab(values, y)
        purity = table.max(axis=1).sum() / len(y)
        if purity >= LEAK_SCORE and purity > majority_share + 0.01:
            leaks[column] = (
                f"its {len(table)} values alone give the class of {purity:.1%} of the rows"
            )
    return leaks
