import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, make_classification
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from atelier import AutoClassifier, AutoRegressor
from atelier.learn._leaderboard import overfit_gap

pytestmark = pytest.mark.slow
# What a search tries is set by max_trials; the budget is only a ceiling, far enough
# that a busy machine never reaches it. One test below checks the time contract itself.
CEILING_S = 300


def mixed_frame(rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Numbers, categories with missing values, booleans and dates; a binary target."""
    X, y = make_classification(
        n_samples=rows, n_features=6, n_informative=4, random_state=seed, flip_y=0.05
    )
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(X, columns=[f"num_{i}" for i in range(6)])
    frame["num_0"] = frame["num_0"].mask(rng.random(rows) < 0.1)
    plan = np.where(X[:, 0] > 0, "premium", "basic")
    frame["plan"] = pd.Series(plan).mask(rng.random(rows) < 0.05)
    frame["paperless"] = rng.random(rows) < 0.5
    frame["signup"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(
        rng.integers(0, 1000, rows), unit="D"
    )
    return frame, pd.Series(np.where(y == 1, "Yes", "No"), name="churn")


def test_classifier_compares_families_and_beats_the_baseline():
    X, y = mixed_frame(1_500)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    model = AutoClassifier(time_budget=CEILING_S, max_trials=6, random_state=0, n_jobs=1)
    model.fit(X_train, y_train)
    board = model.leaderboard_
    tried = set(board.loc[board["status"] == "complete", "model"])
    assert {"dummy", "linear", "hist_gb", "lightgbm", "knn", "extra_trees"} == tried
    assert board.iloc[0]["model"].startswith("final")
    assert {"cv_mean", "cv_median", "cv_std", "fit_s", "predict_ms_per_1k", "size_kb"} <= set(
        board.columns
    )
    assert list(model.classes_) == ["No", "Yes"]
    proba = model.predict_proba(X_test)
    assert proba.shape == (len(X_test), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(model.predict(X_test)) <= {"No", "Yes"}
    assert isinstance(model.best_estimator_, Pipeline)
    np.testing.assert_array_equal(model.best_estimator_.predict(X_test), model.predict(X_test))
    auc = roc_auc_score(y_test == "Yes", proba[:, 1])
    assert auc > 0.85
    assert model.choice_.why and model.validation_.startswith("stratified 5-fold")


def test_fit_keeps_to_its_time_budget():
    import time

    X, y = mixed_frame(3_000, seed=1)
    # A fold or a refit already running when the deadline passes finishes: scikit-learn's
    # gradient boosting cannot be interrupted, and with two other CPU-bound processes on
    # two cores one such fit was measured at 13 s beyond a 6 s budget.
    budget, scheduling_slack = 6, 15
    started = time.monotonic()
    AutoClassifier(time_budget=budget, random_state=0, n_jobs=1).fit(X, y)
    # the contract of time_budget: the whole fit, refit included, within +10% or 5 s
    assert time.monotonic() - started <= max(1.1 * budget, budget + 5) + scheduling_slack


def test_regressor_tries_a_transformed_target_when_skewed():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    y = np.exp(y / 60.0)  # strongly right-skewed
    model = AutoRegressor(time_budget=CEILING_S, max_trials=5, random_state=0, n_jobs=1)
    model.fit(X, y)
    assert any("skewed" in note for note in model.notes_)
    assert model.leaderboard_["params"].str.contains('"target_transform": "power"').any()
    assert model.validation_.startswith("5-fold repeated 3 times")
    predictions = model.predict(X)
    assert predictions.shape == (len(X),) and np.isfinite(predictions).all()
    assert model.choice_.cv_score < np.std(y)  # beats predicting the mean


def test_every_booster_fits_a_transformed_target():
    # the transform wraps the model: CatBoost refused it as a parameter of its own
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    y = np.exp(y / 60.0)
    boosters = ["lightgbm", "xgboost", "catboost"]
    model = AutoRegressor(
        time_budget=CEILING_S, families=boosters, max_trials=7, random_state=0, n_jobs=1
    ).fit(X, y)
    board = model.leaderboard_
    transformed = board[board["params"].str.contains('"target_transform": "power"')]
    assert set(transformed["model"]) == set(boosters)
    assert (transformed["status"] == "complete").all(), transformed["notes"].tolist()
    assert not board["notes"].str.contains("target_transform").any()


def test_untidy_columns_are_left_out_with_a_reason():
    rows = 12_000
    rng = np.random.default_rng(0)
    signal = rng.normal(size=rows)
    y = np.where(signal + rng.normal(scale=0.8, size=rows) > 0, "a", "b").astype(object)
    X = pd.DataFrame(
        {
            "signal": signal,
            "all_missing": np.full(rows, np.nan),
            "constant": "same",
            "customer_ref": [f"C{i:06d}" for i in range(rows)],
            "shop": [f"shop {i}" for i in rng.integers(0, 10_000, rows)],
            "status": np.where(y == "a", "closed", "open"),  # gives the target away
        }
    )
    y[:40] = None
    model = AutoClassifier(
        time_budget=CEILING_S,
        max_trials=3,
        random_state=0,
        n_jobs=1,
        families=["linear", "lightgbm"],
    ).fit(X, y)
    notes = " | ".join(model.notes_)
    assert "40 rows without a target value were left out" in notes
    assert "'all_missing' left out: all values missing" in notes
    assert "'constant' left out: constant" in notes
    assert "'customer_ref' left out: identifier-like" in notes
    assert "'status' left out: leaks the target" in notes
    assert "target-encoded (many categories): shop" in notes
    assert model.roles_.features == ["signal", "shop"]
    assert len(model.predict(X.head(5))) == 5


def test_a_single_class_is_a_clear_error():
    X = pd.DataFrame({"x": range(20)})
    with pytest.raises(ValueError, match="y: a single class"):
        AutoClassifier(time_budget=2).fit(X, ["yes"] * 20)


def test_a_class_with_one_example_is_left_out():
    X, y = mixed_frame(300)
    y = y.copy()
    y.iloc[0] = "Maybe"
    model = AutoClassifier(
        time_budget=CEILING_S, max_trials=2, random_state=0, n_jobs=1, families=["linear"]
    ).fit(X, y)
    assert list(model.classes_) == ["No", "Yes"]
    assert any("'Maybe'" in note for note in model.notes_)


def test_a_budget_too_small_still_gives_the_baseline():
    X, y = mixed_frame(2_000)
    model = AutoClassifier(time_budget=0.01, random_state=0, n_jobs=1).fit(X, y)
    assert any("too small for any model beyond the baseline" in n for n in model.notes_)
    assert model.choice_.members[0]["family"] == "dummy"
    assert model.predict_proba(X.head(3)).shape == (3, 2)


def test_multiclass_uses_log_loss_and_a_probability_per_class():
    X, y = make_classification(
        n_samples=900, n_classes=3, n_informative=5, n_features=8, random_state=0
    )
    model = AutoClassifier(time_budget=CEILING_S, max_trials=5, random_state=0, n_jobs=1)
    model.fit(X, y)
    assert model.metric_ == "log_loss"
    assert model.predict_proba(X[:4]).shape == (4, 3)
    complete = model.leaderboard_[model.leaderboard_["status"] == "complete"]
    dummy = complete.loc[complete["model"] == "dummy", "cv_mean"].iloc[0]
    assert model.choice_.cv_score < dummy  # log loss: lower is better


def test_overfitting_is_flagged_only_beyond_noise():
    assert overfit_gap(train_loss=-1.0, cv_loss=-0.7, spread=0.01) == pytest.approx((0.3, True))
    assert overfit_gap(train_loss=-0.75, cv_loss=-0.7, spread=0.01)[1] is False
    assert overfit_gap(train_loss=-1.0, cv_loss=-0.7, spread=0.2)[1] is False


def test_over_confident_probabilities_are_tempered_for_log_loss():
    X, y = make_classification(
        n_samples=600, n_classes=3, n_informative=4, flip_y=0.15, random_state=0
    )
    model = AutoClassifier(
        time_budget=CEILING_S,
        metric="log_loss",
        families=["knn"],
        max_trials=2,
        ensemble=False,
        random_state=0,
        n_jobs=1,
    ).fit(X, y)
    assert model.smoothing_ > 0  # distance-weighted neighbours say 0 or 1: shrinking helps
    assert any("shrunk by" in note for note in model.notes_)
    assert model.predict_proba(X).min() >= model.smoothing_ * model.prior_.min() - 1e-12


def test_every_core_means_those_this_process_may_use():
    # n_jobs=-1 counts the cores a process may run on (a container's, a pinned
    # worker's), as scikit-learn does, not every core of the machine
    import subprocess
    import sys

    script = """
import os
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
from sklearn.datasets import make_classification
from atelier import AutoClassifier
X, y = make_classification(n_samples=80, random_state=0)
search = AutoClassifier(families=["linear"], max_trials=1, cv=2, n_jobs=-1, random_state=0)
print(search.fit(X, y).n_jobs_)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1"]
