import json
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from atelier.exceptions import DataError
from atelier.quality import FINDING_KINDS, profile_file, profile_relation
from atelier.quality._result import MEDIA_FINDING_KINDS, TEXT_FINDING_KINDS

N = 200
DUPLICATES = 4


def _names(count: int) -> list[str]:
    """Distinct French names (Faker, seeded): detection reads values, not column names."""
    from faker import Faker

    fake = Faker("fr_FR")
    fake.seed_instance(7)
    return [f"{fake.first_name()} {fake.last_name()}" for _ in range(count)]


def planted_table() -> pd.DataFrame:
    """200 rows with one anomaly of each kind planted, counts known; then 4 exact copies."""
    rng = np.random.default_rng(7)
    index = np.arange(N)
    amount = rng.normal(100, 10, N)
    amount[[0, 1, 2]] = np.nan  # missing: 3
    amount[[3, 4]] = 1e6  # outliers: 2
    amount[[5, 6, 7, 8]] = -5  # out of range (an amount): 4
    code = np.array(["A", "B", "C", "D"], dtype=object)[index % 4]
    code[[10, 11, 12, 13, 14]] = "?"
    code[[15, 16]] = ""
    code[17] = "NA"  # disguised missing: 8
    sentinel = rng.integers(1, 50, N).astype(float)
    sentinel[20:26] = -999  # disguised missing (placeholder): 6
    status = np.where(index % 2 == 0, "Active", "Closed").astype(object)
    status[30:40] = "active"
    status[40:45] = "ACTIVE"  # inconsistent: 15 rows
    flag = np.array(["N"] * N, dtype=object)
    flag[50] = "Y"  # near constant: 1 row differs
    mixed = np.array([str(v) for v in rng.integers(1, 999, N)], dtype=object)
    mixed[60:70] = "abc"  # mixed types: 10
    born = np.array([date(1980, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 9000, N)])
    born[[70, 71, 72]] = date.today() + timedelta(days=400)  # out of range (future): 3
    target = np.where(index < 20, "yes", "no")  # imbalance: 20 of 200
    frame = pd.DataFrame(
        {
            "id": [f"R{i:04d}" for i in index],
            "amount": amount,
            "twin": np.nan_to_num(amount, nan=100) * 2 + rng.normal(0, 0.01, N),
            "code": code,
            "sentinel": sentinel,
            "status": status,
            "constant": "x",
            "flag": flag,
            "city": [f"city {i % 120}" for i in index],
            "mixed": mixed,
            "birth_date": born,
            "skewed": rng.lognormal(0, 1.5, N),
            "leak": np.where(target == "yes", "L1", "L0"),
            "full_name": _names(N),
            "contact": [f"user{i}@example.org" for i in index],
            "target": target,
        }
    )
    clean = [100, 101, 102, 103]  # rows without any planted anomaly
    return pd.concat([frame, frame.iloc[clean]], ignore_index=True)


@pytest.fixture(scope="module")
def planted():
    connection = duckdb.connect()
    frame = planted_table()
    connection.execute("CREATE TABLE planted AS SELECT * FROM frame")
    result = profile_relation(connection, "planted", table="planted", target="target", key=["id"])
    yield result, frame
    connection.close()


def one(result, kind, column=None):
    found = [f for f in result.findings_of(kind) if column is None or column in f.columns]
    assert len(found) == 1, (kind, column, [f.message for f in result.findings])
    return found[0]


@pytest.mark.parametrize(
    ("kind", "column", "rows"),
    [
        ("missing", "amount", 3),
        ("disguised_missing", "code", 8),
        ("disguised_missing", "sentinel", 6),
        ("duplicate_rows", None, DUPLICATES),
        ("duplicate_key", "id", 2 * DUPLICATES),
        ("constant", "constant", N + DUPLICATES),
        ("near_constant", "flag", 1),
        ("high_cardinality", "city", N + DUPLICATES),
        ("identifier", "id", N + DUPLICATES),
        ("inconsistent_categories", "status", 15),
        ("mixed_types", "mixed", 10),
        ("out_of_range", "amount", 4),
        ("out_of_range", "birth_date", 3),
        ("outliers", "amount", 2 + 4),  # the two 1e6, and the four -5 as well
        ("skewed", "skewed", N + DUPLICATES),
        ("imbalance", "target", 20),
        ("leakage", "leak", N + DUPLICATES),
        ("personal_data", "full_name", N + DUPLICATES),
        ("personal_data", "contact", N + DUPLICATES),
    ],
)
def test_each_planted_anomaly_is_found_with_its_count(planted, kind, column, rows):
    result, _ = planted
    found = (
        one(result, kind, column)
        if kind != "duplicate_rows"
        else next(f for f in result.findings_of(kind) if not f.columns)
    )
    assert found.rows == rows, found.message
    assert found.severity in {"info", "warning", "critical"}
    assert found.fix


def test_correlated_pair_and_every_kind_is_covered(planted):
    result, _ = planted
    pair = one(result, "correlated", "twin")
    assert set(pair.columns) == {"amount", "twin"}
    table_kinds = set(FINDING_KINDS) - set(MEDIA_FINDING_KINDS) - set(TEXT_FINDING_KINDS)
    # the kinds about files and texts are covered by tests/media and tests/text
    assert {finding.kind for finding in result.findings} == table_kinds


def test_no_finding_where_nothing_was_planted(planted):
    result, _ = planted
    assert [f.columns for f in result.findings_of("missing")] == [["amount"]]
    assert [f.columns for f in result.findings_of("inconsistent_categories")] == [["status"]]
    assert [f.columns for f in result.findings_of("leakage")] == [["leak"]]
    assert [f.columns for f in result.findings_of("mixed_types")] == [["mixed"]]


def test_semantic_types(planted):
    result, _ = planted
    types = {column.name: column.semantic_type for column in result.columns}
    assert types["id"] == "identifier"
    assert types["amount"] == "numeric"
    assert types["status"] == "categorical"
    assert types["constant"] == "constant"
    assert types["birth_date"] == "datetime"
    assert types["target"] == "boolean"


def test_statistics_agree_with_pandas(planted):
    result, frame = planted
    amount = result.column("amount")
    finite = frame["amount"].dropna()
    assert amount.missing == frame["amount"].isna().sum()
    assert amount.mean == pytest.approx(finite.mean(), rel=1e-9)
    assert amount.std == pytest.approx(finite.std(ddof=1), rel=1e-9)
    assert amount.skew == pytest.approx(finite.skew(), rel=1e-6)
    assert amount.minimum == finite.min() and amount.maximum == finite.max()
    assert sum(amount.histogram.counts) == len(finite)
    assert len(amount.histogram.edges) == len(amount.histogram.counts) + 1
    city = result.column("city")
    assert city.distinct == frame["city"].nunique() and not city.distinct_is_approximate
    counts = frame["status"].value_counts()
    assert {(v.value, v.count) for v in result.column("status").top_values} == set(counts.items())


def test_leakage_score_is_the_mann_whitney_auc(planted):
    _result, frame = planted
    # A numeric column that separates the classes perfectly: AUC 1 (or 0).
    frame = frame.assign(
        score=np.where(frame["target"] == "yes", 10.0, 0.0) + np.arange(len(frame)) * 1e-6
    )
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t AS SELECT * FROM frame")
    leaked = profile_relation(connection, "t", table="t", target="target")
    score = one(leaked, "leakage", "score").examples[0]
    positives = frame.loc[frame["target"] == "yes", "score"].to_numpy()
    negatives = frame.loc[frame["target"] == "no", "score"].to_numpy()
    pairs = positives[:, None] - negatives[None, :]
    auc = ((pairs > 0).sum() + 0.5 * (pairs == 0).sum()) / pairs.size
    assert score == pytest.approx(max(auc, 1 - auc), abs=1e-4)


def test_personal_data_never_shows(planted):
    result, frame = planted
    from atelier._artifacts import to_jsonable

    text = json.dumps(to_jsonable(result))
    for value in frame["contact"].tolist() + frame["full_name"].tolist():
        assert value not in text
    contact = result.column("contact")
    assert all("@" in v.value and "user" not in v.value for v in contact.top_values)


class _SelectOnly:
    """Answers ``execute`` as Spark's connection does, and nothing else DuckDB has."""

    def __init__(self, connection):
        self._connection = connection

    def execute(self, sql, parameters=None):
        return self._connection.execute(sql, parameters)


def test_personal_columns_judged_on_counts_on_a_shared_sample_or_per_column(tmp_path):
    """Counted columns are judged on their values, the others on one sample of rows
    (a read-only warehouse takes it) or, through Spark, on one per column: all agree."""
    from dataclasses import replace

    from atelier.personal._detect import SAMPLE_TABLE
    from atelier.quality._personal import find_personal_columns
    from atelier.quality._stats import column_statistics

    with duckdb.connect(str(tmp_path / "w.duckdb")) as writer:
        writer.register("frame", planted_table())
        writer.execute("CREATE TABLE planted AS SELECT * FROM frame")
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as reader:
        schema = [row[:2] for row in reader.execute("DESCRIBE planted").fetchall()]
        texts = [c for c in column_statistics(reader, "planted", schema) if c.family == "text"]
        assert all(column.value_counts for column in texts)  # 204 rows: all counted
        uncounted = [replace(column, value_counts=None) for column in texts]
        ways = [
            find_personal_columns(reader, "planted", texts, ["city"]),
            find_personal_columns(reader, "planted", uncounted, ["city"]),
            find_personal_columns(_SelectOnly(reader), "planted", uncounted, ["city"]),
        ]
        left = reader.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [SAMPLE_TABLE]
        ).fetchone()[0]
    assert ways[0] == ways[1] == ways[2]
    assert [(c.name, c.reason.split(":")[0]) for c in ways[0]] == [
        ("city", "declared in the charter"),
        ("full_name", "its values"),
        ("contact", "its values"),
    ]
    assert left == 0


def test_bad_inputs_are_clear(tmp_path):
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t AS SELECT 1 AS a, 'x' AS y")
    with pytest.raises(DataError, match=r"t: target column 'churn' does not exist"):
        profile_relation(connection, "t", table="t", target="churn")
    single = profile_relation(connection, "t", table="t", target="y")
    assert single.rows == 1
    assert one(single, "imbalance", "y").severity == "critical"  # a constant target
    connection.execute(
        "CREATE TABLE empty_col AS SELECT range AS a, NULL::VARCHAR AS b FROM range(5)"
    )
    found = profile_relation(connection, "empty_col", table="empty_col")
    assert "entirely missing" in one(found, "constant", "b").message
    connection.execute(
        "CREATE TABLE big AS SELECT repeat('é', 1_000_000) || range AS note FROM range(3)"
    )
    huge = profile_relation(connection, "big", table="big")
    assert all(len(str(v.value)) <= 80 for v in huge.column("note").top_values)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx", ".json"])
def test_a_single_file_profiles_without_a_project(tmp_path, suffix):
    frame = pd.DataFrame({"a": [1, 2, 2, None], "b": ["x", "y", "y", "?"]})
    path = tmp_path / f"data{suffix}"
    {
        ".csv": lambda: frame.to_csv(path, index=False),
        ".parquet": lambda: frame.to_parquet(path),
        ".xlsx": lambda: frame.to_excel(path, index=False),
        ".json": lambda: frame.to_json(path, orient="records"),
    }[suffix]()
    out = tmp_path / "out"
    result = profile_file(path, out)
    assert result.rows == 4
    assert {f.kind for f in result.findings} >= {"missing", "disguised_missing"}
    assert sorted(p.name for p in out.iterdir()) == [
        "distributions.png",
        "manifest.json",
        "missing.png",
        "result.json",
    ]
    saved = json.loads((out / "result.json").read_text())
    assert set(saved) == {
        "table",
        "rows",
        "columns",
        "findings",
        "target",
        "duration_s",
        "engine",
    } | {"approximate"}


def test_a_column_just_past_the_exact_limit_is_counted_once():
    # 1,000 distinct values that HyperLogLog estimates a little above 1,000: counted
    # exactly, and its top values are those counts (not counted a second time)
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE t AS SELECT 'store_' || (hash(range) % 1000) AS store FROM range(200000)"
    )
    assert connection.execute("SELECT approx_count_distinct(store) FROM t").fetchone()[0] > 1_000
    result = profile_relation(connection, "t", table="t")
    column = result.column("store")
    assert column.distinct == 1_000 and not column.distinct_is_approximate
    exact = connection.execute("SELECT count(*) FROM t GROUP BY store ORDER BY 1 DESC").fetchall()
    assert [top.count for top in column.top_values][:3] == [row[0] for row in exact[:3]]


def test_profiling_a_file_imports_neither_pandas_nor_scikit_learn_nor_matplotlib(tmp_path):
    """A small file's profile is mostly fixed cost: the libraries it never needs stay out."""
    import subprocess
    import sys

    rows = "\n".join(f"{i},{i % 7},{'yes' if i % 3 else 'no'}" for i in range(200))
    (tmp_path / "small.csv").write_text("id,level,answer\n" + rows + "\n")
    script = (
        "import sys\nfrom pathlib import Path\nfrom atelier.quality import profile_file\n"
        f"profile_file(Path({str(tmp_path / 'small.csv')!r}), Path({str(tmp_path / 'out')!r}), "
        "target='answer', key=['id'])\n"
        "print(sorted({'pandas', 'sklearn', 'torch', 'spacy', 'matplotlib'} & set(sys.modules)))"
    )
    process = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip() == "[]"
    assert (tmp_path / "out" / "result.json").is_file()


def test_text_checks_and_sentinels_agree_counted_or_not(monkeypatch):
    """Read from the distinct values of a counted column, or from every row: same counts."""
    from atelier.quality import _stats

    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES "
        "(' 12 ', -999.0, 1.5), ('n/a', 9999.0, NULL), ('  ', 3.0, 2.0), ('NULL', -999.0, 2.0), "
        "('text', NULL, 99999.0), (NULL, 7.0, 3.0), ('1e3', -999.0, 3.0), ('', 1.0, 4.0)"
        ") AS t(label, reading, amount)"
    )
    schema = [(row[0], row[1]) for row in connection.execute("DESCRIBE t").fetchall()]

    def measured():
        return [
            (c.empty_text, c.disguised_text, c.numeric_text, c.sentinels)
            for c in _stats.column_statistics(connection, "t", schema)
        ]

    counted = measured()
    assert counted[0][:3] == (2, 4, 2)  # '  ', ''; the same and 'n/a', 'NULL'; ' 12 ', '1e3'
    assert counted[1][3] == {-999: 3, 9999: 1} and counted[2][3] == {99999: 1}
    monkeypatch.setattr(_stats, "EXACT_COUNTS_LIMIT", 0)  # nothing counted: every row read
    assert measured() == counted
