"""Every statistic the explore stage reports, against scipy and statsmodels on the same data."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from scipy.stats.contingency import association
from statsmodels.formula.api import ols
from statsmodels.stats.multitest import multipletests

from atelier.explore import cohens_d, eta_squared, fisher_interval
from atelier.explore._bivariate import against_target, all_against_target
from atelier.explore._multivariate import (
    association_matrix,
    crude_and_adjusted,
    independent_columns,
    variance_inflation,
)
from atelier.explore._reduction import principal_components, standardised_design
from atelier.explore._univariate import normality, summarise_numeric

TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 400
    group = rng.choice(["a", "b", "c"], n)
    confounder = rng.normal(0, 1, n)
    exposure = confounder + rng.normal(0, 1, n)
    logit = -0.5 + 1.2 * confounder + 0.1 * exposure
    outcome = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return pd.DataFrame(
        {
            "normal": rng.normal(10, 2, n) + (outcome == "yes") * 1.0,
            "skewed": rng.lognormal(0, 1, n),
            "exposure": exposure,
            "confounder": confounder,
            "group": group,
            "colour": rng.choice(["red", "blue"], n),
            "amount": rng.normal(50, 5, n) + (group == "a") * 3,
            "y": outcome,
        }
    )


def test_effect_sizes_match_their_definitions_and_scipy(frame):
    first = frame.loc[frame.y == "yes", "normal"].to_numpy()
    second = frame.loc[frame.y == "no", "normal"].to_numpy()
    n1, n2 = len(first), len(second)
    # Student's t with pooled variance is d scaled by sqrt(n1 n2 / (n1 + n2)): scipy gives t
    student = stats.ttest_ind(first, second, equal_var=True).statistic
    assert cohens_d(first, second) == pytest.approx(
        student * np.sqrt(1 / n1 + 1 / n2), abs=TOLERANCE
    )
    model = ols("amount ~ C(group)", data=frame).fit()
    table = sm.stats.anova_lm(model, typ=1)
    expected = table["sum_sq"].iloc[0] / table["sum_sq"].sum()
    assert eta_squared(frame.amount.to_numpy(), frame.group.to_numpy()) == pytest.approx(
        expected, abs=TOLERANCE
    )


def test_two_group_test_follows_normality(frame):
    welch = against_target(frame, "normal", "numeric", "y", "binary")
    groups = [frame.loc[frame.y == c, "normal"] for c in pd.unique(frame.y)]
    assert welch["test"] == "Welch's t-test"
    reference = stats.ttest_ind(*groups, equal_var=False)
    assert welch["statistic"] == pytest.approx(reference.statistic, abs=TOLERANCE)
    assert welch["p_value"] == pytest.approx(reference.pvalue, abs=TOLERANCE)
    ranks = against_target(frame, "skewed", "numeric", "y", "binary")
    assert ranks["test"] == "Mann-Whitney U" and "not normal" in ranks["why"]
    groups = [frame.loc[frame.y == c, "skewed"] for c in pd.unique(frame.y)]
    reference = stats.mannwhitneyu(*groups, alternative="two-sided")
    assert ranks["statistic"] == pytest.approx(reference.statistic, abs=TOLERANCE)
    assert ranks["p_value"] == pytest.approx(reference.pvalue, abs=TOLERANCE)


def test_several_groups_use_anova_or_kruskal_wallis(frame):
    anova = against_target(frame, "amount", "numeric", "group", "multiclass")
    parts = [frame.loc[frame.group == g, "amount"] for g in pd.unique(frame.group)]
    assert anova["test"] == "one-way ANOVA"
    assert anova["statistic"] == pytest.approx(stats.f_oneway(*parts).statistic, abs=TOLERANCE)
    kruskal = against_target(frame, "skewed", "numeric", "group", "multiclass")
    parts = [frame.loc[frame.group == g, "skewed"] for g in pd.unique(frame.group)]
    assert kruskal["test"] == "Kruskal-Wallis H"
    assert kruskal["p_value"] == pytest.approx(stats.kruskal(*parts).pvalue, abs=TOLERANCE)


def test_categories_use_chi_square_and_cramers_v(frame):
    result = against_target(frame, "group", "categorical", "y", "binary")
    table = pd.crosstab(frame.group, frame.y)
    reference = stats.chi2_contingency(table, correction=False)
    assert result["statistic"] == pytest.approx(reference.statistic, abs=TOLERANCE)
    assert result["p_value"] == pytest.approx(reference.pvalue, abs=TOLERANCE)
    assert result["effect_size"] == pytest.approx(
        association(table.to_numpy(), method="cramer"), abs=TOLERANCE
    )


def test_numeric_target_gets_correlations_with_intervals(frame):
    result = against_target(frame, "exposure", "numeric", "confounder", "numeric")
    pearson = stats.pearsonr(frame.exposure, frame.confounder)
    low, high = pearson.confidence_interval(0.95)
    assert result["pearson"]["r"] == pytest.approx(pearson.statistic, abs=TOLERANCE)
    assert result["pearson"]["ci95"] == pytest.approx([low, high], abs=TOLERANCE)
    rho = stats.spearmanr(frame.exposure, frame.confounder).statistic
    assert result["spearman"]["rho"] == pytest.approx(rho, abs=TOLERANCE)
    # the Pearson flavour is scipy's Fisher interval ...
    r = pearson.statistic
    assert fisher_interval(r, len(frame)) == pytest.approx([low, high], abs=TOLERANCE)
    # ... and Bonett and Wright (2000) widen it by sqrt(1 + rho^2 / 2) in z for Spearman
    _, pearson_high = fisher_interval(rho, len(frame))
    _, spearman_high = fisher_interval(rho, len(frame), spearman=True)
    assert np.arctanh(spearman_high) - np.arctanh(rho) == pytest.approx(
        np.sqrt(1 + rho**2 / 2) * (np.arctanh(pearson_high) - np.arctanh(rho)), abs=TOLERANCE
    )


def test_p_values_are_corrected_with_benjamini_hochberg(frame):
    results = all_against_target(
        frame, ["normal", "skewed", "exposure"], ["group", "colour"], "y", "binary"
    )
    raw = [r["p_value"] for r in results]
    expected = multipletests(raw, method="fdr_bh")[1]
    assert [r["p_adjusted"] for r in results] == pytest.approx(list(expected), abs=TOLERANCE)
    assert [r["p_adjusted"] for r in results] == sorted(r["p_adjusted"] for r in results)


def test_normality_test_is_chosen_by_size():
    rng = np.random.default_rng(0)
    small, large = rng.normal(size=500), rng.normal(size=6000)
    assert normality(small)["test"] == "Shapiro-Wilk"
    assert normality(small)["p_value"] == pytest.approx(stats.shapiro(small).pvalue, abs=TOLERANCE)
    assert normality(large)["test"] == "D'Agostino-Pearson K²"
    assert normality(large)["p_value"] == pytest.approx(
        stats.normaltest(large).pvalue, abs=TOLERANCE
    )
    summary = summarise_numeric(pd.Series(small, name="x"))
    assert summary["skewness"] == pytest.approx(stats.skew(small, bias=False), abs=TOLERANCE)
    assert summary["kurtosis"] == pytest.approx(stats.kurtosis(small, bias=False), abs=TOLERANCE)


def test_vif_and_crude_versus_adjusted_effects(frame):
    numeric = ["exposure", "confounder", "normal"]
    vif = {entry["feature"]: entry["vif"] for entry in variance_inflation(frame, numeric)}
    design = sm.add_constant(frame[numeric].to_numpy())
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    assert vif["exposure"] == pytest.approx(variance_inflation_factor(design, 1), abs=TOLERANCE)
    result = crude_and_adjusted(frame, ["exposure", "confounder"], [], "y", "binary", "yes")
    outcome = (frame.y == "yes").astype(float)
    full = sm.Logit(outcome, sm.add_constant(frame[["exposure", "confounder"]])).fit(disp=0)
    crude = sm.Logit(outcome, sm.add_constant(frame[["exposure"]])).fit(disp=0)
    exposure = next(term for term in result["terms"] if term["term"] == "exposure")
    assert exposure["adjusted"] == pytest.approx(full.params["exposure"], abs=TOLERANCE)
    assert exposure["crude"] == pytest.approx(crude.params["exposure"], abs=TOLERANCE)
    assert exposure["confounded"], "the exposure's crude effect is mostly the confounder's"


def test_redundant_indicators_are_set_aside():
    design = pd.DataFrame({"a": [1.0, 0, 1, 0], "b": [0.0, 1, 0, 1], "c": [1.0, 2, 3, 5]})
    kept, redundant = independent_columns(design)  # a + b == 1, the intercept
    assert kept == ["a", "c"] and redundant == ["b"]


def test_association_matrix_and_pca(frame):
    matrix = association_matrix(frame, ["exposure", "confounder"], ["group"])
    values = np.array(matrix["matrix"])
    assert values[0, 1] == pytest.approx(
        abs(np.corrcoef(frame.exposure, frame.confounder)[0, 1]), abs=TOLERANCE
    )
    assert np.allclose(values, values.T) and np.allclose(np.diag(values), 1)
    design = standardised_design(frame, ["exposure", "confounder", "normal"], [])
    pca = principal_components(design)
    from sklearn.decomposition import PCA

    reference = PCA().fit(design).explained_variance_ratio_
    assert pca["explained_variance"] == pytest.approx(reference, abs=TOLERANCE)
    assert pca["cumulative_variance"][pca["components_kept"] - 1] >= 0.9
    assert (
        pca["components_kept"] == 1 or pca["cumulative_variance"][pca["components_kept"] - 2] < 0.9
    )
