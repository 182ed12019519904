import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import confusion_matrix, roc_auc_score

from atelier.charter import Costs
from atelier.learn import choose_splits, get_metric
from atelier.learn._ensemble import greedy_selection
from atelier.learn._thresholds import at, best_threshold, threshold_table, unit_costs


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
