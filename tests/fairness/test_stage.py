"""The fairness audit on a trained model: fairlearn's numbers, reweighting measured."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import recall_score

from atelier import Project
from atelier.clean import clean
from atelier.exceptions import DataError
from atelier.fairness import fairness
from atelier.fairness._mitigation import reweighing_weights
from atelier.learn import train
from atelier.learn._data import training_data
from atelier.learn._stage import load_model
from atelier.quality import profile
from atelier.warehouse import ingest
from tests.conftest import credit_holders

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Project:
    """ISLR's Default table, trained with two families: students and balances as groups."""
    project = credit_holders(
        tmp_path_factory.mktemp("fair"),
        {"country": "FR"},  # one value: no groups to compare
        fairness={"attributes": ["student", "balance"]},
    )
    ingest(project)
    profile(project)
    project, _ = clean(project)
    train(project)
    return project


def test_group_metrics_are_fairlearns_at_the_chosen_threshold(trained):
    result = fairness(trained)
    assert result.attributes == ["student", "balance"]
    student = result.audits[0]
    data = training_data(trained, extra=["student"])
    scores = load_model(trained).predict_proba(data.X_test)[:, 1]
    decided = (scores >= result.threshold).astype(int)
    trained_result = json.loads((trained.artifact_dir("learn") / "result.json").read_text())
    positive = trained_result["thresholds"]["positive_class"]  # "Yes" as staging typed it
    truth = (data.y_test.astype(str) == positive).astype(int)
    groups = data.extra_test["student"].astype(str).to_numpy()
    rates = {}
    for row in student["groups"]:
        members = groups == row["group"]
        assert row["rows"] == members.sum()
        assert row["selection_rate"] == pytest.approx(decided[members].mean())
        expected = recall_score(truth[members], decided[members], zero_division=0)
        assert row["recall"] == pytest.approx(expected)
        low, high = row["intervals"]["selection_rate"]
        assert low <= row["selection_rate"] <= high
        rates[row["group"]] = row["selection_rate"]
    ratio = min(rates.values()) / max(rates.values())
    assert student["demographic_parity_ratio"] == pytest.approx(ratio)
    assert ("selection_ratio" in student["flags"]) == (ratio < 0.8)
    balance = result.audits[1]
    assert len(balance["groups"]) == 4, "a number with many values is grouped by quartile"
    for side in ("before", "after"):
        assert 0.5 < student["mitigation"][side]["roc_auc"] <= 1
        assert "cost_per_1000" in student["mitigation"][side]
    saved = json.loads((trained.artifact_dir("fairness") / "result.json").read_text())
    assert saved["audits"][0]["attribute"] == "student"


def test_reweighting_makes_outcome_independent_of_group():
    rng = np.random.default_rng(0)
    groups = rng.choice(["a", "b"], 2_000, p=[0.7, 0.3])
    y = (rng.random(2_000) < np.where(groups == "a", 0.4, 0.1)).astype(int)
    weights = reweighing_weights(y, groups)
    frame = pd.DataFrame({"g": groups, "y": y, "w": weights})
    weighted = frame.groupby("g").apply(lambda g: np.average(g["y"], weights=g["w"]))
    assert weighted["a"] == pytest.approx(weighted["b"])
    assert weighted["a"] == pytest.approx(y.mean())


def test_an_unknown_or_single_valued_attribute_is_one_clear_error(trained, tmp_path):
    import yaml

    charter = yaml.safe_load(trained.charter_path.read_text())
    for attributes, message in (
        (["nationality"], "'nationality' is not a column"),
        (["country"], "'country' has a single value"),
    ):
        charter["fairness"] = {"attributes": attributes}
        trained.charter_path.write_text(yaml.safe_dump(charter, sort_keys=False))
        with pytest.raises(DataError, match=message):
            fairness(Project.load(trained.root))
    charter["fairness"] = {"attributes": ["student", "balance"]}
    trained.charter_path.write_text(yaml.safe_dump(charter, sort_keys=False))


def test_bootstrap_intervals_match_resampling_the_rows():
    from atelier.fairness._audit import _bootstrap

    rng = np.random.default_rng(1)
    labels = rng.choice(["a", "b", "tiny"], 3_000, p=[0.6, 0.398, 0.002])
    y_true = (rng.random(3_000) < 0.3).astype(int)
    y_pred = np.where(rng.random(3_000) < 0.8, y_true, 1 - y_true)
    intervals = _bootstrap(y_true, y_pred, labels)
    assert set(intervals) == {"a", "b"}, "groups under MIN_GROUP rows get no interval"
    rows = np.flatnonzero(labels == "b")
    recalls = []
    for _ in range(2_000):  # the textbook bootstrap: resample the group's rows
        sample = rng.choice(rows, len(rows))
        recalls.append(recall_score(y_true[sample], y_pred[sample]))
    expected = np.percentile(recalls, [5, 95])
    assert intervals["b"]["recall"] == pytest.approx(expected, abs=0.01)
    low, high = intervals["b"]["recall"]
    assert low < recall_score(y_true[rows], y_pred[rows]) < high
