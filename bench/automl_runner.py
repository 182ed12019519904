"""One AutoML fit, in its own process: ``python automl_runner.py TOOL TASK BUDGET DIR``.

Reads ``DIR/train.parquet`` and ``DIR/test.parquet`` (target column ``target``),
fits TOOL with BUDGET seconds on 2 cores, predicts the test rows (and times
predicting 1,000 rows drawn from them), and writes
``DIR/TOOL-BUDGET.npy`` (probabilities, classes sorted, or values) and
``DIR/TOOL-BUDGET.json`` (fit and predict seconds). Runs in atelier's environment
for ``atelier`` and in the anchors' environment for ``flaml`` and ``autogluon``.
"""

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CORES = 2
PREDICT_REPEATS = 5  # predict time: the mean over this many calls on 1,000 rows
METRICS = {
    "atelier": {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"},
    "flaml": {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"},
    "autogluon": {
        "binary": "roc_auc",
        "multiclass": "log_loss",
        "regression": "root_mean_squared_error",
    },
}


def fit_predict(tool: str, task: str, budget: float, train: pd.DataFrame, test: pd.DataFrame):
    X, y = train.drop(columns="target"), train["target"]
    X_test = test.drop(columns="target")
    metric = METRICS[tool][task]
    started = time.monotonic()
    if tool == "atelier":
        from atelier import AutoClassifier, AutoRegressor

        kind = AutoRegressor if task == "regression" else AutoClassifier
        model = kind(time_budget=budget, metric=metric, n_jobs=CORES, random_state=0).fit(X, y)
    elif tool == "flaml":
        from flaml import AutoML

        model = AutoML()
        model.fit(
            X,
            y,
            task="regression" if task == "regression" else "classification",
            metric=metric,
            time_budget=budget,
            n_jobs=CORES,
            seed=0,
            verbose=0,
        )
    else:
        from autogluon.tabular import TabularPredictor

        model = TabularPredictor(
            label="target",
            eval_metric=metric,
            path=tempfile.mkdtemp(prefix="autogluon-"),
            verbosity=0,
        ).fit(train, time_limit=budget, presets="medium_quality", num_cpus=CORES)
    fit_s = time.monotonic() - started
    predictions = predict(model, task, X_test)
    thousand = X_test.sample(n=1_000, replace=True, random_state=0).reset_index(drop=True)
    predict(model, task, thousand)  # warm up lazy loading (AutoGluon reads models from disk)
    started = time.monotonic()
    for _ in range(PREDICT_REPEATS):
        predict(model, task, thousand)
    predict_ms = (time.monotonic() - started) / PREDICT_REPEATS * 1000
    return predictions, {"fit_s": fit_s, "predict_ms_per_1k": predict_ms}


def predict(model, task: str, X: pd.DataFrame) -> np.ndarray:
    """Predicted values, or probabilities with the classes in sorted order."""
    if task == "regression":
        return np.asarray(model.predict(X), dtype=np.float64)
    proba = model.predict_proba(X)
    if isinstance(proba, pd.DataFrame):  # AutoGluon: one column per class, by name
        proba = proba[sorted(proba.columns, key=str)].to_numpy()
    return np.asarray(proba, dtype=np.float64)


def main() -> None:
    tool, task, budget, folder = sys.argv[1], sys.argv[2], float(sys.argv[3]), Path(sys.argv[4])
    train = pd.read_parquet(folder / "train.parquet")
    test = pd.read_parquet(folder / "test.parquet")
    predictions, timings = fit_predict(tool, task, budget, train, test)
    stem = f"{tool}-{budget:g}"
    np.save(folder / f"{stem}.npy", predictions)
    (folder / f"{stem}.json").write_text(json.dumps(timings))


if __name__ == "__main__":
    main()
