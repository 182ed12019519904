"""One AutoML fit, in its own process: ``python automl_runner.py TOOL TASK BUDGET DIR SEED``.

Reads ``DIR/train.parquet`` and ``DIR/test.parquet`` (target column ``target``),
fits TOOL with BUDGET seconds on 2 cores and search seed SEED, predicts the test
rows (and times predicting 1,000 rows drawn from them), and writes
``DIR/TOOL-BUDGET-sSEED.npy`` (probabilities, classes sorted, or values) and
``DIR/TOOL-BUDGET-sSEED.json`` (fit and predict seconds). Runs in atelier's
environment for ``atelier`` and ``lightgbm`` (LightGBM with its default parameters,
no search), in the anchors' environment for ``flaml``, ``autogluon``
(``medium_quality``) and ``autogluon-best`` (``best_quality``).
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CORES = 2
# predict time: the median of this many calls on 1,000 rows (the mean of 5, used
# before 2026-12-05, moved by up to 30% between runs of the same model)
PREDICT_REPEATS = 21
METRICS = {
    "atelier": {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"},
    "flaml": {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"},
    "autogluon": {
        "binary": "roc_auc",
        "multiclass": "log_loss",
        "regression": "root_mean_squared_error",
    },
}
METRICS["autogluon-best"] = METRICS["autogluon"]
PRESETS = {"autogluon": "medium_quality", "autogluon-best": "best_quality"}


def fit_predict(tool, task, budget, seed, train: pd.DataFrame, test: pd.DataFrame):
    X, y = train.drop(columns="target"), train["target"]
    X_test = test.drop(columns="target")
    started = time.monotonic()
    if tool == "lightgbm":
        import lightgbm

        kind = lightgbm.LGBMRegressor if task == "regression" else lightgbm.LGBMClassifier
        model = _Categories(kind(n_jobs=CORES, random_state=seed, verbose=-1)).fit(X, y)
    elif tool == "atelier":
        from atelier import AutoClassifier, AutoRegressor

        kind = AutoRegressor if task == "regression" else AutoClassifier
        model = kind(
            time_budget=budget, metric=METRICS[tool][task], n_jobs=CORES, random_state=seed
        ).fit(X, y)
    elif tool == "flaml":
        from flaml import AutoML

        model = AutoML()
        model.fit(
            X,
            y,
            task="regression" if task == "regression" else "classification",
            metric=METRICS[tool][task],
            time_budget=budget,
            n_jobs=CORES,
            seed=seed,
            verbose=0,
        )
    else:
        from autogluon.tabular import TabularPredictor

        model = TabularPredictor(
            label="target",
            problem_type=task,  # a duration in whole days is no multiclass target
            eval_metric=METRICS[tool][task],
            path=tempfile.mkdtemp(prefix="autogluon-"),
            verbosity=0,
        ).fit(
            train,
            time_limit=budget,
            presets=PRESETS[tool],
            num_cpus=CORES,
            ag_args_fit={"random_seed": seed},
        )
    fit_s = time.monotonic() - started
    predictions = predict(model, task, X_test)
    thousand = X_test.sample(n=1_000, replace=True, random_state=0).reset_index(drop=True)
    predict(model, task, thousand)  # warm up lazy loading (AutoGluon reads models from disk)
    calls = []
    for _ in range(PREDICT_REPEATS):
        started = time.perf_counter()
        predict(model, task, thousand)
        calls.append(time.perf_counter() - started)
    predict_ms = float(np.median(calls)) * 1000
    return predictions, {"fit_s": fit_s, "predict_ms_per_1k": predict_ms}


class _Categories:
    """LightGBM on text columns as pandas categories, with the training levels."""

    def __init__(self, model):
        self.model = model

    def fit(self, X, y):
        self.levels = {c: X[c].astype("category").cat.categories for c in _texts(X)}
        self.model.fit(self._coded(X), y)
        return self

    def _coded(self, X):
        X = X.copy()
        for column, levels in self.levels.items():
            X[column] = pd.Categorical(X[column], categories=levels)
        return X

    def predict(self, X):
        return self.model.predict(self._coded(X))

    def predict_proba(self, X):
        return self.model.predict_proba(self._coded(X))


def _texts(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]


def predict(model, task: str, X: pd.DataFrame) -> np.ndarray:
    """Predicted values, or probabilities with the classes in sorted order."""
    if task == "regression":
        return np.asarray(model.predict(X), dtype=np.float64)
    proba = model.predict_proba(X)
    if isinstance(proba, pd.DataFrame):  # AutoGluon: one column per class, by name
        proba = proba[sorted(proba.columns, key=str)].to_numpy()
    return np.asarray(proba, dtype=np.float64)


def main() -> None:
    tool, task, budget = sys.argv[1], sys.argv[2], float(sys.argv[3])
    folder, seed = Path(sys.argv[4]).resolve(), int(sys.argv[5])
    os.chdir(tempfile.mkdtemp(prefix=f"{tool}-"))  # what a tool writes beside it (FLAML's
    # CatBoost writes catboost_* folders) stays out of the repository
    train = pd.read_parquet(folder / "train.parquet")
    test = pd.read_parquet(folder / "test.parquet")
    predictions, timings = fit_predict(tool, task, budget, seed, train, test)
    stem = f"{tool}-{budget:g}-s{seed}"
    np.save(folder / f"{stem}.npy", predictions)
    (folder / f"{stem}.json").write_text(json.dumps(timings))


if __name__ == "__main__":
    main()
