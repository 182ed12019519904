"""Profile benchmark: atelier against ydata-profiling and skrub's TableReport.

Generates (once per size, under bench/.data/) a Parquet file of N rows x 50 mixed
columns with one anomaly of each kind planted (listed in PLANTED), plus 1,000 rows
exported twice (so N + 1,000 rows in all). Then, for each size in turn, times each
contender in a fresh process under ``/usr/bin/time -v``:

- ``duckdb SUMMARIZE`` (the floor): DuckDB's own column summary of the file;
- ``atelier profile``: ``atelier profile FILE --out DIR --target churn --key customer_id``;
- ``skrub TableReport``: read the file with pandas, write the report's HTML;
- ``ydata-profiling``: read the file with pandas, ``ProfileReport(df).to_file(html)``,
  with a time limit (it is known to take hours on large tables), only up to
  ``--ydata-rows`` rows.

The anchors are installed into an environment of their own (bench/.envs/), as they
pin versions that must not constrain atelier's. ``--big`` also profiles a
20,000,000-row file with DuckDB's memory capped at 2 GB.

(Named ``profiling.py``: a ``profile.py`` in ``bench/`` would shadow the standard library's
module, which PyTorch imports, in every script run from this folder.)

Usage: ``python bench/profiling.py [--sizes 1000 200000 1000000] [--ydata-rows 200000]
[--limit 600] [--big]``
"""

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

import duckdb

from _anchors import anchor_python
from _measure import Measure, timed

BENCH = Path(__file__).parent
DATA_DIR = BENCH / ".data"
ANCHORS = BENCH / ".envs" / "profile-anchors"
ANCHOR_PACKAGES = ["ydata-profiling==4.18.4", "skrub==0.11.0", "pyarrow"]
DUPLICATED = 1_000
PROFILE_OPTIONS = ["--target", "churn", "--key", "customer_id"]
FILLERS = 16

# (finding kind, column or None): what atelier must find in the generated file.
PLANTED = [
    ("missing", "income"),
    ("disguised_missing", "city"),
    ("disguised_missing", "score"),
    ("duplicate_rows", None),
    ("duplicate_key", "customer_id"),
    ("constant", "country"),
    ("near_constant", "flag"),
    ("high_cardinality", "store"),
    ("identifier", "customer_id"),
    ("inconsistent_categories", "segment"),
    ("mixed_types", "zip_code"),
    ("out_of_range", "age"),
    ("out_of_range", "signup_date"),
    ("outliers", "amount"),
    ("skewed", "revenue"),
    ("correlated", "revenue_eur"),
    ("imbalance", "churn"),
    ("leakage", "account_status"),
    ("personal_data", "contact"),
]


def generate(path: Path, rows: int) -> None:
    """The 50-column file: 18 planted columns, the target, and filler columns."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fillers = ",\n".join(
        [
            f"round((h(i * {101 + k}) % 100000) / 1000.0 + {k}, 3) AS num_{k:02d}"
            for k in range(FILLERS)
        ]
        + [f"'level ' || (h(i * {211 + k}) % {5 + k}) AS cat_{k:02d}" for k in range(FILLERS)]
    )
    query = f"""
        SELECT
            'C' || lpad(CAST(i AS VARCHAR), 8, '0') AS customer_id,
            CASE WHEN h(i * 2) % 20 = 0 THEN NULL ELSE 20000 + h(i * 3) % 80000 END AS income,
            CASE WHEN h(i * 5) % 100 = 0 THEN '?' WHEN h(i * 5) % 100 = 1 THEN ''
                 ELSE ['Paris', 'Lyon', 'Lille', 'Nantes'][1 + h(i * 7) % 4] END AS city,
            CASE WHEN h(i * 11) % 50 = 0 THEN -999 ELSE h(i * 13) % 100 END AS score,
            'FR' AS country,
            CASE WHEN h(i * 17) % 200 = 0 THEN 'Y' ELSE 'N' END AS flag,
            'store ' || (h(i * 19) % 50000) AS store,
            CASE h(i * 23) % 40 WHEN 0 THEN 'gold' WHEN 1 THEN 'GOLD'
                 ELSE ['Gold', 'Silver', 'Bronze'][1 + h(i * 29) % 3] END AS segment,
            CASE WHEN h(i * 31) % 50 = 0 THEN 'unknown-' || (h(i) % 9)
                 ELSE CAST(10000 + h(i * 37) % 90000 AS VARCHAR) END AS zip_code,
            CASE WHEN h(i * 41) % 500 = 0 THEN -5 ELSE 18 + h(i * 43) % 70 END AS age,
            CASE WHEN h(i * 47) % 1000 = 0 THEN DATE '2031-01-01'
                 ELSE DATE '2015-01-01' + CAST(h(i * 47) % 3000 AS INTEGER) END AS signup_date,
            CASE WHEN h(i * 53) % 1000 = 0 THEN 1e7
                 ELSE 100 + (h(i * 59) % 1000) / 10.0 END AS amount,
            exp((h(i * 61) % 1000) / 150.0) AS revenue,
            exp((h(i * 61) % 1000) / 150.0) * 1.1 + (h(i * 67) % 10) / 100.0 AS revenue_eur,
            CASE WHEN h(i * 71) % 20 = 0 THEN 'Yes' ELSE 'No' END AS churn,
            CASE WHEN h(i * 71) % 20 = 0 THEN 'closed' ELSE 'open' END AS account_status,
            'user' || i || '@example.org' AS contact,
            repeat('lorem ipsum ', CAST(3 + h(i * 73) % 10 AS INTEGER)) AS comment,
            {fillers}
        FROM range({rows}) AS t(i)
    """
    partial = path.with_suffix(".partial.parquet")
    with duckdb.connect() as connection:
        connection.execute("CREATE MACRO h(x) AS CAST(hash(x) % 1000000007 AS BIGINT)")
        connection.execute(f"CREATE TABLE t AS {query}")
        connection.execute(f"INSERT INTO t SELECT * FROM t LIMIT {DUPLICATED}")
        connection.execute(f"COPY (SELECT * FROM t) TO '{partial}' (FORMAT parquet)")
    partial.replace(path)


def folder_size_mib(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 200_000, 1_000_000])
    parser.add_argument("--ydata-rows", type=int, default=200_000, help="largest size for ydata")
    parser.add_argument("--limit", type=int, default=600, help="seconds for ydata-profiling")
    parser.add_argument("--big", action="store_true", help="also 20M rows, memory capped")
    arguments = parser.parse_args()
    anchors = anchor_python(ANCHORS, ANCHOR_PACKAGES)
    atelier = str(Path(sys.executable).with_name("atelier"))
    for size in arguments.sizes:
        data = DATA_DIR / f"profile_{size}.parquet"
        generate(data, size)
        with tempfile.TemporaryDirectory(dir=DATA_DIR) as scratch:
            rows, found = measure(data, Path(scratch), atelier, anchors, size, arguments)
        report(data, size, rows, found)
    if arguments.big:
        with tempfile.TemporaryDirectory(dir=DATA_DIR) as scratch:
            big = run_big(atelier, Path(scratch))
        print()
        print(
            f"20,000,000 rows with ATELIER_DUCKDB_MEMORY_LIMIT=2GB: {big.wall_s:.1f} s, "
            f"peak RSS {big.peak_mib:,.0f} MiB"
        )


def measure(data: Path, out: Path, atelier: str, anchors: str, size: int, arguments):
    """Each contender on one file: (name, measure, output MiB, output kind); atelier's findings."""
    rows: list[tuple[str, Measure, float | None, str]] = []
    summarize = [
        sys.executable,
        "-c",
        f"import duckdb; duckdb.sql(\"SUMMARIZE SELECT * FROM '{data}'\").fetchall()",
    ]
    rows.append(("duckdb SUMMARIZE (floor)", timed(summarize), None, ""))
    profile_dir = out / "atelier"
    run = timed([atelier, "profile", str(data), "--out", str(profile_dir), *PROFILE_OPTIONS])
    rows.append(("atelier profile", run, folder_size_mib(profile_dir), "result.json + 2 PNG"))
    skrub_html = out / "skrub.html"
    code = (
        "import pandas as pd, skrub, sys; "
        "skrub.TableReport(pd.read_parquet(sys.argv[1])).write_html(sys.argv[2])"
    )
    run = timed([anchors, "-c", code, str(data), str(skrub_html)])
    rows.append(("skrub TableReport", run, folder_size_mib(skrub_html), "HTML"))
    if size <= arguments.ydata_rows:
        ydata_html = out / "ydata.html"
        code = (
            "import pandas as pd, sys; from ydata_profiling import ProfileReport; "
            "ProfileReport(pd.read_parquet(sys.argv[1]), title='bench').to_file(sys.argv[2])"
        )
        run = timed([anchors, "-c", code, str(data), str(ydata_html)], limit_s=arguments.limit)
        size_mib = folder_size_mib(ydata_html) if ydata_html.exists() else None
        rows.append(("ydata-profiling (default)", run, size_mib, "HTML"))
    found = json.loads((profile_dir / "result.json").read_text())["findings"]
    return rows, found


def run_big(atelier: str, out: Path) -> Measure:
    big = DATA_DIR / "profile_20000000.parquet"
    generate(big, 20_000_000)
    env = os.environ | {"ATELIER_DUCKDB_MEMORY_LIMIT": "2GB"}
    command = [atelier, "profile", str(big), "--out", str(out / "big"), *PROFILE_OPTIONS]
    return timed(command, env=env)


def report(data: Path, size: int, rows, found: list[dict]) -> None:
    floor = rows[0][1].wall_s
    atelier_wall = rows[1][1].wall_s
    print()
    print(
        f"{size + DUPLICATED:,} rows x 50 columns, {data.stat().st_size / 2**20:,.1f} "
        f"MiB Parquet; duckdb {duckdb.__version__}, python {platform.python_version()}, "
        f"{os.cpu_count()} cores; one run each"
    )
    print()
    print("| contender | wall (s) | vs atelier | vs floor | peak RSS (MiB) | output (MiB) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, run, output, kind in rows:
        wall = f"> {run.wall_s:.0f} (killed at the limit)" if run.timed_out else f"{run.wall_s:.2f}"
        shown = "-" if output is None else f"{output:.2f} ({kind})"
        print(
            f"| {name} | {wall} | {run.wall_s / atelier_wall:.1f}x | {run.wall_s / floor:.1f}x "
            f"| {run.peak_mib:,.0f} | {shown} |"
        )
    missed = [
        f"{kind} {column or '(rows)'}"
        for kind, column in PLANTED
        if not any(
            f["kind"] == kind and (column in f["columns"] if column else not f["columns"])
            for f in found
        )
    ]
    print()
    print(
        f"Planted anomalies found by atelier: {len(PLANTED) - len(missed)} of {len(PLANTED)}"
        + (f"; missed: {', '.join(missed)}" if missed else "")
    )


if __name__ == "__main__":
    main()
