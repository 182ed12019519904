"""``atelier deep`` on the demo: every record the standard asks for, the registry, bad input."""

import json
import shutil

import joblib
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from atelier.charter import load_charter
from atelier.exceptions import CharterError, DataError
from tests.conftest import DEMO_DEEP_LIMITS, DEMO_TRAIN_BUDGET, WITHOUT_TORCH, write_charter

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def deep_result(demo_project) -> dict:
    return json.loads((demo_project.artifact_dir("deep") / "result.json").read_text())


def test_the_architecture_is_recorded_layer_by_layer_and_matches_the_saved_network(
    demo_project, deep_result
):
    architecture = deep_result["architecture"]
    layers = architecture["layers"]
    assert layers[0]["layer"] == "inputs" and layers[-1]["output_shape"][-1] == 2
    assert sum(layer["parameters"] for layer in layers) == architecture["parameters"] > 1000
    assert any(layer["activation"] for layer in layers)
    assert architecture["inputs"]["categorical"] == len(architecture["inputs"]["cardinalities"])
    pipeline = joblib.load(demo_project.artifact_dir("deep") / "model.joblib")
    network = pipeline[-1]
    assert network.onnx_ is not None and network.n_parameters_ == architecture["parameters"]
    assert network.network_config()["layers"] == architecture["config"]["layers"]
    onnx = (demo_project.artifact_dir("deep") / "network.onnx").read_bytes()
    assert onnx == network.onnx_ and deep_result["onnx"]["equal"]
    assert deep_result["onnx"]["max_abs_difference"] <= 1e-4


def test_the_method_and_curves_come_from_the_training_itself(deep_result):
    method, curves = deep_result["method"], deep_result["curves"]
    assert method["optimiser"] == "AdamW" and method["loss_key"] == "cross_entropy"
    assert method["range_test"]["losses"] and method["range_test"]["chosen"] > 0
    assert method["seed"] == 0 and method["device"] == "cpu"
    history = curves["history"]
    limit = DEMO_DEEP_LIMITS["max_epochs"]
    assert method["max_epochs"] in {limit, 2 * limit}  # doubled if under-fitting called for it
    assert 1 <= len(history) == method["epochs"] <= method["max_epochs"]
    assert [row["epoch"] for row in history] == list(range(1, len(history) + 1))
    best = curves["best_epoch"]
    lowest = min(history, key=lambda row: row["validation_loss"])
    assert lowest["epoch"] == best
    assert curves["diagnosis"]["kind"] in {"good_fit", "overfitting", "underfitting"}
    assert history[best - 1]["train_loss"] < history[0]["train_loss"]


def test_the_network_and_the_classical_model_are_compared_on_the_same_holdout(
    demo_project, deep_result
):
    learn = json.loads((demo_project.artifact_dir("learn") / "result.json").read_text())
    indicators = deep_result["indicators"]
    assert deep_result["rows_holdout"] == learn["rows_holdout"]
    # the classical model's hold-out score is the one train measured on the same rows
    classical = indicators["classical"]["roc_auc"]
    assert classical == pytest.approx(learn["scores"]["holdout_roc_auc"], abs=1e-9)
    assert indicators["network"]["roc_auc"] > 0.75
    confusion = np.asarray(indicators["confusion"])
    assert confusion.sum() == deep_result["rows_holdout"]
    assert set(indicators["recall"]) == {"No", "Yes"}
    assert indicators["calibration"]["brier"] < 0.25
    comparison = indicators["comparison"]
    assert comparison["gain_low"] <= comparison["gain"] <= comparison["gain_high"]
    assert deep_result["champion"] == comparison["better"]


def test_each_improvement_step_is_measured_and_the_search_is_bounded(deep_result):
    steps = deep_result["improvements"]["steps"]
    assert steps[0]["step"] == "baseline" and steps[0]["kept"]
    measured = [s for s in steps[1:] if "skipped" not in s]
    assert {s["step"] for s in measured} >= {"wider_deeper", "quantile", "range_test", "tabm"}
    for step in measured:
        assert step["kept"] == (step["delta"] > 0)
    # swept from an untrained network, the loss falls as the rate grows from 1e-5: the
    # chosen rate (a tenth of the best) is not the floor's tenth
    [range_step] = [s for s in measured if s["step"] == "range_test"]
    assert range_step["change"]["learning_rate"] > 1e-5
    search = deep_result["improvements"]["search"]
    assert 1 <= search["trials"] <= DEMO_DEEP_LIMITS["trials"]
    assert search["importance"]  # three trials are enough to weigh the settings
    # the final network is of the kind the steps kept
    ensemble_kept = any(s["step"] == "tabm" and s["kept"] for s in measured)
    kind = deep_result["architecture"]["config"]["architecture"]
    assert kind == ("tabm" if ensemble_kept else "mlp")


def test_errors_are_analysed_and_their_treatments_measured(deep_result):
    errors = deep_result["errors"]
    largest = errors["holdout"]["largest"]
    assert len(largest) == 10
    assert largest == sorted(largest, key=lambda row: -row["error"])
    assert errors["holdout"]["shared"]
    treatments = errors["treatments"]
    assert treatments
    for treatment in treatments:
        assert treatment["treatment"] in {"class_weights", "regularisation", "more_epochs", "none"}
        if "validation" in treatment:
            assert treatment["kept"] == (treatment["delta"] > 0)


def test_every_figure_is_drawn(demo_project, deep_result):
    folder = demo_project.artifact_dir("deep")
    expected = {"curves", "architecture", "improvements", "range_test", "confusion"}
    assert expected <= set(deep_result["figures"])
    for name in deep_result["figures"].values():
        pixels = np.asarray(Image.open(folder / name).convert("L"), dtype=float)
        assert pixels.shape[1] >= 450 and pixels.std() > 10, name


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # MLflow's own SQLAlchemy use
def test_the_network_is_tracked_with_its_curves_and_registered(demo_project, deep_result):
    from mlflow.tracking import MlflowClient

    from atelier.learn._tracking import CHAMPION, tracking_uri

    client = MlflowClient(tracking_uri=tracking_uri(demo_project.state_dir))
    registry = deep_result["registry"]
    run = client.get_run(registry["run_id"])
    assert run.data.tags["atelier.stage"] == "deep"
    history = client.get_metric_history(registry["run_id"], "validation_loss")
    assert len(history) == len(deep_result["curves"]["history"])
    names = {a.path for a in client.list_artifacts(registry["run_id"], "deep")}
    assert {"deep/network.onnx", "deep/architecture.json", "deep/serving.json"} <= names
    champion = client.get_model_version_by_alias(registry["registered_model"], CHAMPION)
    is_network = champion.run_id == registry["run_id"]
    assert is_network == deep_result["champion"]


def test_the_saved_network_takes_missing_values_and_unseen_categories(demo_project):
    pipeline = joblib.load(demo_project.artifact_dir("deep") / "model.joblib")
    schema = json.loads((demo_project.artifact_dir("deep") / "input_schema.json").read_text())
    columns = schema["columns"]
    frame = pd.DataFrame([{c["name"]: None for c in columns}] * 2, dtype=object)
    text = next(c["name"] for c in columns if c["type"] == "string")
    frame.loc[0, text] = "a value never seen in training"
    proba = pipeline.predict_proba(frame)
    assert proba.shape == (2, 2) and np.allclose(proba.sum(axis=1), 1)


def test_a_budget_too_small_for_the_baseline_says_so_and_writes_nothing(demo_project, tmp_path):
    from atelier.deep import deep

    folder = demo_project.artifact_dir("deep")
    before = (folder / "result.json").read_bytes()
    with pytest.raises(DataError, match=r"deep.budget_s: 0.05 s is too small"):
        deep(demo_project, budget=0.05)
    assert (folder / "result.json").read_bytes() == before
    assert not list(demo_project.artifacts_dir.glob(".deep-*"))  # no half-written folder


@pytest.mark.parametrize(
    ("architecture", "expected"),
    [
        ({"layers": [64, 0]}, r"deep.architecture.layers: .*layer 2 has 0 units"),
        ({"layers": [64], "activation": "swish"}, r"deep.architecture.activation"),
        ({"layers": []}, r"deep.architecture.layers"),
        ({"kind": "tabm", "layers": [256, 128]}, r"deep.architecture: .*same width"),
    ],
)
def test_a_declared_architecture_that_cannot_be_built_names_the_field(
    tmp_path, architecture, expected
):
    path = write_charter(
        tmp_path, {"a": {"kind": "csv", "path": "a.csv"}}, deep={"architecture": architecture}
    )
    with pytest.raises(CharterError, match=expected):
        load_charter(path)


def test_without_torch_the_deep_stage_names_the_extra_to_install(demo_project, monkeypatch):
    import sys

    from atelier.deep import deep

    class NoNetworks:  # what a machine without torch sees: the network module cannot import
        def find_spec(self, name, path=None, target=None):
            if name == "atelier.learn._networks":
                raise ModuleNotFoundError("No module named 'torch'", name="torch")

    monkeypatch.delitem(sys.modules, "atelier.learn._networks", raising=False)
    monkeypatch.setattr(sys, "meta_path", [NoNetworks(), *sys.meta_path])
    with pytest.raises(CharterError, match=r"pip install torch==2.13.0.*atelier\[deep\]"):
        deep(demo_project)


def test_a_mart_without_usable_columns_is_refused_by_name():
    from atelier.deep._stage import _preparation
    from atelier.learn._data import TrainingData

    constant = pd.DataFrame({"plan": ["A"] * 30, "empty": [None] * 30})
    data = TrainingData(
        table="mart.t",
        target="y",
        task="binary",
        features=["plan", "empty"],
        X_train=constant,
        y_train=np.array([0, 1] * 15),
        X_test=constant,
        y_test=np.array([0, 1] * 15),
        groups=None,
        time_column=None,
        cleaner=None,
        holdout_why="",
        holdout_plan={},
        notes=[],
        source_hash="",
    )
    with pytest.raises(DataError, match=r"mart.t: no usable feature column: plan: constant"):
        _preparation(data)


def test_a_run_skips_the_network_when_nothing_changed_or_torch_is_missing(
    demo_project, tmp_path, monkeypatch
):
    import importlib.util

    from atelier._project import Project
    from atelier.demo._run import plans_api
    from atelier.runner import run

    copy = tmp_path / "churn"
    shutil.copytree(demo_project.root, copy)
    with plans_api(copy, 0):  # ingest reads the demo's plans API
        # the fixture's train budget: with the charter's, train (and so deep) would rerun
        outcome = run(Project.load(copy), train_budget=DEMO_TRAIN_BUDGET, report=False)
        assert outcome.outcome("deep").status == "skipped"
        found = importlib.util.find_spec
        monkeypatch.setattr(
            importlib.util,
            "find_spec",
            lambda name, *a: None if name == "torch" else found(name, *a),
        )
        outcome = run(Project.load(copy), train_budget=DEMO_TRAIN_BUDGET, report=False)
    assert outcome.outcome("deep").status == "unavailable"
    assert "pip install torch==2.13.0" in outcome.outcome("deep").result


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # MLflow's own SQLAlchemy use
def test_a_network_champion_is_served_through_onnx_without_torch(demo_project, tmp_path):
    import subprocess
    import sys

    from mlflow.tracking import MlflowClient

    from atelier.learn._tracking import CHAMPION, tracking_uri

    copy = tmp_path / "churn"
    shutil.copytree(demo_project.root, copy)
    registry = json.loads((copy / ".atelier/artifacts/deep/result.json").read_text())["registry"]
    client = MlflowClient(tracking_uri=tracking_uri(copy / ".atelier"))
    # whatever this run decided, make the network the champion of the copy
    client.set_registered_model_alias(registry["registered_model"], CHAMPION, registry["version"])
    script = (
        WITHOUT_TORCH
        + f"""
import warnings
warnings.simplefilter("ignore")
import pandas as pd
from atelier import Project
from atelier.serve._service import ModelService

service = ModelService.from_project(Project.load({str(copy)!r}))
network = service.model.steps[-1][1]
assert type(network).__name__ == "NeuralClassifier" and network.onnx_ is not None
records = pd.DataFrame.from_records(service.card["background"][:3])
answer = service.predict(records)
assert len(answer["decision"]) == 3 and all(0 <= p <= 1 for p in answer["probability"])
assert service.explain(records.head(1))[0]["reasons"]
assert "torch" not in sys.modules
print(service.info.version)
"""
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout.strip()) == registry["version"]
