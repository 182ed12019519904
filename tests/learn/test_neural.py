"""The neural families: training that learns, early stopping, ONNX, the estimator contract."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import train_test_split
from sklearn.utils.estimator_checks import parametrize_with_checks

from atelier.learn import NeuralClassifier, NeuralRegressor
from atelier.learn._neural import VALIDATION_SEED_OFFSET
from tests.conftest import WITHOUT_TORCH

FAST = dict(layers=[32, 32], max_epochs=8, batch_size=64, random_state=0, n_jobs=1)


def table(rows=600, seed=0):
    """A learnable table: eight numbers and one category code (with -1 for missing)."""
    X, y = make_classification(rows, 8, n_informative=5, random_state=seed)
    codes = np.random.default_rng(seed).integers(-1, 4, rows).astype(float)
    return np.column_stack([X, codes]), y


def test_training_lowers_the_loss_on_a_learnable_problem_and_not_on_shuffled_labels():
    X, y = table()
    learnable = NeuralClassifier(**FAST | {"max_epochs": 30}, categorical=[8]).fit(X, y)
    shuffled = NeuralClassifier(**FAST | {"max_epochs": 30}, categorical=[8]).fit(
        X, np.random.default_rng(1).permutation(y)
    )
    first, best = learnable.history_[0], learnable.history_[learnable.best_epoch_ - 1]
    assert best["validation_loss"] < 0.6 * first["train_loss"]
    assert best["validation_score"] > 0.8
    # on noise the validation loss never gets far below chance (log 2)
    noise = shuffled.history_[shuffled.best_epoch_ - 1]
    assert noise["validation_loss"] > 0.62 and noise["validation_score"] < 0.65


def test_early_stopping_restores_the_weights_of_the_best_epoch():
    X, y = table(rows=300)
    model = NeuralClassifier(
        layers=[256, 256],
        dropout=0.0,
        weight_decay=0.0,
        schedule="constant",
        learning_rate=3e-3,
        max_epochs=200,
        patience=6,
        batch_size=32,
        categorical=[8],
        random_state=0,
        n_jobs=1,
    ).fit(X, y)
    assert model.stopped_by_ == "early stopping"
    assert model.best_epoch_ == len(model.history_) - 6
    # the validation rows the estimator held out, scored again with the kept weights
    seed = np.random.RandomState(0).randint(2**31 - 1)
    _, held_out = train_test_split(
        np.arange(len(y)), test_size=0.15, stratify=y, random_state=seed + VALIDATION_SEED_OFFSET
    )
    proba = np.clip(
        model.predict_proba(X[held_out])[np.arange(len(held_out)), y[held_out]], 1e-12, 1
    )
    loss = -np.log(proba).mean()
    best, last = model.history_[model.best_epoch_ - 1], model.history_[-1]
    assert loss == pytest.approx(best["validation_loss"], rel=1e-4)
    assert last["validation_loss"] > best["validation_loss"]


@pytest.mark.parametrize("architecture", ["mlp", "tabm"])
def test_the_onnx_network_predicts_what_torch_predicts_even_on_missing_and_unseen_values(
    architecture,
):
    X, y = table()
    model = NeuralClassifier(
        **FAST, architecture=architecture, numeric_embedding=4, k=4, categorical=[8]
    ).fit(X, y)
    odd = X[:50].copy()
    odd[::3, 0] = np.nan  # a missing number
    odd[::4, 8] = 17  # a category never seen in fit
    odd[::5, 8] = np.nan
    torch_proba = model.predict_proba(odd)
    model.freeze()
    assert model.onnx_ is not None
    np.testing.assert_allclose(model.predict_proba(odd), torch_proba, atol=1e-5)
    restored = pickle.loads(pickle.dumps(model))
    assert "state_" not in restored.__dict__  # the ONNX model holds the weights
    np.testing.assert_allclose(restored.predict_proba(odd), torch_proba, atol=1e-5)


def test_a_number_missing_in_a_few_rows_gets_no_flag():
    X, y = table(rows=300)
    X[:4, 0] = np.nan  # four rows: a flag could only memorise them
    X[10:30, 1] = np.nan  # twenty: a flag may carry a meaning
    model = NeuralClassifier(**FAST | {"max_epochs": 1}, categorical=[8]).fit(X, y)
    assert model.indicated_.tolist() == [1]


def test_a_frozen_network_predicts_where_torch_cannot_be_imported(tmp_path):
    X, y = make_regression(200, 5, noise=5, random_state=0)
    model = NeuralRegressor(**FAST).fit(X, y).freeze()
    expected = model.predict(X[:5])
    path = tmp_path / "network.pkl"
    path.write_bytes(pickle.dumps(model))
    np.save(tmp_path / "rows.npy", X[:5])
    script = (
        WITHOUT_TORCH
        + f"""
import pickle
import numpy as np

model = pickle.loads(open({str(path)!r}, "rb").read())
print(model.predict(np.load({str(tmp_path / "rows.npy")!r})).tolist())
assert "torch" not in sys.modules
"""
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    np.testing.assert_allclose(eval(out.stdout), expected, rtol=1e-5)


def test_a_regression_network_learns_in_the_targets_units():
    X, y = make_regression(500, 6, noise=1.0, random_state=0)
    y = 1000 + 50 * y  # far from a standard scale
    model = NeuralRegressor(**FAST | {"max_epochs": 40}).fit(X[:400], y[:400])
    predicted = model.predict(X[400:])
    assert np.corrcoef(predicted, y[400:])[0, 1] > 0.9
    assert abs(predicted.mean() - y[400:].mean()) < 0.2 * y.std()


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({"layers": [64, 0]}, "'layers' parameter of NeuralClassifier must be a non-empty list"),
        ({"activation": "swish"}, "'activation' parameter of NeuralClassifier must be a str"),
        ({"categorical": [12]}, "'categorical' parameter of NeuralClassifier holds positions"),
    ],
)
def test_bad_parameters_are_refused_with_the_parameter_named(parameters, expected):
    X, y = table(rows=50)
    with pytest.raises(ValueError, match=expected):
        NeuralClassifier(**FAST | parameters).fit(X, y)


def test_class_weights_belong_to_classifiers():
    X, y = make_regression(50, 3, random_state=0)
    with pytest.raises(
        ValueError, match="'class_weight' parameter of NeuralRegressor must be None"
    ):
        NeuralRegressor(class_weight="balanced", **FAST).fit(X, y)


CHECKED = dict(
    layers=[16], max_epochs=40, learning_rate=1e-2, batch_size=32, random_state=0, n_jobs=1
)
# Networks compute in float32: a row's prediction can move by 1e-7 with the batch it is
# in, where this check allows 1e-7 relative (the classifier's argmax does not move).
FLOAT32 = {"check_methods_subset_invariance": "float32 products vary by ~1e-7 with the batch"}


@pytest.mark.slow
@parametrize_with_checks(
    [NeuralClassifier(**CHECKED), NeuralRegressor(**CHECKED)],
    expected_failed_checks=lambda estimator: (
        FLOAT32 if isinstance(estimator, NeuralRegressor) else {}
    ),
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
