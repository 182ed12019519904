"""The hold-out stays untouched: the cleaning plan's values are learned on training rows only."""

import joblib
import numpy as np
import pandas as pd
import pytest

from atelier import Project
from atelier.clean import Cleaner
from atelier.learn import train
from atelier.learn._data import _holdout
from atelier.quality import profile
from atelier.warehouse import ingest
from tests.conftest import write_charter

pytestmark = pytest.mark.slow
PLAN = {
    "drop_duplicate_rows": False,
    "missing_values": {"plan": ["n/a"]},
    "unify_spellings": ["plan"],
    "cap_outliers": {"x": "tukey"},
    "impute": {"x": "median"},
}


def frame(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    x = rng.normal(size=n)
    x[::17] = np.nan
    return pd.DataFrame(
        {
            "id": range(n),
            "x": x,
            "plan": rng.choice(["Basic", "Premium"], size=n),
            "y": np.where(np.nan_to_num(x) + rng.normal(size=n) > 0, "yes", "no"),
        }
    )


def fitted_cleaner(root, data: pd.DataFrame) -> Cleaner:
    root.mkdir()
    data.to_csv(root / "t.csv", index=False)
    write_charter(
        root,
        {"t": {"kind": "csv", "path": "t.csv", "key": "id"}},
        training={"families": ["linear"], "max_trials": 2},
        cleaning=PLAN,
    )
    project = Project.load(root)
    ingest(project)
    profile(project)
    train(project, budget=120)
    model = joblib.load(project.artifact_dir("learn") / "model.joblib")
    return model.named_steps["preprocess"]


def test_values_planted_in_holdout_rows_move_no_fitted_statistic(tmp_path):
    original = frame()
    _, holdout_rows, _ = _holdout(original, "y", "binary", 0.2, None, None)
    planted = original.copy()
    planted.loc[holdout_rows, "x"] = 1e6  # far out: would move a cap and a median
    planted.loc[holdout_rows[:40], "plan"] = "PREMIUM"  # would win the spelling vote
    a = fitted_cleaner(tmp_path / "a", original)
    b = fitted_cleaner(tmp_path / "b", planted)
    assert a.caps_ == b.caps_ and a.impute_values_ == b.impute_values_
    assert a.spelling_maps_["plan"]["Premium"] == "Premium"
    assert b.spelling_maps_ == a.spelling_maps_
    # the same plan fitted on every row, as cleaning did before, is moved by them
    everywhere = Cleaner(**{k: v for k, v in PLAN.items() if k != "drop_duplicate_rows"})
    assert everywhere.fit(planted.drop(columns=["id", "y"])).caps_["x"] != a.caps_["x"]


def test_each_fold_fits_its_own_preprocessor():
    from atelier import AutoClassifier

    data = frame(200)
    X, y = data[["x", "plan"]], data["y"]
    seen = []

    class Recording(Cleaner):
        def fit(self, X, y=None):
            seen.append(len(X))
            return super().fit(X, y)

    auto = AutoClassifier(
        time_budget=60,
        families=["linear"],
        max_trials=2,
        random_state=0,
        preprocessor=Recording(impute={"x": "median"}),
    ).fit(X, y)
    folds = [len(train) for train, _ in auto.splits_] if hasattr(auto, "splits_") else None
    assert seen[0] == len(X)  # the final model's, on every training row
    assert len(seen) >= 3 and all(n < len(X) for n in seen[1:])  # one per fold, fewer rows
    assert folds is None or seen[1:] == folds
    assert list(auto.best_estimator_.named_steps) == ["preprocess", "columns", "model"]
