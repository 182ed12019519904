import functools
import os
import pickle
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_regression
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LinearRegression
from sklearn.metrics import confusion_matrix, roc_auc_score
from sklearn.preprocessing import FunctionTransformer

from atelier import AutoRegressor
from atelier.charter import Costs
from atelier.learn import choose_splits, get_metric
from atelier.learn._boosting import EarlyStoppedRegressor
from atelier.learn._ensemble import greedy_selection
from atelier.learn._families import LIGHTGBM_OWN_DEFAULTS, XGBOOST_OWN_DEFAULTS, Family
from atelier.learn._search import (
    BoundedPowerTransformer,
    MeanCorrectedTargetRegressor,
    Search,
    SearchSetup,
)
from atelier.learn._thresholds import at, best_threshold, threshold_table, unit_costs
from atelier.learn._tracking import trusted_types


def test_metrics_agree_with_scikit_learn_and_reject_unknown_names():
    y = np.array([0, 1, 1, 0, 1])
    proba = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1], [0.2, 0.8]])
    assert get_metric(None, "binary").score(y, proba) == roc_auc_score(y, proba[:, 1])
    assert get_metric("roc_auc", "binary").loss(y, proba) == -roc_auc_score(y, proba[:, 1])
    with pytest.raises(ValueError, match="metric 'rmse' does not apply to binary tasks"):
        get_metric("rmse", "binary")


def test_threshold_table_matches_the_confusion_matrix():
    rng = np.random.default_rng(0)
    truth = rng.random(500) < 0.3
    score = np.clip(truth * 0.3 + rng.random(500) * 0.7, 0, 1)
    unit = unit_costs(Costs(false_positive=40, false_negative=400), "Yes", "No")
    table = threshold_table(truth, score, unit)
    row = at(table, 0.42)
    tn, fp, fn, tp = confusion_matrix(truth, score >= 0.42).ravel()
    assert (row["tp"], row["fp"], row["fn"], row["tn"]) == (tp, fp, fn, tn)
    assert row["cost"] == pytest.approx(40 * fp + 400 * fn)
    chosen = best_threshold(table)
    assert at(table, chosen)["cost"] == table["cost"].min()
    assert chosen < 0.5  # a missed positive costs ten times a false alarm


def test_value_matrix_costs_are_the_negated_values():
    costs = Costs(value_matrix={"No": {"No": 0, "Yes": -50}, "Yes": {"No": -500, "Yes": 250}})
    assert unit_costs(costs, "Yes", "No") == {"tp": -250, "fp": 50, "fn": 500, "tn": 0}
    with pytest.raises(ValueError, match="no entry for class"):
        unit_costs(costs, "churned", "stayed")


def test_greedy_selection_finds_a_blend_better_than_either_model():
    rng = np.random.default_rng(0)
    y = rng.normal(size=2_000)
    first = y + rng.normal(scale=1.0, size=2_000)
    second = y + rng.normal(scale=1.0, size=2_000)
    rmse = get_metric("rmse", "regression")
    weights, loss = greedy_selection({0: first, 1: second}, y, rmse)
    assert set(weights) == {0, 1} and sum(weights.values()) == pytest.approx(1.0)
    assert loss < min(rmse.loss(y, first), rmse.loss(y, second)) - 0.1


def test_greedy_selection_keeps_within_its_limit():
    rng = np.random.default_rng(0)
    y = rng.normal(size=2_000)
    noisy = {k: y + rng.normal(scale=1.0 + k / 10, size=2_000) for k in range(3)}
    rmse = get_metric("rmse", "regression")
    free, _ = greedy_selection(noisy, y, rmse)
    assert set(free) == {0, 1, 2}
    # trial 1 is the costly one: with it out of reach, the others still blend
    weights, loss = greedy_selection(noisy, y, rmse, within=lambda members: 1 not in members)
    assert set(weights) == {0, 2}
    assert loss < rmse.loss(y, noisy[0]) - 0.1


def test_each_member_of_a_blend_must_earn_its_cost():
    # two models with independent errors, and a weak third that adds little to them
    rng = np.random.default_rng(0)
    y = rng.normal(size=2_000)
    first = y + rng.normal(scale=1.0, size=2_000)
    second = y + rng.normal(scale=1.0, size=2_000)
    weak = y + rng.normal(scale=4.0, size=2_000)
    candidates = {0: first, 1: second, 2: weak}
    rmse = get_metric("rmse", "regression")
    free, _ = greedy_selection(candidates, y, rmse)
    assert set(free) == {0, 1, 2}
    # the second model takes the rmse from 1.0 to 0.70, the weak one 0.008 further
    weights, loss = greedy_selection(candidates, y, rmse, member_cost=0.01)
    assert set(weights) == {0, 1}
    assert loss < rmse.loss(y, first) - 0.2
    # at 0.5 per member, no blend pays for itself
    alone, _ = greedy_selection(candidates, y, rmse, member_cost=0.5)
    assert len(alone) == 1


def test_splits_respect_groups_time_and_small_data():
    y = np.tile([0, 1], 300)
    groups = np.repeat(np.arange(60), 10)
    splits, why = choose_splits("binary", y, groups=groups, random_state=0)
    assert "group 5-fold" in why
    for train, valid in splits:
        assert not set(groups[train]) & set(groups[valid])
    splits, why = choose_splits("binary", y, cv="time")
    assert "time-ordered" in why
    assert all(train.max() < valid.min() for train, valid in splits)
    splits, why = choose_splits("regression", np.arange(600.0), random_state=0)
    assert len(splits) == 15 and "repeated 3 times" in why
    splits, _ = choose_splits("binary", np.tile([0, 1], 1_000), random_state=0)
    assert len(splits) == 5
    for _, valid in splits:
        assert pd.Series(np.tile([0, 1], 1_000)[valid]).mean() == pytest.approx(0.5)


@pytest.mark.parametrize("name", ["roc_auc", "log_loss"])
@pytest.mark.parametrize("classes", [2, 3])
def test_fast_classification_metrics_equal_scikit_learn(name, classes):
    from sklearn.metrics import log_loss

    rng = np.random.default_rng(classes)
    y = rng.integers(0, classes, 400)
    proba = rng.dirichlet(np.ones(classes), 400)
    proba[:50] = proba[0]  # ties
    expected = (
        (
            roc_auc_score(y, proba[:, 1])
            if classes == 2
            else roc_auc_score(y, proba, multi_class="ovr", average="weighted")
        )
        if name == "roc_auc"
        else log_loss(y, proba)
    )
    task = "binary" if classes == 2 else "multiclass"
    assert get_metric(name, task).score(y, proba) == pytest.approx(expected, abs=1e-12)


def test_fast_rmse_equals_scikit_learn():
    from sklearn.metrics import root_mean_squared_error

    rng = np.random.default_rng(0)
    y, predictions = rng.normal(size=300), rng.normal(size=300)
    assert get_metric("rmse", "regression").score(y, predictions) == pytest.approx(
        root_mean_squared_error(y, predictions), abs=1e-12
    )


def test_a_near_equal_model_replaces_the_best_only_when_much_faster_to_predict():
    from atelier.learn._auto import _cheapest_near_best
    from atelier.learn._search import TrialRecord

    def trial(number, loss, predict_s):
        record = TrialRecord(number=number, family="f", params={}, fold_losses=[loss])
        record.predict_s_per_1k = predict_s
        return record

    best, near_slow, near_fast, worse_fastest = (
        trial(0, 100.0, 0.050),
        trial(1, 100.05, 0.030),  # within 0.1% but not twice as fast
        trial(2, 100.08, 0.020),  # within 0.1% and 2.5 times as fast
        trial(3, 101.0, 0.001),  # fastest, but 1% worse
    )
    ranked = [best, near_slow, near_fast, worse_fastest]
    cost = {r.number: r.predict_s_per_1k for r in ranked}
    assert _cheapest_near_best(ranked, cost) is near_fast
    assert _cheapest_near_best([best, near_slow, worse_fastest], cost) is best
    assert _cheapest_near_best(ranked, dict.fromkeys(cost, 0.005)) is best, "ties keep the best"


@pytest.mark.parametrize(
    ("library", "own_defaults"),
    [("lightgbm", LIGHTGBM_OWN_DEFAULTS), ("xgboost", XGBOOST_OWN_DEFAULTS)],
)
def test_a_booster_with_its_own_defaults_is_the_library_fitted_as_it_comes(library, own_defaults):
    X, y = make_regression(n_samples=600, n_features=6, noise=10.0, random_state=0)
    ours = EarlyStoppedRegressor(library=library, params=own_defaults, random_state=0).fit(X, y)
    if library == "lightgbm":
        import lightgbm

        theirs = lightgbm.LGBMRegressor(random_state=0, verbose=-1, reg_lambda=1e-6).fit(X, y)
    else:
        import xgboost

        theirs = xgboost.XGBRegressor(random_state=0).fit(X, y)
    # every row and 100 trees, as the library's own defaults fit: the same predictions
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-5)
    assert ours.best_iteration_ == 100
    pickle.loads(pickle.dumps(ours))  # no deadline callback left behind
    early = EarlyStoppedRegressor(
        library=library, params={k: v for k, v in own_defaults.items() if k != "n_estimators"}
    ).fit(X, y)
    assert not np.allclose(early.predict(X), theirs.predict(X), rtol=1e-3)


def test_the_search_starts_from_lightgbm_s_own_defaults():
    X, y = make_regression(n_samples=300, n_features=5, noise=5.0, random_state=1)
    model = AutoRegressor(
        families=["lightgbm"], max_trials=3, time_budget=300, random_state=0, n_jobs=1
    ).fit(pd.DataFrame(X).add_prefix("x"), y)
    first = next(r for r in model.trials_ if r.family == "lightgbm")
    # the fixed tree count survives the Optuna study the default is enqueued in
    assert first.origin == "default" and first.params["n_estimators"] == 100
    assert first.best_iterations == [100] * len(first.fold_losses)
    later = [r for r in model.trials_ if r.family == "lightgbm"][1:]
    assert later and all("n_estimators" not in r.params for r in later)


def test_a_transformed_target_is_corrected_to_predict_the_mean_not_the_median():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4_000, 1))
    y = np.exp(x[:, 0] + rng.normal(scale=1.0, size=4_000))  # log-normal: mean = e^0.5 x median
    train, test = slice(0, 2_000), slice(2_000, None)
    plain = TransformedTargetRegressor(LinearRegression(), transformer=BoundedPowerTransformer())
    corrected = MeanCorrectedTargetRegressor(
        LinearRegression(), transformer=BoundedPowerTransformer()
    )
    plain.fit(x[train], y[train])
    corrected.fit(x[train], y[train])
    truth = y[test].mean()
    assert plain.predict(x[test]).mean() < 0.8 * truth  # near the median, 0.6 of the mean
    assert abs(corrected.predict(x[test]).mean() - truth) < 0.1 * truth
    # a target with negative values is shifted, not scaled
    shifted = MeanCorrectedTargetRegressor(
        LinearRegression(), transformer=BoundedPowerTransformer()
    ).fit(x[train], y[train] - 1.0)
    assert shifted.scale_ == 1.0 and shifted.shift_ != 0.0


def test_the_inverse_transform_stays_finite_past_the_edge_of_its_domain():
    y = np.exp(np.random.default_rng(1).normal(scale=1.5, size=(500, 1)))
    transformer = BoundedPowerTransformer().fit(y)
    assert transformer.lambdas_[0] < 0  # its inverse is undefined above -1/lambda
    back = transformer.inverse_transform(np.array([[-50.0], [0.0], [50.0], [1e6]]))
    assert np.isfinite(back).all()
    assert back[-1, 0] == back[-2, 0] == transformer.bounds_[1][0]


@pytest.mark.parametrize("dtype", ["str", object])
def test_categories_are_coded_alike_for_a_few_rows_and_for_many(dtype):
    """Served records (64 rows or fewer: dictionary look-ups) and batches (Arrow's
    look-up) get the same codes: most frequent category first, -1 for a missing or
    unseen one."""
    from atelier.learn._features import SMALL_INPUT, ColumnRoles, FrameCoercer

    rng = np.random.default_rng(0)
    training = pd.DataFrame(
        {"plan": rng.choice(["basic", "plus", "pro"], 300, p=[0.6, 0.3, 0.1]), "x": range(300)}
    )
    roles = ColumnRoles(numeric=["x"], categorical=["plan"])
    coder = FrameCoercer(roles).fit(training)
    plans = rng.choice(["basic", "plus", "pro", "gold", None], 200).astype(object)
    plans[[0, 1]] = [np.nan, "Pro"]  # missing, and a spelling never seen
    batch = pd.DataFrame({"plan": pd.Series(plans, dtype=dtype), "x": range(200)})
    many = coder.transform(batch)["plan"].to_numpy()
    few = np.concatenate(
        [
            coder.transform(batch.iloc[start : start + SMALL_INPUT])["plan"].to_numpy()
            for start in range(0, len(batch), SMALL_INPUT)
        ]
    )
    expected = pd.Series(plans).map({"basic": 0.0, "plus": 1.0, "pro": 2.0}).fillna(-1.0)
    np.testing.assert_array_equal(many, expected.to_numpy())
    np.testing.assert_array_equal(few, many)


def test_a_model_with_category_codes_is_trusted_and_a_foreign_function_is_not():
    frame = pd.DataFrame({"plan": pd.Categorical(["a", "b"] * 20), "x": np.arange(40.0)})
    boosted = HistGradientBoostingClassifier(max_iter=3).fit(frame, np.arange(40) % 2)
    assert "functools.partial" in trusted_types(boosted)
    foreign = FunctionTransformer(functools.partial(os.system, "true"))
    with pytest.raises(ValueError, match=r"outside the trusted libraries.*system"):
        trusted_types(foreign)


def test_quick_models_that_blend_better_form_an_ensemble():
    # a line and a bump: the linear model misses the bump, the neighbours the slope
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.uniform(-3, 3, 800), "z": rng.normal(size=800)})
    y = 3 * X["x"] + 4 * np.exp(-4 * X["z"] ** 2) + rng.normal(scale=0.5, size=800)
    model = AutoRegressor(
        families=["linear", "knn"], max_trials=5, time_budget=300, random_state=0, n_jobs=1
    ).fit(X, y)
    # both predict 1,000 rows in well under the 25 ms floor: their blend costs the floor
    assert model.choice_.kind == "ensemble", model.choice_.why
    assert {m["family"] for m in model.choice_.members} == {"linear", "knn"}
    alone = min(r.loss for r in model.trials_ if r.status == "complete")
    assert model.choice_.cv_score < alone


def test_a_family_whose_first_folds_are_slow_is_left_out():
    splits = [(np.arange(10), np.arange(10, 12))] * 15
    setup = SearchSetup(
        task="regression",
        metric=get_metric("rmse", "regression"),
        families=[],
        context=None,
        splits=splits,
        n_classes=0,
        deadline=0.0,
        budget=60.0,
        random_state=0,
    )
    search = Search(setup)
    network = Family(name="tabm", model=None, encoding="ordinal", impute=False, scale=False)
    now = time.monotonic()
    assert not search._too_slow(network, 2, now - 20), "two folds prove nothing yet"
    assert not search._too_slow(network, 3, now - 1.5), "0.5 s a fold: 7.5 s of 60"
    assert search._too_slow(network, 3, now - 6), "2 s a fold: 30 s, more than 30%"
    assert "left out after 3 folds" in search.skipped["tabm"]


def test_a_column_missing_in_a_few_rows_gets_no_flag_to_memorise_them_by():
    """penguins: the one training row with every measurement missing was an Adelie, and
    the linear model, through the flags of that row alone, gave a Gentoo with every
    measurement missing a probability of 0.00001."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from atelier.learn._features import RARE_BELOW, ColumnRoles, make_preprocessor

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"size": rng.normal(size=300), "often_missing": rng.normal(size=300)})
    y = (X["size"] > 0).astype(int).to_numpy()
    X.loc[X.index[y == 0][:RARE_BELOW], "often_missing"] = np.nan
    lone = X.index[y == 1][0]  # a large one, its size missing alone
    X.loc[lone, "size"] = np.nan
    roles = ColumnRoles(numeric=["size", "often_missing"])
    encode = make_preprocessor(roles, encoding="onehot", impute=True, scale=True)
    assert encode.fit(X).get_feature_names_out().tolist() == [
        "size",
        "often_missing",
        "missing_often_missing",
    ]
    model = make_pipeline(
        make_preprocessor(roles, encoding="onehot", impute=True, scale=True),
        LogisticRegression(C=1e4, max_iter=5000),
    ).fit(X, y)
    unknown = pd.DataFrame({"size": [np.nan, X["size"].median()], "often_missing": [0.0, 0.0]})
    missing, median = model.predict_proba(unknown)[:, 1]
    # a missing size reads as the median size, and nothing learnt from the lone row
    assert missing == pytest.approx(median)
