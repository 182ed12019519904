"""Each evidence rule the dossier relies on, with a case that earns it and one that does not."""

import copy

import pytest

from atelier.report._artifacts import Artifacts
from atelier.report._evidence import MET, NOT_YET, PARTLY, RULES

CHARTER = {
    "project": {
        "name": "p",
        "question": "q",
        "decision": "d",
        "kpi": {"name": "churn", "baseline": 0.26, "target": 0.22},
        "language": "en",
        "unit": None,
    },
    "costs": {"currency": "EUR", "false_positive": 40, "false_negative": 400},
    "stakeholders": [],
    "risks": [],
    "target": {"column": "y"},
}
TRAIN = {
    "task": "binary",
    "metric": "roc_auc",
    "greater_is_better": True,
    "metric_reason": {"text": "a quarter churn", "basis": "charter"},
    "scores": {"cv_roc_auc": 0.84, "holdout_roc_auc": 0.84, "baseline_holdout_roc_auc": 0.5},
    "comparison": {"beats_baseline": True, "gain_low": 0.3, "gain_high": 0.36},
    "thresholds": {"chosen": 0.2},
    "model_sha256": "abc",
    "leaderboard": [
        {"model": "linear", "trial": 1, "status": "complete", "cv_std": 0.01},
        {"model": "lightgbm", "trial": 2, "status": "complete", "cv_std": 0.02},
        {"model": "knn", "trial": 3, "status": "complete", "cv_std": 0.02},
    ],
    "diagnostics": {
        "robustness": {"why": "..."},
        "tuning": {
            "families": [{"family": "lightgbm", "tuned_trials": 3}],
            "improved": ["lightgbm"],
            "why": "...",
        },
    },
}


def artifacts(charter=None, train=None, checks=None, explore=None) -> Artifacts:
    results = {"train": train} if train is not None else {}
    if explore is not None:
        results["explore"] = explore
    return Artifacts(
        project=None,
        charter=charter or copy.deepcopy(CHARTER),
        results=results,
        checks=checks or {},
        serving={"columns": []} if train is not None else None,
    )


def changed(base: dict, path: str, value) -> dict:
    document = copy.deepcopy(base)
    *parents, leaf = path.split(".")
    node = document
    for part in parents:
        node = node[part]
    node[leaf] = value
    return document


def status(name: str, a: Artifacts) -> str:
    return RULES[name](a)[0]


@pytest.mark.parametrize("rule", ["charter_question", "functional_needs"])
def test_framing_needs_a_measured_kpi_and_the_projects_own_costs(rule):
    assert status(rule, artifacts()) == MET
    assert status(rule, artifacts(changed(CHARTER, "project.kpi.baseline", None))) == PARTLY
    template = changed(
        CHARTER,
        "costs",
        {
            "currency": "EUR",
            "false_positive": 50.0,
            "false_negative": 500.0,
            "true_positive_gain": 0.0,
        },
    )
    assert status(rule, artifacts(template)) == PARTLY


def test_the_metric_is_justified_by_a_reason_tied_to_the_project():
    assert status("metric_justified", artifacts(train=TRAIN)) == MET
    bare = changed(TRAIN, "metric_reason", {"text": "set in the charter", "basis": None})
    assert status("metric_justified", artifacts(train=bare)) == PARTLY
    assert status("metric_justified", artifacts()) == NOT_YET


def test_optimisation_is_justified_only_when_tuning_beat_the_defaults():
    assert status("optimisation_justified", artifacts(train=TRAIN)) == MET
    flat = changed(TRAIN, "diagnostics.tuning.improved", [])
    assert status("optimisation_justified", artifacts(train=flat)) == PARTLY


def test_cross_validation_needs_the_spread_and_a_robustness_check():
    assert status("cross_validation", artifacts(train=TRAIN)) == MET
    unchecked = changed(TRAIN, "diagnostics.robustness", None)
    assert status("cross_validation", artifacts(train=unchecked)) == PARTLY


def test_a_model_within_the_holdouts_noise_is_no_solution():
    assert status("ml_solution", artifacts(train=TRAIN)) == MET
    noise = changed(TRAIN, "comparison.beats_baseline", False)
    for rule in ("ml_solution", "ml_comparison", "ml_objectives"):
        assert status(rule, artifacts(train=noise)) == PARTLY, rule


@pytest.mark.parametrize(("rule", "check"), [("api", "api"), ("plain_presentation", "dashboard")])
def test_api_and_dashboard_are_credited_only_from_a_check_on_this_model(rule, check):
    passed = {check: {"passed": True, "model_sha256": "abc"}}
    assert status(rule, artifacts(train=TRAIN, checks=passed)) == MET
    assert status(rule, artifacts(train=TRAIN)) == PARTLY
    failed = {check: {"passed": False, "model_sha256": "abc"}}
    assert status(rule, artifacts(train=TRAIN, checks=failed)) == PARTLY
    other_model = {check: {"passed": True, "model_sha256": "older"}}
    assert status(rule, artifacts(train=TRAIN, checks=other_model)) == PARTLY


def test_segments_are_earned_only_when_the_groups_are_real():
    def explore(silhouette):
        return {"clustering": {"kmeans": {"k": 3, "silhouette": {"3": silhouette}}}}

    assert status("segments", artifacts(explore=explore(0.41))) == MET
    assert status("segments", artifacts(explore=explore(0.08))) == PARTLY
    assert status("segments", artifacts()) == NOT_YET
