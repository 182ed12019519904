"""ModelService on each kind of task, with small real models (no registry needed)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge

from atelier.learn._card import background_of, reference_of
from atelier.learn._schema import input_schema
from atelier.serve import ModelInfo, ModelService, RequestError
from atelier.serve._drift import population_stability


def service_for(model, X: pd.DataFrame, task: str, target: str, classes=None) -> ModelService:
    card = {
        "question": "?", "decision": "!", "target": target, "task": task,
        "background": background_of(X, seed=0), "reference": reference_of(X),
    }  # fmt: skip
    card |= {
        "metric": "m", "holdout_score": 0.0, "trained_at": "2026-01-01", "classes": classes,
        "positive_class": None, "threshold": None,
    }  # fmt: skip
    info = ModelInfo.from_card(card, name="m", version=1, run_id="r")
    return ModelService(model, card, input_schema(X), info)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True, as_frame=True)
    X.columns = [c.replace(" (cm)", "").replace(" ", "_") for c in X.columns]
    labels = np.asarray(["setosa", "versicolor", "virginica"])[y]
    model = LogisticRegression(max_iter=1000).fit(X, labels)
    return service_for(model, X, "multiclass", "species", classes=list(model.classes_)), X


def test_multiclass_predictions_give_each_class_probability(iris):
    service, X = iris
    rows = X.iloc[[0, 60, 120]]
    body = '{"records": ' + rows.to_json(orient="records") + "}"
    frame = service.request.parse_json(body.encode())
    answer = service.predict(frame)
    assert answer["prediction"] == ["setosa", "versicolor", "virginica"]
    for probabilities in answer["probability"]:
        assert set(probabilities) == {"setosa", "versicolor", "virginica"}
        assert sum(probabilities.values()) == pytest.approx(1)
    assert "decision" not in answer


def test_multiclass_explanations_explain_the_predicted_class(iris):
    service, X = iris
    frame = service.request.parse_frame(X.iloc[[120]].reset_index(drop=True))
    [explanation] = service.explain(frame)
    assert explanation["explained"] == "the probability that species = virginica"
    expected = service.model.predict_proba(frame)[0, 2]
    assert explanation["value"] == pytest.approx(expected, abs=1e-4)
    assert len(explanation["reasons"]) == 3


def test_regression_predicts_values_and_explains_them_in_units(tmp_path):
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = Ridge().fit(X, y)
    service = service_for(model, X, "regression", "progression")
    frame = service.request.parse_frame(X.head(4))
    answer = service.predict(frame)
    np.testing.assert_allclose(answer["prediction"], model.predict(X.head(4)))
    [explanation] = service.explain(frame.head(1))
    assert explanation["explained"] == "the predicted progression"
    assert explanation["value"] == pytest.approx(answer["prediction"][0], abs=1e-3)
    assert "points" not in explanation["reasons"][0]


def test_out_of_range_rows_of_a_file_are_named(iris):
    service, X = iris
    rows = X.head(3).copy()
    rows.loc[2, "petal_length"] = 40.0
    with pytest.raises(RequestError) as caught:
        service.request.parse_frame(rows)
    [problem] = caught.value.errors
    assert problem["msg"].startswith("record 2, field 'petal_length': Input should be less than")


def test_drift_is_stable_on_the_training_data_and_major_on_a_shifted_batch(iris):
    service, X = iris
    same = population_stability(X, service.card["reference"])
    assert {row["level"] for row in same} == {"stable"}
    shifted = X[X["petal_length"] > 4.5]
    rows = {r["feature"]: r for r in population_stability(shifted, service.card["reference"])}
    assert rows["petal_length"]["level"] == "major"
    assert "retraining is advised" in rows["petal_length"]["words"]
