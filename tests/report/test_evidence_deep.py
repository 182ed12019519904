"""The five block-4 rules: each earned only by what the deep stage recorded."""

import copy
import hashlib

import pytest

from atelier.report._artifacts import Artifacts
from atelier.report._evidence import MET, NOT_YET, PARTLY, RULES
from tests.report.test_evidence import CHARTER

LAYERS = [
    {"layer": "inputs", "parameters": 100},
    {"layer": "blocks.0", "parameters": 900},
    {"layer": "output", "parameters": 66},
]
DEEP = {
    "model_file": "model.joblib",
    "architecture": {"layers": LAYERS, "parameters": 1066},
    "onnx": {"equal": True},
    "method": {
        "loss": "cross-entropy",
        "optimiser": "AdamW",
        "learning_rate": 0.002,
        "batch_size": 256,
        "seed": 0,
        "device": "cpu",
        "range_test": {"losses": [0.7, 0.6], "chosen": 0.002},
    },
    "curves": {"history": [{"epoch": 1}, {"epoch": 2}]},
    "indicators": {
        "network": {"roc_auc": 0.84},
        "classical": {"roc_auc": 0.83},
        "comparison": {"better": False},
        "confusion": [[1, 0], [0, 1]],
    },
    "improvements": {
        "steps": [
            {"step": "baseline", "validation": 0.80, "kept": True},
            {"step": "quantile", "validation": 0.81, "kept": True},
        ]
    },
    "errors": {
        "holdout": {"largest": [{"row": 3, "error": 2.1}]},
        "treatments": [{"treatment": "class_weights", "validation": 0.82, "kept": True}],
    },
}


def changed(path: str, value) -> dict:
    document = copy.deepcopy(DEEP)
    *parents, leaf = path.split(".")
    node = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[leaf] = value
    return document


@pytest.fixture
def project(tmp_path):
    from atelier import Project
    from tests.conftest import write_charter

    write_charter(tmp_path, {"a": {"kind": "csv", "path": "a.csv"}})
    project = Project.load(tmp_path)
    folder = project.artifact_dir("deep")
    folder.mkdir(parents=True)
    (folder / "model.joblib").write_bytes(b"the saved network")
    return project


def status(name: str, project, deep: dict | None) -> str:
    results = {} if deep is None else {"deep": deep}
    return RULES[name](Artifacts(project=project, charter=CHARTER, results=results))[0]


def saved(project, deep: dict) -> dict:
    """``deep`` with the hash of the model file as it is on disk."""
    path = project.artifact_dir("deep") / "model.joblib"
    return deep | {"model_sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


CASES = {  # rule: (what earns it, its status), (what does not, its status)
    "deep_method": ((DEEP, MET), (changed("method.range_test", None), NOT_YET)),
    "deep_indicators": (
        (DEEP, MET),
        (changed("indicators", {"network": {}, "comparison": {}, "confusion": []}), NOT_YET),
    ),
    "deep_improvements": (
        (DEEP, MET),
        (changed("improvements.steps.1.kept", False), PARTLY),
    ),
    "deep_errors": ((DEEP, MET), (changed("errors.treatments", [{"treatment": "none"}]), PARTLY)),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_deep_rule_earns_its_status_only_from_its_evidence(rule, project):
    (earning, best), (lacking, short) = CASES[rule]
    assert status(rule, project, saved(project, earning)) == best
    assert status(rule, project, saved(project, lacking)) == short
    assert status(rule, project, None) == NOT_YET


def test_curves_of_one_epoch_or_no_analysed_error_earn_nothing(project):
    assert status("deep_method", project, changed("curves.history", [{"epoch": 1}])) == NOT_YET
    assert status("deep_errors", project, changed("errors.holdout.largest", [])) == NOT_YET
    only_baseline = changed("improvements.steps", DEEP["improvements"]["steps"][:1])
    assert status("deep_improvements", project, only_baseline) == NOT_YET


def test_the_architecture_must_add_up_and_be_the_saved_network(project):
    assert status("deep_architecture", project, saved(project, DEEP)) == MET
    wrong_total = saved(project, changed("architecture.parameters", 1067))
    assert status("deep_architecture", project, wrong_total) == NOT_YET
    not_onnx = saved(project, changed("onnx.equal", False))
    assert status("deep_architecture", project, not_onnx) == NOT_YET
    recorded = saved(project, DEEP)
    (project.artifact_dir("deep") / "model.joblib").write_bytes(b"another network")
    assert status("deep_architecture", project, recorded) == NOT_YET


def test_a_transcribers_own_indicators_are_the_kinds_of_its_errors(project):
    transcribed = {
        "network": {"cer": 0.1, "wer": 0.1, "sentence_error_rate": 0.3},
        "classical": {"cer": 0.9, "wer": 0.9, "sentence_error_rate": 1.0, "model": "constant"},
        "comparison": {"better": True},
        "error_kinds": {"replaced": 3, "dropped": 5, "added": 1},
    }
    assert status("deep_indicators", project, changed("indicators", transcribed)) == MET
    uncounted = {key: value for key, value in transcribed.items() if key != "error_kinds"}
    assert status("deep_indicators", project, changed("indicators", uncounted)) == NOT_YET
