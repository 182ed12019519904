"""LightGBM boosters compiled to C for serving: the same answers, or no swap at all."""

import json
import logging
import shutil
import warnings

import httpx
import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from atelier import Project
from atelier.learn._boosting import EarlyStoppedClassifier, EarlyStoppedRegressor
from atelier.learn._ensemble import WeightedClassifier
from atelier.learn._tracking import CHAMPION, tracking_uri
from atelier.serve import ModelService, _compiled, create_app
from atelier.serve._compiled import CompiledLightGBM, compile_boosters
from atelier.serve._threads import MANY_ROWS, ThreadCounts
from tests.serve.conftest import API_KEY, running


def _with_missing(X: np.ndarray) -> np.ndarray:
    X = X.copy()
    X[::7, 0] = np.nan  # LightGBM's missing-value branches must be compiled too
    return X


def _pipeline(booster, X, y) -> Pipeline:
    return Pipeline([("scale", StandardScaler()), ("model", booster)]).fit(X, y)


@pytest.mark.parametrize("classes", [2, 3])
def test_compiled_classifiers_give_the_boosters_probabilities(classes):
    X, y = make_classification(
        n_samples=1_500, n_features=8, n_informative=5, n_classes=classes, random_state=0
    )
    X = _with_missing(X)
    member = _pipeline(EarlyStoppedClassifier(library="lightgbm", random_state=0), X, y)
    model = WeightedClassifier(members=[member], weights=[1.0], classes=np.unique(y)).fit(X, y)
    expected = model.predict_proba(X)
    assert compile_boosters(model, X[:50]) == 1
    assert isinstance(member.named_steps["model"].model_, CompiledLightGBM)
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(model.predict(X), np.unique(y)[expected.argmax(axis=1)])


def test_a_compiled_regressor_gives_the_boosters_values():
    X, y = make_regression(n_samples=1_000, n_features=6, noise=5.0, random_state=0)
    X = _with_missing(X)
    model = _pipeline(EarlyStoppedRegressor(library="lightgbm", random_state=0), X, y)
    expected = model.predict(X)
    assert compile_boosters(model, X[:50]) == 1
    np.testing.assert_allclose(model.predict(X), expected, rtol=0, atol=1e-9)


class _Recorded:
    """A compiled predictor that notes its name in ``calls`` each time it predicts."""

    def __init__(self, predictor, name: str, calls: list):
        self.predictor, self.name, self.calls = predictor, name, calls

    def predict(self, matrix):
        self.calls.append(self.name)
        return self.predictor.predict(matrix)


def test_large_batches_use_every_thread_and_small_ones_one():
    X, y = make_classification(n_samples=3_000, n_features=8, random_state=0)
    model = _pipeline(EarlyStoppedClassifier(library="lightgbm", n_jobs=2, random_state=0), X, y)
    expected = model.predict_proba(X)
    threads = ThreadCounts(model)  # as the service does before the server compiles
    assert compile_boosters(model, X[:50]) == 1
    compiled = model.named_steps["model"].model_
    chosen = []
    for name in ("_one_thread", "_every_thread"):
        setattr(compiled, name, _Recorded(getattr(compiled, name), name, chosen))
    model.predict_proba(X[: MANY_ROWS - 1])
    with threads.for_rows(MANY_ROWS):
        np.testing.assert_allclose(model.predict_proba(X), expected, rtol=0, atol=1e-12)
    assert chosen == ["_one_thread", "_every_thread"]


def test_without_a_c_compiler_the_booster_predicts_and_the_log_says_why(monkeypatch, caplog):
    X, y = make_classification(n_samples=500, n_features=5, random_state=0)
    model = _pipeline(EarlyStoppedClassifier(library="lightgbm", random_state=0), X, y)
    monkeypatch.setattr(_compiled, "COMPILERS", ("no-such-compiler",))
    with caplog.at_level(logging.WARNING, logger="atelier.serve"):
        assert compile_boosters(model, X[:20]) == 0
    assert "no C compiler" in caplog.text
    assert not isinstance(model.named_steps["model"].model_, CompiledLightGBM)


def test_compiled_trees_that_disagree_are_not_kept(monkeypatch, caplog):
    X, y = make_classification(n_samples=500, n_features=5, random_state=0)
    model = _pipeline(EarlyStoppedClassifier(library="lightgbm", random_state=0), X, y)
    expected = model.predict_proba(X)
    wrong = CompiledLightGBM.predict_proba
    monkeypatch.setattr(CompiledLightGBM, "predict_proba", lambda self, X: wrong(self, X)[:, ::-1])
    with caplog.at_level(logging.WARNING, logger="atelier.serve"):
        assert compile_boosters(model, X[:20]) == 0
    assert "disagreed" in caplog.text
    np.testing.assert_array_equal(model.predict_proba(X), expected)


def test_a_model_without_lightgbm_is_left_alone():
    X, y = make_classification(n_samples=300, n_features=4, random_state=0)
    model = _pipeline(EarlyStoppedClassifier(library="xgboost", random_state=0), X, y)
    assert compile_boosters(model, X[:20]) == 0


@pytest.mark.slow
def test_a_real_server_answers_with_the_compiled_booster_as_lightgbm_does(demo_project, tmp_path):
    """The demo's LightGBM model (the train stage's) behind uvicorn, compiled as served."""
    from mlflow import MlflowClient

    root = tmp_path / "churn"
    shutil.copytree(demo_project.root, root, ignore=shutil.ignore_patterns("report"))
    project = Project.load(root)
    registry = json.loads((project.artifact_dir("learn") / "result.json").read_text())
    registry = registry["registry"]  # the deep stage's network may hold @champion
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # MLflow's SQLAlchemy queries
        MlflowClient(tracking_uri(project.state_dir)).set_registered_model_alias(
            registry["registered_model"], CHAMPION, registry["version"]
        )
    plain, served = ModelService.from_project(project), ModelService.from_project(project)
    assert served.compile_boosters() == 1
    records = plain.card["background"]
    columns = plain.request.records_to_columns(records, "background")
    expected = plain.predict(plain.request.to_frame(columns))
    with running(create_app(served, api_keys=(API_KEY,))) as url:
        reply = httpx.post(
            f"{url}/v1/predict", json={"records": records}, headers={"X-API-Key": API_KEY}
        )
    assert reply.status_code == 200, reply.text
    answered = reply.json()["predictions"]
    assert [p["probability"] for p in answered] == expected["probability"]
    assert [p["decision"] for p in answered] == expected["decision"]
