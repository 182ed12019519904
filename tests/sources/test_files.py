import json
import sqlite3

import duckdb
import pandas as pd
import pytest

from atelier.charter import ExcelSource, JsonSource, ParquetSource, SqliteSource
from atelier.exceptions import SourceError
from atelier.sources import snapshot_source


def rows_of(snapshot) -> list[tuple]:
    if snapshot.load_arrow is not None:
        return duckdb.from_arrow(snapshot.load_arrow()).fetchall()
    return duckdb.sql(f"SELECT * FROM {snapshot.table_expression}").fetchall()


@pytest.mark.parametrize("layout", ["array", "lines"])
def test_json_arrays_and_json_lines(tmp_path, layout):
    records = [{"id": 1, "tags": "a"}, {"id": 2, "tags": None}]
    path = tmp_path / "r.json"
    if layout == "array":
        path.write_text(json.dumps(records))
    else:
        path.write_text("".join(json.dumps(record) + "\n" for record in records))
    snapshot = snapshot_source("r", JsonSource(kind="json", path=str(path)), tmp_path, tmp_path)
    assert rows_of(snapshot) == [(1, "a"), (2, None)]


def test_parquet_keeps_its_types(tmp_path):
    path = tmp_path / "p.parquet"
    pd.DataFrame({"id": [1, 2], "when": pd.to_datetime(["2024-01-01", "2024-02-01"])}).to_parquet(
        path
    )
    snapshot = snapshot_source(
        "p", ParquetSource(kind="parquet", path=str(path)), tmp_path, tmp_path
    )
    relation = duckdb.sql(f"SELECT * FROM {snapshot.table_expression}")
    assert [str(t) for t in relation.dtypes] == ["BIGINT", "TIMESTAMP"]


def test_excel_sheet_by_name_with_mixed_types_kept_as_text(tmp_path):
    path = tmp_path / "w.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"a": [1]}).to_excel(writer, sheet_name="first", index=False)
        pd.DataFrame({"id": [1, 2, 3], "code": [10, "B7", None]}).to_excel(
            writer, sheet_name="second", index=False
        )
    spec = ExcelSource(kind="excel", path=str(path), sheet="second")
    snapshot = snapshot_source("w", spec, tmp_path, tmp_path)
    assert rows_of(snapshot) == [(1, "10"), (2, "B7"), (3, None)]


def test_excel_missing_sheet_and_non_workbook_are_named(tmp_path):
    path = tmp_path / "w.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(path, sheet_name="only", index=False)
    spec = ExcelSource(kind="excel", path=str(path), sheet="payments")
    with pytest.raises(
        SourceError, match=r"^source 'w': .*w\.xlsx has no sheet 'payments' \(sheets: \['only'\]\)"
    ):
        snapshot_source("w", spec, tmp_path, tmp_path).load_arrow()
    fake = tmp_path / "fake.xlsx"
    fake.write_text("id,name\n")
    with pytest.raises(SourceError, match=r"fake\.xlsx is not an Excel \.xlsx workbook"):
        snapshot_source(
            "w", ExcelSource(kind="excel", path=str(fake)), tmp_path, tmp_path
        ).load_arrow()


def test_sqlite_table_and_query(tmp_path):
    path = tmp_path / "db.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE bills (id TEXT, amount REAL)")
        connection.executemany("INSERT INTO bills VALUES (?, ?)", [("a", 1.5), ("b", None)])
    connection.close()
    table = SqliteSource(kind="sqlite", path=str(path), table="bills")
    assert rows_of(snapshot_source("s", table, tmp_path, tmp_path)) == [("a", 1.5), ("b", None)]
    query = SqliteSource(
        kind="sqlite", path=str(path), query="SELECT id FROM bills WHERE amount > 1"
    )
    assert rows_of(snapshot_source("s", query, tmp_path, tmp_path)) == [("a",)]
    missing = SqliteSource(kind="sqlite", path=str(path), table="invoices")
    with pytest.raises(
        SourceError, match=r"no table 'invoices' in .*db\.sqlite \(tables: \['bills'\]\)"
    ):
        snapshot_source("s", missing, tmp_path, tmp_path).load_arrow()


def test_sqlite_missing_file_is_not_created(tmp_path):
    spec = SqliteSource(kind="sqlite", path="absent.sqlite", table="t")
    with pytest.raises(SourceError, match="file not found"):
        snapshot_source("s", spec, tmp_path, tmp_path)
    assert not (tmp_path / "absent.sqlite").exists()
