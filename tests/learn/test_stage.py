import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from atelier.exceptions import DataError, StageOrderError
from atelier.learn import load_model, train
from atelier.quality import profile
from atelier.warehouse import ingest
from tests.conftest import DEMO_MAX_TRIALS, DEMO_TRAIN_BUDGET

pytestmark = pytest.mark.slow


def test_demo_training_is_complete_explained_and_registered(demo_project):
    folder = demo_project.artifact_dir("learn")
    result = json.loads((folder / "result.json").read_text())
    assert result["table"] == "mart.customers" and result["task"] == "binary"
    assert result["metric"] == "roc_auc"
    assert result["budget_s"] == DEMO_TRAIN_BUDGET
    # max_trials, not the clock, decides what was tried: every family's defaults, then tuning
    trials = [row for row in result["leaderboard"] if row["trial"] >= 0]
    assert len(trials) == DEMO_MAX_TRIALS
    tried = {row["model"] for row in trials if row["status"] == "complete"}
    assert {
        "dummy",
        "linear",
        "knn",
        "hist_gb",
        "lightgbm",
        "random_forest",
        "extra_trees",
    } <= tried
    assert any(row["origin"] == "tuned" for row in trials)
    assert result["comparison"]["beats_baseline"] and result["comparison"]["gain_low"] > 0.2
    assert result["metric_reason"]["basis"] == "charter"
    assert result["diagnostics"]["robustness"]["scores"]
    scores = result["scores"]
    assert scores["holdout_roc_auc"] > 0.8 > scores["baseline_holdout_roc_auc"]
    assert result["choice"]["why"]
    assert "customer_id" not in {r["feature"] for r in result["diagnostics"]["importance"]}
    thresholds = result["thresholds"]
    assert thresholds["positive_class"] == "Yes" and 0 < thresholds["chosen"] < 0.5
    assert thresholds["in_plain_words"].startswith(
        f"At a threshold of {thresholds['chosen']:.2f} the model finds"
    )
    assert thresholds["at_chosen"]["recall"] > thresholds["at_half"]["recall"]
    assert result["diagnostics"]["overfitting"]
    assert result["diagnostics"]["calibration"]["brier"] < 0.2
    for name in result["figures"].values():
        pixels = np.asarray(Image.open(folder / name).convert("L"), dtype=float)
        assert pixels.shape[1] >= 450 and pixels.std() > 10, name


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # MLflow's own SQLAlchemy use
def test_the_champion_in_mlflow_is_the_saved_model(demo_project):
    import mlflow

    result = json.loads((demo_project.artifact_dir("learn") / "result.json").read_text())
    registry = result["registry"]
    assert registry["alias"] == "champion" and registry["version"] >= 1
    mlflow.set_tracking_uri(registry["tracking_uri"])
    champion = mlflow.sklearn.load_model(registry["model_uri"])
    rows = demo_project.warehouse.sql("SELECT * FROM mart.customers_clean LIMIT 20").df()
    features = rows.drop(columns=["customer_id", "churn"])
    saved = load_model(demo_project)
    np.testing.assert_allclose(champion.predict_proba(features), saved.predict_proba(features))
    client = mlflow.tracking.MlflowClient()
    runs = client.search_runs(
        [client.get_experiment_by_name(registry["registered_model"]).experiment_id]
    )
    assert len(runs) >= len([r for r in result["leaderboard"] if r["trial"] >= 0])


def test_the_saved_model_cleans_raw_rows_before_predicting(demo_project):
    model = load_model(demo_project)
    raw = demo_project.warehouse.sql("SELECT * FROM mart.customers LIMIT 50").df()
    proba = model.predict_proba(raw.drop(columns=["churn"]))
    assert proba.shape == (50, 2) and np.isfinite(proba).all()


def test_the_input_schema_describes_what_a_request_may_send(demo_project):
    schema = json.loads((demo_project.artifact_dir("learn") / "input_schema.json").read_text())
    columns = {column["name"]: column for column in schema["columns"]}
    assert not {"email", "name", "phone", "customer_id", "churn"} & set(columns)
    assert columns["contract"]["type"] == "string"
    assert set(columns["contract"]["categories"]) == {"Month-to-month", "One year", "Two year"}
    assert columns["tenure"]["type"] in {"integer", "number"}
    assert 0 <= columns["tenure"]["minimum"] < columns["tenure"]["maximum"] <= 72
    assert columns["total_charges"]["nullable"], "11 customers have no total yet"


def test_a_changed_model_file_is_refused(demo_project, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(demo_project.root, copy)
    from atelier import Project

    project = Project.load(copy)
    with open(project.artifact_dir("learn") / "model.joblib", "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(DataError, match="the file changed since `atelier train` wrote it"):
        load_model(project)


def small_project(
    tmp_path, make_project, frame: pd.DataFrame, target: str = "y", training: dict | None = None
):
    frame.to_csv(tmp_path / "t.csv", index=False)
    project = make_project(
        {"t": {"kind": "csv", "path": "t.csv"}},
        {"base": "t"},
        target={"column": target},
        # what is tried does not depend on the machine's speed
        training={"max_trials": 4, **(training or {})},
    )
    ingest(project)
    return project


def test_train_needs_a_profile(tmp_path, make_project):
    project = small_project(tmp_path, make_project, pd.DataFrame({"x": [1, 2], "y": ["a", "b"]}))
    with pytest.raises(StageOrderError, match="no profile yet"):
        train(project)


@pytest.mark.parametrize(
    ("frame", "target", "message"),
    [
        (pd.DataFrame({"x": range(40), "y": ["a"] * 40}), "y", "has a single value"),
        (
            pd.DataFrame({"x": range(40), "y": ["a", "b"] * 20}),
            "churn",
            "the target column 'churn' does not exist",
        ),
    ],
)
def test_train_explains_bad_targets(tmp_path, make_project, frame, target, message):
    project = small_project(tmp_path, make_project, frame, target)
    profile(project)
    with pytest.raises(DataError, match=message):
        train(project, budget=5)


def test_train_on_an_uncleaned_regression_mart(tmp_path, make_project):
    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    frame = pd.DataFrame({"x": x, "noise": rng.normal(size=400), "y": 3 * x + rng.normal(size=400)})
    project = small_project(tmp_path, make_project, frame)
    profile(project)
    result = train(project, budget=300)
    assert result.task == "regression" and result.metric == "rmse"
    assert any("has no cleaning plan" in note for note in result.notes)
    assert result.scores["holdout_r2"] > 0.8
    assert result.thresholds is None
    assert result.diagnostics["importance"][0]["feature"] == "x"


@pytest.mark.parametrize(("ensemble", "kind"), [(True, "ensemble"), (False, "single")])
def test_the_charter_may_keep_the_best_single_trial(tmp_path, make_project, ensemble, kind):
    # a line and a bump: a ridge and the neighbours blend better than either alone
    rng = np.random.default_rng(0)
    x, z = rng.uniform(-3, 3, 800), rng.normal(size=800)
    y = 3 * x + 4 * np.exp(-4 * z**2) + rng.normal(scale=0.5, size=800)
    training = {"max_trials": 5, "families": ["linear", "knn"], "ensemble": ensemble}
    frame = pd.DataFrame({"x": x, "z": z, "y": y})
    project = small_project(tmp_path, make_project, frame, training=training)
    profile(project)
    assert train(project, budget=300).choice["kind"] == kind


def test_segments_are_trained_described_and_registered(demo_project):
    from atelier.learn import train_segments

    result = train_segments(demo_project)
    assert 2 <= result.k <= 8 and result.k == max(result.silhouette, key=result.silhouette.get)
    assert len(result.profiles) == result.k
    assert all(p["summary"].startswith("Segment") for p in result.profiles)
    assert sum(p["rows"] for p in result.profiles) == result.rows
    assert "customer_id" not in result.features and "churn" not in result.features
    assert result.registry["registered_model"] == "telco_churn_segments"
    assert result.registry["alias"] == "champion"
    import joblib

    model = joblib.load(demo_project.artifact_dir("segments") / result.model_file)
    rows = demo_project.warehouse.sql("SELECT * FROM mart.customers_clean LIMIT 30").df()
    assert set(model.predict(rows)) <= set(range(result.k))
