"""Ingest benchmark: atelier's ingest (raw + staging + mart) against DuckDB's bare load.

Generates a CSV of 5 million rows x 20 mixed columns (once, under bench/.data/),
then, in one run and in turn, times each contender in a fresh process under
``/usr/bin/time -v`` (wall time and peak resident memory), three times each:

- ``duckdb read_csv``: ``CREATE TABLE t AS SELECT * FROM read_csv(file)`` into a new
  DuckDB file, the floor;
- ``atelier ingest``: ``atelier ingest -p PROJECT`` on a project whose one source is
  that file, from an empty warehouse (hash, sniffing, raw, staging, mart, lineage,
  diagram and artifacts included).

Usage: ``python bench/ingest.py [--rows 5000000] [--repeats 3]``; prints a Markdown
table for docs/benchmarks.md.
"""

import argparse
import platform
import shutil
import statistics
import sys
import tempfile
import textwrap
from pathlib import Path

import duckdb

from _measure import timed

DATA_DIR = Path(__file__).parent / ".data"


def generate_csv(path: Path, rows: int) -> None:
    """20 columns: ids, integers, decimals, categories, text, dates, booleans, missing values."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    query = f"""
        SELECT
            i AS customer_id,
            'C' || lpad(CAST(i AS VARCHAR), 8, '0') AS customer_code,
            (h(i) % 90) + 18 AS age,
            round((h(i * 7) % 100000) / 100.0, 2) AS monthly_charges,
            round((h(i * 11) % 1000000) / 10.0, 1) AS total_charges,
            ['Month-to-month', 'One year', 'Two year'][1 + h(i * 3) % 3] AS contract,
            ['DSL', 'Fiber optic', 'No'][1 + h(i * 5) % 3] AS internet_service,
            ['Electronic check', 'Mailed check', 'Bank transfer', 'Credit card'][1 + h(i) % 4]
                AS payment_method,
            h(i * 13) % 2 = 0 AS paperless_billing,
            DATE '2015-01-01' + CAST(h(i * 17) % 3000 AS INTEGER) AS signup_date,
            TIMESTAMP '2024-01-01' + to_seconds(CAST(h(i * 19) % 31536000 AS BIGINT))
                AS last_contact,
            CASE WHEN h(i * 23) % 20 = 0 THEN NULL ELSE h(i * 23) % 500 END AS support_calls,
            (h(i * 29) % 10000) / 3.0 AS usage_gb,
            ['Paris', 'Lyon', 'Marseille', 'Lille', 'Nantes', 'Bordeaux'][1 + h(i * 31) % 6]
                AS city,
            'note ' || CAST(h(i * 37) % 100000 AS VARCHAR) AS comment,
            h(i * 41) % 5 AS satisfaction,
            h(i * 43) % 2 AS senior_citizen,
            round((h(i * 47) % 10000) / 1000.0, 3) AS discount_rate,
            ['Yes', 'No'][1 + h(i * 53) % 2] AS churn,
            CASE WHEN h(i * 59) % 10 = 0 THEN NULL ELSE 'segment ' || (h(i * 59) % 12) END
                AS segment
        FROM range({rows}) AS t(i)
    """
    partial = path.with_suffix(".partial.csv")
    with duckdb.connect() as connection:
        # hash() is an unsigned 64-bit integer; a signed one indexes lists.
        connection.execute("CREATE MACRO h(x) AS CAST(hash(x) % 1000000007 AS BIGINT)")
        connection.execute(f"COPY ({query}) TO '{partial}' (HEADER, DELIMITER ',')")
    partial.replace(path)


def duckdb_bare(csv: Path, scratch: Path) -> list[str]:
    database = scratch / "bare.duckdb"
    code = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
        'c.execute("CREATE TABLE t AS SELECT * FROM read_csv(\'" + sys.argv[2] + "\')"); c.close()'
    )
    database.unlink(missing_ok=True)
    return [sys.executable, "-c", code, str(database), str(csv)]


def atelier_ingest(csv: Path, scratch: Path) -> list[str]:
    project = scratch / "project"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    (project / "atelier.yaml").write_text(
        textwrap.dedent(f"""\
        project:
          name: bench
          question: How fast is ingest?
          decision: none
          kpi: {{name: seconds}}
        costs: {{false_positive: 1, false_negative: 1}}
        sources:
          customers: {{kind: csv, path: "{csv}", key: customer_id}}
        mart: {{table: customers, base: customers}}
        target: {{column: churn}}
        """)
    )
    atelier = Path(sys.executable).with_name("atelier")
    return [str(atelier), "ingest", "-p", str(project)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    csv = DATA_DIR / f"ingest_{arguments.rows}.csv"
    generate_csv(csv, arguments.rows)
    contenders = {"duckdb read_csv (floor)": duckdb_bare, "atelier ingest": atelier_ingest}
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    with tempfile.TemporaryDirectory(dir=DATA_DIR) as scratch:
        for _ in range(arguments.repeats):  # interleaved, so drift hits both alike
            for name, command in contenders.items():
                run = timed(command(csv, Path(scratch)))
                results[name].append((run.wall_s, run.peak_mib))
    floor = statistics.median(wall for wall, _ in results["duckdb read_csv (floor)"])
    size_mib = csv.stat().st_size / 2**20
    print(
        f"{arguments.rows:,} rows x 20 columns, {size_mib:,.0f} MiB CSV; "
        f"median of {arguments.repeats}; duckdb {duckdb.__version__}, "
        f"python {platform.python_version()}, {platform.machine()}"
    )
    print()
    print("| contender | wall (s), median | ratio to floor | peak RSS (MiB), max |")
    print("|---|---:|---:|---:|")
    for name, runs in results.items():
        wall = statistics.median(run[0] for run in runs)
        peak = max(run[1] for run in runs)
        print(f"| {name} | {wall:.2f} | {wall / floor:.2f}x | {peak:,.0f} |")


if __name__ == "__main__":
    main()
