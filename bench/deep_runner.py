"""One fit for the deep-learning benchmark, in its own process.

``python deep_runner.py SYSTEM TASK BUDGET DIR`` reads ``DIR/train.parquet`` and
``DIR/test.parquet`` (target column ``target``), fits SYSTEM on 2 cores, and writes
``DIR/deep-SYSTEM-BUDGET.npy`` (probabilities with the classes sorted, or values) and
``DIR/deep-SYSTEM-BUDGET.json`` (fit seconds and, for networks, the training
throughput). Systems:

- ``network``: atelier's AutoML restricted to its neural families (mlp, tabm);
- ``lightgbm``: LightGBM with its default parameters;
- ``atelier``: atelier's AutoML without the neural families;
- ``atelier+nn``: atelier's AutoML with them;
- ``realmlp``: RealMLP with its tuned defaults (``pytabkit``), in the anchors' environment.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

CORES = 2
NEURAL = ["mlp", "tabm"]
METRICS = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}


def fit(system: str, task: str, budget: float, X: pd.DataFrame, y: pd.Series):
    if system == "lightgbm":
        import lightgbm

        kind = lightgbm.LGBMRegressor if task == "regression" else lightgbm.LGBMClassifier
        X = as_categories(X)
        return kind(n_jobs=CORES, random_state=0, verbose=-1).fit(X, y), X.columns
    if system == "realmlp":
        from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor

        kind = RealMLP_TD_Regressor if task == "regression" else RealMLP_TD_Classifier
        # RealMLP refuses missing numbers: the training medians fill them (and the test's)
        numbers = X.select_dtypes("number")
        MEDIANS.update(numbers.median().to_dict())
        X = as_categories(X.fillna(MEDIANS))
        return kind(n_threads=CORES, random_state=0, device="cpu").fit(X, y), X.columns
    from atelier import AutoClassifier, AutoRegressor
    from atelier.learn._families import FAMILIES

    classical = [name for name in FAMILIES if name not in NEURAL]
    families = {"network": NEURAL, "atelier": classical, "atelier+nn": None}[system]
    kind = AutoRegressor if task == "regression" else AutoClassifier
    model = kind(
        time_budget=budget,
        metric=METRICS[task],
        families=families,
        n_jobs=CORES,
        random_state=0,
    )
    return model.fit(X, y), None


MEDIANS: dict = {}  # realmlp's imputation, learnt on the training rows


def as_categories(X: pd.DataFrame) -> pd.DataFrame:
    X = X.copy()
    for column in X.columns:
        if not pd.api.types.is_numeric_dtype(X[column]):
            X[column] = X[column].astype("category")
    return X


def predict(model, task: str, X: pd.DataFrame, columns) -> np.ndarray:
    if columns is not None:
        X = as_categories(X.fillna(MEDIANS))
    if task == "regression":
        return np.asarray(model.predict(X), dtype=np.float64)
    return np.asarray(model.predict_proba(X), dtype=np.float64)


def networks_in(estimator) -> list:
    """The fitted networks inside a pipeline, ensemble or target transformer."""
    if hasattr(estimator, "history_"):
        return [estimator]
    inner = [step for _, step in getattr(estimator, "steps", [])]
    inner += list(getattr(estimator, "members", []) or [])
    inner += [getattr(estimator, "regressor_", None)]
    return [network for part in inner if part is not None for network in networks_in(part)]


def throughput(model, rows: int) -> dict:
    """Rows per second per epoch of the first network in the chosen model, if any."""
    found = networks_in(getattr(model, "best_estimator_", model))
    if not found:
        return {}
    network = found[0]
    seconds = np.mean([row["seconds"] for row in network.history_])
    return {
        "rows_per_second_per_epoch": round(rows * (1 - network.validation_fraction) / seconds),
        "device": network.device_,
    }


def main() -> None:
    system, task, budget, folder = sys.argv[1], sys.argv[2], float(sys.argv[3]), Path(sys.argv[4])
    train = pd.read_parquet(folder / "train.parquet")
    test = pd.read_parquet(folder / "test.parquet")
    X, y = train.drop(columns="target"), train["target"]
    if task != "regression":
        y = y.astype(str)
    started = time.monotonic()
    model, columns = fit(system, task, budget, X, y)
    fit_s = time.monotonic() - started
    predictions = predict(model, task, test.drop(columns="target"), columns)
    stem = f"deep-{system}-{budget:g}"
    np.save(folder / f"{stem}.npy", predictions)
    record = {"fit_s": fit_s, **throughput(model, len(X))}
    (folder / f"{stem}.json").write_text(json.dumps(record))


if __name__ == "__main__":
    main()
