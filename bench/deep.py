"""Deep-learning benchmark: atelier's networks against LightGBM and RealMLP, same budget.

The five data sets and the fixed split of ``bench/automl.py`` (75/25, seed 0). For
each data set, one fit in a fresh process on 2 cores (``bench/deep_runner.py``):
atelier's AutoML restricted to its neural families, LightGBM with default parameters,
atelier's AutoML without and with the neural families, all at the same budget, and
the anchor RealMLP (``pytabkit``, its tuned defaults, no search) in an environment of
its own (``bench/.envs/deep-anchors``: PyTorch's CPU build, then pytabkit). Scores on
the test part: ROC AUC (binary), log loss (multiclass), RMSE (regression); the table
also reports the gap of each system to LightGBM in percent of LightGBM's score (the
sign turned so that positive is better), and the networks' training throughput.

Usage: ``python bench/deep.py [--budget 60] [--datasets churn default ...]``
"""

import argparse
import json
import os
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from _anchors import anchor_python
from _measure import timed
from automl import DATA_DIR, DATASETS, METRIC_NAMES, prepare, score

BENCH = Path(__file__).parent
ANCHORS = BENCH / ".envs" / "deep-anchors"
ANCHOR_PACKAGES = ["torch==2.13.0", "pytabkit==1.8.0", "pyarrow"]
RUNNER = BENCH / "deep_runner.py"
SYSTEMS = ("network", "lightgbm", "atelier", "atelier+nn", "realmlp")


def run_one(system: str, task: str, budget: int, folder: Path, anchors: str) -> dict:
    python = anchors if system == "realmlp" else sys.executable
    env = os.environ | {"OMP_NUM_THREADS": "2"}
    measure = timed(
        [python, str(RUNNER), system, task, str(budget), str(folder)],
        limit_s=int(budget * 4 + 300),
        env=env,
        check=False,
    )
    stem = f"deep-{system}-{budget:g}"
    if measure.returncode != 0 or not (folder / f"{stem}.npy").exists():
        tail = measure.stderr_tail.strip().splitlines()[-1:] or ["?"]
        return {"system": system, "error": tail[0], "wall_s": measure.wall_s}
    record = json.loads((folder / f"{stem}.json").read_text())
    value = score(task, folder, np.load(folder / f"{stem}.npy"))
    return {"system": system, "score": value, "wall_s": measure.wall_s, **record}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    arguments = parser.parse_args()
    anchors = anchor_python(ANCHORS, ANCHOR_PACKAGES)
    results = []
    for name in arguments.datasets:
        folder, task = prepare(name)
        for system in SYSTEMS:
            outcome = run_one(system, task, arguments.budget, folder, anchors)
            outcome |= {"dataset": name, "task": task, "budget": arguments.budget}
            results.append(outcome)
            print(json.dumps(outcome), flush=True)
    (DATA_DIR / "deep-results.json").write_text(json.dumps(results, indent=2))
    report(results)


def report(results: list[dict]) -> None:
    frame = pd.DataFrame(results)
    budget = int(frame["budget"].iloc[0])
    print()
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores, 2 used by each system; "
        f"budget {budget} s; one run per cell"
    )
    print()
    print("Test score (gap to LightGBM's defaults, + is better), fit wall s")
    print()
    print("| data set | metric | " + " | ".join(SYSTEMS) + " |")
    print("|---|---|" + "---:|" * len(SYSTEMS))
    for name, rows in frame.groupby("dataset", sort=False):
        task = rows["task"].iloc[0]
        sign = 1 if task == "binary" else -1
        by_system = rows.set_index("system")
        reference = by_system.loc["lightgbm"].get("score")
        cells = []
        for system in SYSTEMS:
            row = by_system.loc[system]
            if pd.isna(row.get("score")):
                cells.append(f"failed: {str(row.get('error', ''))[:40]}")
                continue
            gap = sign * (row["score"] - reference) / abs(reference) * 100 + 0.0  # no "-0.0"
            cells.append(f"{row['score']:.4f} ({gap:+.1f}%); {row['wall_s']:.0f} s")
        print(f"| {name} | {METRIC_NAMES[task]} | " + " | ".join(cells) + " |")
    print()
    print("Training throughput of the network chosen (rows per second per epoch, CPU)")
    print()
    print("| data set | network | atelier+nn |")
    print("|---|---:|---:|")
    for name, rows in frame.groupby("dataset", sort=False):
        by_system = rows.set_index("system")
        cells = []
        for system in ("network", "atelier+nn"):
            value = by_system.loc[system].get("rows_per_second_per_epoch")
            cells.append("–" if pd.isna(value) else f"{value:,.0f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
