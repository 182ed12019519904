"""Several columns at once: associations, collinearity, and crude against adjusted effects.

Confounding is flagged by the change-in-estimate criterion: a feature whose effect on
the target changes by more than 10% once the other features are accounted for.
"""

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.stats.contingency import association
from statsmodels.stats.outliers_influence import variance_inflation_factor

from atelier.explore._bivariate import eta_squared

CONFOUNDING_CHANGE = 0.10
ALPHA = 0.05
VIF_LIMIT = 5.0


def association_matrix(frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> dict:
    """Pairwise association on a 0-1 scale whatever the kinds of the two columns.

    |Pearson r| between numbers, Cramér's V between categories, and the correlation
    ratio eta (the square root of eta squared) between a number and a category.
    """
    columns = numeric + categorical
    matrix = np.eye(len(columns))
    for i, first in enumerate(columns):
        for j in range(i + 1, len(columns)):
            second = columns[j]
            pair = frame[[first, second]].dropna()
            matrix[i, j] = matrix[j, i] = _association(
                pair[first], pair[second], first in numeric, second in numeric
            )
    return {
        "columns": columns,
        "matrix": matrix.round(6).tolist(),
        "method": "|Pearson r| (numbers), Cramér's V (categories), eta (mixed)",
    }


def _association(
    first: pd.Series, second: pd.Series, first_numeric: bool, second_numeric: bool
) -> float:
    if len(first) < 3:
        return float("nan")
    if first_numeric and second_numeric:
        return float(abs(np.corrcoef(first.astype(float), second.astype(float))[0, 1]))
    if not first_numeric and not second_numeric:
        table = pd.crosstab(first, second).to_numpy()
        return float(association(table, method="cramer")) if min(table.shape) > 1 else 0.0
    values, groups = (first, second) if first_numeric else (second, first)
    return float(np.sqrt(eta_squared(values.to_numpy(float), groups.to_numpy())))


def variance_inflation(frame: pd.DataFrame, numeric: list[str]) -> list[dict]:
    """Variance inflation factor of each numeric feature (intercept included)."""
    data = frame[numeric].dropna().astype(float)
    if len(numeric) < 2 or len(data) <= len(numeric) + 1:
        return []
    design = sm.add_constant(data.to_numpy(), has_constant="add")
    factors = [float(variance_inflation_factor(design, i + 1)) for i in range(len(numeric))]
    return [
        {"feature": name, "vif": vif, "collinear": vif > VIF_LIMIT}
        for name, vif in zip(numeric, factors, strict=True)
    ]


def design_matrix(frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> pd.DataFrame:
    """Numbers as they are; each category as indicators against its most frequent value."""
    parts = [frame[numeric].astype(float)]
    for column in categorical:
        reference = frame[column].value_counts().index[0]
        dummies = pd.get_dummies(frame[column], prefix=column, prefix_sep="=", dtype=float)
        parts.append(dummies.drop(columns=f"{column}={reference}"))
    return pd.concat(parts, axis=1)


def independent_columns(design: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Columns kept, in order, while each adds rank; and those that are combinations."""
    kept, redundant = [], []
    matrix = np.empty((len(design), 0))
    for column in design.columns:
        candidate = np.column_stack([matrix, design[column].to_numpy()])
        if (
            np.linalg.matrix_rank(np.column_stack([np.ones(len(design)), candidate]))
            > matrix.shape[1] + 1
        ):
            kept.append(column)
            matrix = candidate
        else:
            redundant.append(column)
    return kept, redundant


def crude_and_adjusted(
    frame: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    target: str,
    target_kind: str,
    positive_class=None,
) -> dict:
    """Each feature's effect alone (crude) and with all others (adjusted).

    Logistic regression (odds ratios) for a binary target, ordinary least squares
    for a numeric one. Indicator columns that are exact combinations of others are
    left out of the adjusted model and listed.
    """
    if target_kind not in {"binary", "numeric"}:
        return {
            "model": None,
            "why": "a multivariable model is fitted for binary or numeric targets",
        }
    data = frame[[*numeric, *categorical, target]].dropna()
    design = design_matrix(data, numeric, categorical)
    kept, redundant = independent_columns(design)
    if target_kind == "binary":
        positive = (
            positive_class if positive_class in set(data[target]) else sorted(set(data[target]))[-1]
        )
        outcome = (data[target] == positive).astype(float).to_numpy()
    else:
        outcome = data[target].astype(float).to_numpy()

    def fit(columns: list[str]):
        exog = sm.add_constant(design[columns].to_numpy(), has_constant="add")
        model = sm.Logit(outcome, exog) if target_kind == "binary" else sm.OLS(outcome, exog)
        return model.fit(disp=0) if target_kind == "binary" else model.fit()

    adjusted = fit(kept)
    effects = []
    for index, column in enumerate(kept):
        crude = fit([column])
        crude_coefficient, crude_p_value = float(crude.params[1]), float(crude.pvalues[1])
        adjusted_coefficient = float(adjusted.params[index + 1])
        change = abs(adjusted_coefficient - crude_coefficient) / max(abs(crude_coefficient), 1e-12)
        effects.append(
            {
                "term": column,
                "crude": crude_coefficient,
                "adjusted": adjusted_coefficient,
                "adjusted_p_value": float(adjusted.pvalues[index + 1]),
                "crude_odds_ratio": float(np.exp(crude_coefficient))
                if target_kind == "binary"
                else None,
                "adjusted_odds_ratio": float(np.exp(adjusted_coefficient))
                if target_kind == "binary"
                else None,
                "relative_change": float(change),
                "crude_p_value": crude_p_value,
                "confounded": bool(change > CONFOUNDING_CHANGE and crude_p_value < ALPHA),
            }
        )
    return {
        "model": "logistic regression" if target_kind == "binary" else "ordinary least squares",
        "why": "binary target: effects as log-odds (odds ratios)"
        if target_kind == "binary"
        else "numeric target: effects in the target's units",
        "positive_class": positive if target_kind == "binary" else None,
        "n": len(data),
        "terms": effects,
        "redundant_terms": redundant,
        "criterion": f"confounding: a significant crude effect (p < {ALPHA}) that changes by "
        f"more than {CONFOUNDING_CHANGE:.0%} once adjusted (change-in-estimate)",
    }
