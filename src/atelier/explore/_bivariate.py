"""Each feature against the target: the test its assumptions allow, and an effect size.

| feature | target | test (assumptions met) | otherwise | effect size |
|---|---|---|---|---|
| numeric | 2 classes | Welch's t-test (groups normal) | Mann-Whitney U | Cohen's d |
| numeric | 3+ classes | one-way ANOVA (each group normal) | Kruskal-Wallis H | eta squared |
| category | classes | chi-square test of independence | (flagged: expected < 5) | Cramér's V |
| numeric | numeric | Pearson r (both normal) and Spearman rho | | r, rho, 95% CI |
| category | numeric | one-way ANOVA (each group normal) | Kruskal-Wallis H | eta squared |

p-values are corrected for testing many features with Benjamini-Hochberg.
"""

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats.contingency import association
from statsmodels.stats.multitest import multipletests

from atelier.explore._univariate import normality

ALPHA = 0.05


def cohens_d(first: np.ndarray, second: np.ndarray) -> float:
    """Difference of means over the pooled standard deviation."""
    n1, n2 = len(first), len(second)
    pooled = ((n1 - 1) * first.var(ddof=1) + (n2 - 1) * second.var(ddof=1)) / (n1 + n2 - 2)
    return float((first.mean() - second.mean()) / np.sqrt(pooled))


def eta_squared(values: np.ndarray, groups: np.ndarray) -> float:
    """Share of the variance of ``values`` explained by ``groups``: SS between / SS total."""
    grand = values.mean()
    between = sum(len(v) * (v.mean() - grand) ** 2 for v in _split(values, groups))
    total = ((values - grand) ** 2).sum()
    return float(between / total) if total else 0.0


def _split(values: np.ndarray, groups: np.ndarray) -> list[np.ndarray]:
    return [values[groups == level] for level in pd.unique(groups)]


def fisher_interval(r: float, n: int, *, spearman: bool = False) -> tuple[float, float]:
    """95% confidence interval of a correlation by Fisher's z transform.

    For Spearman's rho the standard error is Bonett and Wright's sqrt((1 + rho²/2)/(n - 3)).
    """
    if n <= 3 or abs(r) >= 1:
        return (float(r), float(r))
    se = np.sqrt((1 + r * r / 2) / (n - 3)) if spearman else 1 / np.sqrt(n - 3)
    z, half = np.arctanh(r), stats.norm.ppf(0.975) * se
    return (float(np.tanh(z - half)), float(np.tanh(z + half)))


def against_target(
    frame: pd.DataFrame, feature: str, kind: str, target: str, target_kind: str
) -> dict:
    """Test one feature against the target; say which test and why."""
    data = frame[[feature, target]].dropna()
    x, y = data[feature], data[target]
    if kind == "numeric" and target_kind in {"binary", "multiclass"}:
        return _numeric_by_groups(x.to_numpy(float), y.to_numpy(), feature)
    if kind == "categorical" and target_kind in {"binary", "multiclass"}:
        return _chi_square(x, y, feature)
    if kind == "numeric" and target_kind == "numeric":
        return _correlation(x.to_numpy(float), y.to_numpy(float), feature)
    return _numeric_by_groups(y.to_numpy(float), x.to_numpy(), feature)


def _numeric_by_groups(values: np.ndarray, groups: np.ndarray, feature: str) -> dict:
    parts = [part for part in _split(values, groups) if len(part) > 1]
    if len(parts) < 2:
        return _untestable(feature, "fewer than two groups with data")
    all_normal = all(normality(part)["normal"] for part in parts)
    if len(parts) == 2:
        if all_normal:
            result = stats.ttest_ind(*parts, equal_var=False)
            test, why = "Welch's t-test", "both groups look normal; variances may differ"
        else:
            result = stats.mannwhitneyu(*parts, alternative="two-sided")
            test, why = (
                "Mann-Whitney U",
                "a group is not normal: a rank test assumes nothing of its shape",
            )
        effect, name = cohens_d(*parts), "Cohen's d"
    else:
        if all_normal:
            result = stats.f_oneway(*parts)
            test, why = "one-way ANOVA", "every group looks normal"
        else:
            result = stats.kruskal(*parts)
            test, why = (
                "Kruskal-Wallis H",
                "a group is not normal: a rank test assumes nothing of its shape",
            )
        effect, name = eta_squared(values, groups), "eta squared"
    return {
        "feature": feature,
        "test": test,
        "why": why,
        "statistic": float(result.statistic),
        "p_value": float(result.pvalue),
        "effect_size": effect,
        "effect_name": name,
        "n": len(values),
    }


def _chi_square(x: pd.Series, y: pd.Series, feature: str) -> dict:
    table = pd.crosstab(x, y)
    if min(table.shape) < 2:
        return _untestable(feature, "a single category")
    statistic, p_value, _, expected = stats.chi2_contingency(table, correction=False)
    small = float((expected < 5).mean())
    why = "both are categorical"
    if small > 0.2:
        why += f"; {small:.0%} of expected counts are under 5, so the p-value is approximate"
    return {
        "feature": feature,
        "test": "chi-square test of independence",
        "why": why,
        "statistic": float(statistic),
        "p_value": float(p_value),
        "effect_size": float(association(table.to_numpy(), method="cramer")),
        "effect_name": "Cramér's V",
        "n": int(table.to_numpy().sum()),
    }


def _correlation(x: np.ndarray, y: np.ndarray, feature: str) -> dict:
    pearson = stats.pearsonr(x, y)
    spearman = stats.spearmanr(x, y)
    both_normal = normality(x)["normal"] and normality(y)["normal"]
    low, high = pearson.confidence_interval(0.95)
    rho = float(spearman.statistic)
    return {
        "feature": feature,
        "test": "Pearson r" if both_normal else "Spearman rho",
        "why": "both look normal: Pearson is the most powerful"
        if both_normal
        else "not both normal: Spearman's rank correlation assumes only a monotonic relation",
        "statistic": float(pearson.statistic) if both_normal else rho,
        "p_value": float(pearson.pvalue) if both_normal else float(spearman.pvalue),
        "effect_size": float(pearson.statistic) if both_normal else rho,
        "effect_name": "Pearson r" if both_normal else "Spearman rho",
        "pearson": {
            "r": float(pearson.statistic),
            "p_value": float(pearson.pvalue),
            "ci95": [float(low), float(high)],
        },
        "spearman": {
            "rho": rho,
            "p_value": float(spearman.pvalue),
            "ci95": list(fisher_interval(rho, len(x), spearman=True)),
        },
        "n": len(x),
    }


def _untestable(feature: str, why: str) -> dict:
    return {
        "feature": feature,
        "test": None,
        "why": why,
        "statistic": None,
        "p_value": None,
        "effect_size": None,
        "effect_name": None,
        "n": 0,
    }


def all_against_target(
    frame: pd.DataFrame, numeric: list[str], categorical: list[str], target: str, target_kind: str
) -> list[dict]:
    """Every feature against the target, with Benjamini-Hochberg adjusted p-values."""
    results = [against_target(frame, f, "numeric", target, target_kind) for f in numeric]
    results += [against_target(frame, f, "categorical", target, target_kind) for f in categorical]
    tested = [r for r in results if r["p_value"] is not None]
    if tested:
        reject, adjusted, _, _ = multipletests(
            [r["p_value"] for r in tested], alpha=ALPHA, method="fdr_bh"
        )
        for result, p_adjusted, significant in zip(tested, adjusted, reject, strict=True):
            result["p_adjusted"] = float(p_adjusted)
            result["significant"] = bool(significant)
    return sorted(results, key=lambda r: (r.get("p_adjusted") is None, r.get("p_adjusted") or 1))
