import json

import duckdb
import numpy as np
import pytest
from PIL import Image

from atelier import Project
from atelier.exceptions import DataError, SchemaChangedError, SourceError, StageOrderError
from atelier.warehouse import LINEAGE_COLUMNS, ingest

CUSTOMERS = "Customer ID;Plan;Monthly Fee\nC1;P1;10,5\nC2;P2;20,0\nC3;P1; 7,25\n"
PLANS = [{"plan": "P1", "label": " Basic "}, {"plan": "P2", "label": "Cafe\u0301"}]


@pytest.fixture
def shop(tmp_path, make_project):
    """A two-source project: customers (CSV) joined to plans (JSON) on `plan`."""
    (tmp_path / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "plans.json").write_text(json.dumps(PLANS))
    return make_project(
        {
            "customers": {"kind": "csv", "path": "customers.csv", "key": "Customer ID"},
            "plans": {"kind": "json", "path": "plans.json", "key": "plan"},
        },
        {"table": "customers", "base": "customers", "joins": [{"source": "plans", "on": "plan"}]},
    )


def query(project: Project, sql: str) -> list[tuple]:
    with project.connect() as connection:
        return connection.execute(sql).fetchall()


def test_raw_keeps_the_source_and_adds_lineage_columns(shop):
    ingest(shop)
    columns = [row[0] for row in query(shop, "DESCRIBE raw.customers")]
    assert columns == ["Customer ID", "Plan", "Monthly Fee", *LINEAGE_COLUMNS]
    source, content_hash = query(
        shop, "SELECT DISTINCT _atelier_source, _atelier_source_hash FROM raw.customers"
    )[0]
    assert source == "customers" and content_hash.startswith("sha256:")


def test_staging_normalises_names_and_text_and_mart_joins(shop):
    ingest(shop)
    assert query(shop, "SELECT * FROM staging.plans ORDER BY plan") == [
        ("P1", "Basic"),
        ("P2", "Café"),  # trimmed, and NFC: one code point for é
    ]
    assert len(query(shop, "SELECT label FROM staging.plans WHERE plan = 'P2'")[0][0]) == 4
    assert query(shop, "SELECT * FROM mart.customers ORDER BY customer_id") == [
        ("C1", "P1", 10.5, "Basic"),
        ("C2", "P2", 20.0, "Café"),
        ("C3", "P1", 7.25, "Basic"),
    ]


def test_lineage_records_each_load(shop):
    ingest(shop)
    rows = query(
        shop,
        "SELECT source, kind, location, row_count, column_count, duration_s >= 0 "
        "FROM lineage ORDER BY source",
    )
    assert [(row[0], row[1], row[3], row[4], row[5]) for row in rows] == [
        ("customers", "csv", 3, 3, True),
        ("plans", "json", 2, 2, True),
    ]
    assert rows[0][2].endswith("customers.csv")


def test_unchanged_sources_are_skipped_and_a_changed_one_reloads_alone(shop):
    first = ingest(shop)
    assert first.loaded == ["customers", "plans"]
    second = ingest(shop)
    assert second.loaded == [] and not second.mart_rebuilt
    (shop.root / "plans.json").write_text(json.dumps([*PLANS, {"plan": "P3", "label": "Max"}]))
    third = ingest(shop)
    assert third.loaded == ["plans"] and third.mart_rebuilt
    assert query(shop, "SELECT source, count(*) FROM lineage GROUP BY ALL ORDER BY 1") == [
        ("customers", 1),
        ("plans", 2),
    ]
    assert ingest(shop, force=True).loaded == ["customers", "plans"]


def test_a_failure_part_way_leaves_the_warehouse_as_it_was(shop):
    ingest(shop)
    before = query(shop, "SELECT * FROM mart.customers ORDER BY ALL")
    (shop.root / "customers.csv").write_text(CUSTOMERS + "C4;P2;1,0\n")  # loads fine...
    (shop.root / "plans.json").write_text(json.dumps([*PLANS, PLANS[0]]))  # ...then breaks the join
    with pytest.raises(DataError, match=r"source 'plans': key \['plan'\] is not unique"):
        ingest(shop)
    assert query(shop, "SELECT * FROM mart.customers ORDER BY ALL") == before
    assert query(shop, "SELECT count(*) FROM raw.customers") == [(3,)]
    assert query(shop, "SELECT count(*) FROM lineage") == [(2,)]


def test_a_failed_first_ingest_leaves_no_warehouse(shop):
    (shop.root / "plans.json").write_text(json.dumps([*PLANS, PLANS[0]]))
    with pytest.raises(DataError):
        ingest(shop)
    assert list(shop.state_dir.glob("*.duckdb*")) == []
    with pytest.raises(StageOrderError, match="run `atelier ingest"):
        shop.connect()


def test_schema_change_is_refused_unless_accepted(shop):
    ingest(shop)
    (shop.root / "customers.csv").write_text("Customer ID;Plan;Fee;Region\nC1;P1;1;N\nC2;P2;2;S\n")
    with pytest.raises(SchemaChangedError) as caught:
        ingest(shop)
    message = str(caught.value)
    assert message.startswith("source 'customers': schema changed since the last load")
    assert "column 'Monthly Fee' removed" in message
    assert "column 'Fee' added" in message and "column 'Region' added" in message
    assert "--allow-schema-change" in message
    result = ingest(shop, allow_schema_change=True)
    assert result.loaded == ["customers"]
    assert ("region", "VARCHAR") in result.tables[-1].columns


@pytest.mark.parametrize(
    ("plans", "expected"),
    [
        ([{"code": "P1"}], r"join column 'plan' is not in source 'plans' \(columns: \['code'\]\)"),
        (
            [{"plan": 1, "label": "x"}],
            r"column 'plan' is VARCHAR in 'customers' but BIGINT in 'plans'",
        ),
        ([PLANS[0], PLANS[0]], r"source 'plans': key \['plan'\] is not unique \(1 value\(s\)"),
    ],
)
def test_join_problems_are_named(shop, plans, expected):
    (shop.root / "plans.json").write_text(json.dumps(plans))
    with pytest.raises(DataError, match=expected):
        ingest(shop)


def test_join_column_absent_from_the_left_side(shop, make_project):
    (shop.root / "plans.json").write_text(json.dumps(PLANS))
    project = make_project(
        {
            "customers": {"kind": "csv", "path": "customers.csv"},
            "plans": {"kind": "json", "path": "plans.json"},
        },
        {"base": "customers", "joins": [{"source": "plans", "on": "label"}]},
    )
    with pytest.raises(DataError, match=r"join column 'label' is not in the tables joined before"):
        ingest(project)


def test_unmatched_rows_are_counted_not_dropped(shop):
    (shop.root / "plans.json").write_text(json.dumps(PLANS[:1]))
    result = ingest(shop)
    assert result.mart_rows == 3
    assert result.joins[0].unmatched_rows == 1


def test_text_is_typed_only_when_every_value_converts(tmp_path, make_project):
    (tmp_path / "mixed.csv").write_text(
        "a|b|c|d|e|f\n"
        "1|007|true|2024-01-31|Yes|1.5\n"
        "2|010|FALSE|2024-02-29|No|x\n"
        " 3 |  |true||Yes|2\n"
    )
    project = make_project({"mixed": {"kind": "csv", "path": "mixed.csv", "delimiter": "|"}})
    # DuckDB's sniffer would type these columns; force them to arrive as text, as
    # from an API or a spreadsheet, to exercise staging's own inference.
    from atelier.warehouse import _staging

    ingest(project)
    with project.connect(read_only=False) as connection:
        connection.execute(
            "CREATE OR REPLACE TABLE raw.mixed AS SELECT * FROM read_csv("
            f"'{tmp_path / 'mixed.csv'}', all_varchar=true, delim='|')"
        )
        columns = _staging.build_staging(connection, "mixed")
        rows = connection.execute("SELECT * FROM staging.mixed").fetchall()
    types = {column.name: column.type for column in columns}
    assert types == {
        "a": "BIGINT",
        "b": "VARCHAR",
        "c": "BOOLEAN",
        "d": "DATE",
        "e": "VARCHAR",
        "f": "VARCHAR",
    }
    assert [row[0] for row in rows] == [1, 2, 3]
    assert [row[1] for row in rows] == ["007", "010", ""]


def test_a_type_guessed_from_early_rows_is_retried_on_every_row(tmp_path, make_project):
    lines = "".join(f"{index},x\n" for index in range(30_000))
    (tmp_path / "late.csv").write_text("code,flag\n" + lines + "AB-12,y\n")
    project = make_project({"late": {"kind": "csv", "path": "late.csv"}})
    result = ingest(project)
    assert result.sources[0].rows == 30_001
    assert ("code", "VARCHAR") in result.tables[0].columns


def test_names_that_collide_in_snake_case_get_a_suffix(tmp_path, make_project):
    (tmp_path / "c.csv").write_text("Customer ID,customer_id,Total (€)\n1,2,3\n")
    project = make_project({"c": {"kind": "csv", "path": "c.csv"}})
    ingest(project)
    assert [row[0] for row in query(project, "DESCRIBE staging.c")] == [
        "customer_id",
        "customer_id_2",
        "total",
    ]


def test_a_source_removed_from_the_charter_is_dropped(shop, make_project):
    ingest(shop)
    project = make_project(
        {"customers": {"kind": "csv", "path": "customers.csv"}},
        {"table": "customers", "base": "customers"},
    )
    result = ingest(project)
    assert result.removed_sources == ["plans"]
    catalog = query(
        project,
        "SELECT table_schema, table_name, table_type FROM information_schema.tables "
        "WHERE table_schema <> 'audit' ORDER BY ALL",
    )
    assert catalog == [
        ("main", "lineage", "BASE TABLE"),
        ("mart", "customers", "VIEW"),  # no join: a copy would only duplicate staging
        ("raw", "customers", "BASE TABLE"),
        ("staging", "customers", "VIEW"),
    ]


def test_a_mart_with_joins_is_materialised_and_switches_back_to_a_view(shop, make_project):
    ingest(shop)
    assert query(
        shop, "SELECT table_type FROM information_schema.tables WHERE table_schema = 'mart'"
    ) == [("BASE TABLE",)]
    same_sources = {name: spec.model_dump() for name, spec in shop.charter.sources.items()}
    project = make_project(same_sources, {"table": "customers", "base": "customers"})
    result = ingest(project)
    assert result.mart_rebuilt and result.loaded == []
    assert query(
        project, "SELECT table_type FROM information_schema.tables WHERE table_schema = 'mart'"
    ) == [("VIEW",)]


def test_a_missing_source_fails_before_touching_the_warehouse(shop):
    ingest(shop)
    (shop.root / "plans.json").unlink()
    with pytest.raises(SourceError, match=r"^source 'plans': file not found"):
        ingest(shop)
    assert query(shop, "SELECT count(*) FROM mart.customers") == [(3,)]


def test_project_warehouse_is_read_only(shop):
    ingest(shop)
    assert shop.warehouse.execute("SELECT count(*) FROM mart.customers").fetchone() == (3,)
    with pytest.raises(duckdb.Error, match="read-only"):
        shop.warehouse.execute("DELETE FROM mart.customers")
    shop.close()


def test_artifacts_describe_the_run_and_draw_the_schema(shop):
    result = ingest(shop)
    folder = shop.artifact_dir("ingest")
    saved = json.loads((folder / "result.json").read_text())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert saved["mart_table"] == "mart.customers" and saved["mart_rows"] == 3
    # the sources' content, and the privacy rules and erasures that change what they load
    privacy = manifest["inputs"].pop("_privacy")
    assert manifest["inputs"] == {s.name: s.content_hash for s in result.sources}
    assert privacy.startswith("sha256:")
    assert manifest["versions"]["duckdb"] == duckdb.__version__
    assert [relation["parent"] for relation in saved["relations"]] == ["staging.plans"]
    image = np.asarray(Image.open(folder / "schema.png").convert("L"), dtype=float)
    assert image.shape[0] > 300 and image.shape[1] > 600
    assert image.std() > 20, "the diagram is not blank"
    assert not list(shop.artifacts_dir.glob(".ingest-*")), "no staged folder is left behind"


def test_text_numbers_from_a_spreadsheet_are_typed_in_staging(tmp_path, make_project):
    import pandas as pd

    sheet = pd.DataFrame({"id": ["1", "2"], "code": ["007", "012"], "when": ["2024-01-31", ""]})
    sheet.to_excel(tmp_path / "book.xlsx", index=False)
    project = make_project({"book": {"kind": "excel", "path": "book.xlsx"}})
    result = ingest(project)
    assert result.tables[0].columns == [("id", "BIGINT"), ("code", "VARCHAR"), ("when", "DATE")]
    assert query(project, "SELECT typeof(id), code FROM staging.book ORDER BY id") == [
        ("BIGINT", "007"),
        ("BIGINT", "012"),
    ]


def test_a_changed_or_forced_database_source_is_read_again(tmp_path, make_project):
    import sqlite3

    def write_invoices(rows):
        with sqlite3.connect(tmp_path / "billing.sqlite") as database:
            database.execute("DROP TABLE IF EXISTS invoices")
            database.execute("CREATE TABLE invoices (customer TEXT, amount REAL)")
            database.executemany("INSERT INTO invoices VALUES (?, ?)", rows)

    (tmp_path / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    write_invoices([("C1", 9.5), ("C2", 12.0)])
    project = make_project(
        {
            "customers": {"kind": "csv", "path": "customers.csv", "key": "Customer ID"},
            "billing": {"kind": "sqlite", "path": "billing.sqlite", "table": "invoices"},
        },
        {"table": "customers", "base": "customers"},
    )
    assert ingest(project).loaded == ["customers", "billing"]
    # the unchanged CSV is counted, then the changed database is read on the same connection
    write_invoices([("C1", 9.5), ("C2", 12.0), ("C3", 3.0)])
    assert ingest(project).loaded == ["billing"]
    # a forced reload looks each table up in the catalog before reading its source again
    assert ingest(project, force=True).loaded == ["customers", "billing"]
    assert query(project, "SELECT count(*) FROM raw.billing") == [(3,)]
