"""Sources read by a real Spark (local[2]) into the Parquet lake, then the warehouse."""

import json

import duckdb
import pandas as pd
import pytest
import sqlalchemy

from atelier import Project
from atelier.exceptions import EngineError, SourceError
from atelier.scale import lake_folder
from atelier.warehouse import ingest
from tests.scale.conftest import SPARK

pytestmark = pytest.mark.slow

KEY = "k" * 40
# French spreadsheet conventions: latin-1, semicolons, decimal commas, day-first dates.
CUSTOMERS = (
    "Customer ID;Nom;E-mail;Region;Monthly Fee;Signed\n"
    "C1;Zoé Martin;zoe.martin@example.org;Nord;10,5;03/01/2024\n"
    "C2;Éric Petit;eric.petit@example.com;Sud;20,0;17/02/2024\n"
    "C3;Ana Roux;ana.roux@example.net;Nord; 7,25;28/03/2024\n"
)
PLANS = [{"plan": "P1", "label": "Basic", "since": "2024-01-03"}, {"plan": "P2", "label": "Plus"}]


def shop(root, engine: str, **customers) -> Project:
    from tests.conftest import write_charter

    (root / "customers.csv").write_bytes(CUSTOMERS.encode("latin-1"))
    (root / "plans.json").write_text(json.dumps(PLANS))
    pd.DataFrame({"plan": ["P1", "P2"], "fee": [10.5, 20.0]}).to_parquet(root / "fees.parquet")
    write_charter(
        root,
        {
            "customers": {"kind": "csv", "path": "customers.csv", "key": "Customer ID"} | customers,
            "plans": {"kind": "json", "path": "plans.json", "key": "plan"},
            "fees": {"kind": "parquet", "path": "fees.parquet", "key": "plan"},
        },
        {"table": "customers", "base": "customers"},
        engine=engine,
        spark=SPARK,
        privacy={
            "policy": {
                "customers.E-mail": {"action": "pseudonymise"},
                "customers.Nom": {"action": "drop"},
            }
        },
    )
    return Project.load(root)


def table(project: Project, name: str) -> list[tuple]:
    with project.connect() as connection:
        columns = [row[0] for row in connection.execute(f"DESCRIBE {name}").fetchall()]
        kept = ", ".join(f'"{c}"' for c in columns if not c.startswith("_atelier_loaded"))
        return connection.execute(f"SELECT {kept} FROM {name} ORDER BY 1").fetchall()


def schema(project: Project, name: str) -> list[tuple]:
    with project.connect() as connection:
        return [row[:2] for row in connection.execute(f"DESCRIBE {name}").fetchall()]


def test_the_lake_gives_the_warehouse_the_same_tables_as_duckdb(tmp_path, spark, monkeypatch):
    monkeypatch.setenv("ATELIER_PSEUDO_KEY", KEY)
    (tmp_path / "duck").mkdir(), (tmp_path / "spark").mkdir()
    by_duckdb = shop(tmp_path / "duck", "duckdb")
    by_spark = shop(tmp_path / "spark", "spark")
    ingest(by_duckdb)
    result = ingest(by_spark)
    for name in ("raw.customers", "raw.plans", "raw.fees", "staging.customers", "mart.customers"):
        assert schema(by_spark, name) == schema(by_duckdb, name), name
        assert table(by_spark, name) == table(by_duckdb, name), name
    rows = table(by_spark, "raw.customers")
    assert [row[0] for row in rows] == ["C1", "C2", "C3"]
    columns = [column for column, _ in schema(by_spark, "raw.customers")]
    assert columns[:5] == ["Customer ID", "E-mail", "Region", "Monthly Fee", "Signed"]
    assert [row[3] for row in rows] == [10.5, 20.0, 7.25]  # decimal commas
    assert all(len(row[1]) == 32 and "@" not in row[1] for row in rows)  # pseudonyms
    customers = next(load for load in result.sources if load.name == "customers")
    assert customers.details["engine"] == "spark" and customers.details["lake_rows"] == 3


def test_the_lake_is_parquet_partitioned_with_lineage(tmp_path, spark, monkeypatch):
    monkeypatch.setenv("ATELIER_PSEUDO_KEY", KEY)
    project = shop(tmp_path, "spark", partition_by=["region"])
    ingest(project)
    folder = lake_folder(project.state_dir, "raw", "customers")
    assert sorted(p.name for p in folder.glob("Region=*")) == ["Region=Nord", "Region=Sud"]
    manifest = json.loads((folder / "_atelier.json").read_text())
    assert manifest["partition_by"] == ["Region"] and manifest["rows"] == 3
    assert [rule["column"] for rule in manifest["rules"]] == ["Nom", "E-mail"]
    files = str(folder / "**" / "*.parquet")
    lineage = duckdb.sql(
        f"SELECT DISTINCT _atelier_source, _atelier_source_hash FROM read_parquet('{files}')"
    ).fetchall()
    assert lineage == [("customers", manifest["content_hash"])]
    with project.connect() as connection:
        loads = connection.execute("SELECT source, row_count FROM lineage ORDER BY 1").fetchall()
    assert loads == [("customers", 3), ("fees", 2), ("plans", 2)]
    assert table(project, "raw.customers")[0][2] == "Nord"  # the partition read back as text


def test_unchanged_sources_keep_their_lake_copy(tmp_path, spark, monkeypatch):
    monkeypatch.setenv("ATELIER_PSEUDO_KEY", KEY)
    project = shop(tmp_path, "spark")
    ingest(project)
    folder = lake_folder(project.state_dir, "raw", "customers")
    written = {p.name for p in folder.glob("*.parquet")}
    ingest(project)
    assert {p.name for p in folder.glob("*.parquet")} == written
    ingest(project, force=True)
    assert {p.name for p in folder.glob("*.parquet")} != written


def test_a_job_killed_part_way_leaves_the_lake_as_it_was(tmp_path, spark, monkeypatch):
    monkeypatch.setenv("ATELIER_PSEUDO_KEY", KEY)
    project = shop(tmp_path, "spark")
    ingest(project)
    folder = lake_folder(project.state_dir, "raw", "customers")
    before = (folder / "_atelier.json").read_text()
    (tmp_path / "customers.csv").write_bytes(CUSTOMERS.replace("Nord", "Est").encode("latin-1"))

    def killed(aside, target):
        raise KeyboardInterrupt

    monkeypatch.setattr("atelier.scale._lake.swap_folder", killed)
    with pytest.raises(KeyboardInterrupt):
        ingest(project)
    assert (folder / "_atelier.json").read_text() == before
    assert [row[2] for row in table(project, "raw.customers")] == ["Nord", "Sud", "Nord"]
    monkeypatch.undo()
    monkeypatch.setenv("ATELIER_PSEUDO_KEY", KEY)
    ingest(project)  # the next run cleans the half-written copy away
    assert sorted(p.name for p in folder.parent.iterdir()) == ["customers", "fees", "plans"]
    assert [row[2] for row in table(project, "raw.customers")] == ["Est", "Sud", "Est"]


def test_a_type_guessed_from_early_rows_is_retried_on_every_row(tmp_path, spark):
    from tests.conftest import write_charter

    lines = "".join(f"{index},x\n" for index in range(30_000))
    (tmp_path / "late.csv").write_text("code,flag\n" + lines + "AB-12,y\n")
    write_charter(
        tmp_path, {"late": {"kind": "csv", "path": "late.csv"}}, engine="spark", spark=SPARK
    )
    result = ingest(Project.load(tmp_path))
    assert result.sources[0].rows == 30_001
    assert ("code", "VARCHAR") in result.tables[0].columns


def test_a_partition_column_that_does_not_exist_is_named(tmp_path, spark, monkeypatch):
    monkeypatch.setenv("ATELIER_PSEUDO_KEY", KEY)
    project = shop(tmp_path, "spark", partition_by=["Nom"])  # dropped by the policy
    with pytest.raises(SourceError, match=r"sources.customers.partition_by: no column 'Nom'"):
        ingest(project)
    assert not project.warehouse_path.exists()


@pytest.mark.servers
def test_a_database_table_is_read_over_jdbc(tmp_path, spark):
    from tests.conftest import write_charter

    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("DROP TABLE IF EXISTS lake_invoices"))
        connection.execute(
            sqlalchemy.text("CREATE TABLE lake_invoices (id VARCHAR(5), amount DOUBLE PRECISION)")
        )
        connection.execute(
            sqlalchemy.text("INSERT INTO lake_invoices VALUES ('a', 1.5), ('b', NULL)")
        )
    try:
        write_charter(
            tmp_path,
            {"invoices": {"kind": "sql", "url": url, "table": "lake_invoices"}},
            target={"column": "amount"},
            engine="spark",
            spark=SPARK,
        )
        project = Project.load(tmp_path)
        result = ingest(project)
        assert result.sources[0].details["reader"] == "spark jdbc"
        assert table(project, "raw.invoices") == [
            ("a", 1.5, "invoices", result.sources[0].content_hash),
            ("b", None, "invoices", result.sources[0].content_hash),
        ]
    finally:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text("DROP TABLE lake_invoices"))
        engine.dispose()


def test_a_refused_jdbc_connection_is_one_line_without_the_password(tmp_path, spark, monkeypatch):
    from tests.conftest import write_charter

    monkeypatch.setenv("ATELIER_TEST_DB_PASSWORD", "s3cret-value")
    url = "postgresql+psycopg://reader:${ATELIER_TEST_DB_PASSWORD}@127.0.0.1:1/test"
    write_charter(
        tmp_path,
        {"invoices": {"kind": "sql", "url": url, "table": "invoices"}},
        engine="spark",
        spark=SPARK,
    )
    with pytest.raises(
        SourceError, match=r"^source 'invoices': cannot read .*\*\*\*.* over JDBC"
    ) as caught:
        ingest(Project.load(tmp_path))
    assert "\n" not in str(caught.value) and "s3cret-value" not in str(caught.value)


def test_no_java_and_no_master_are_one_line_each(tmp_path, monkeypatch):
    from atelier.charter import SparkSettings
    from atelier.scale import spark_session

    with pytest.raises(EngineError, match=r"^spark.master 'spark://127.0.0.1:1': no Spark master"):
        spark_session(SparkSettings(master="spark://127.0.0.1:1"))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EngineError, match=r"^engine: spark needs Java 17"):
        spark_session(SparkSettings())


def test_a_forgotten_person_leaves_the_lake_and_stays_out(tmp_path, spark, monkeypatch):
    from atelier.privacy._forget import forget

    monkeypatch.setenv("ATELIER_PSEUDO_KEY", KEY)
    project = shop(tmp_path, "spark", partition_by=["region"])
    ingest(project)
    folder = lake_folder(project.state_dir, "raw", "customers")
    files = str(folder / "**" / "*.parquet")

    def lake_keys():
        rows = duckdb.sql(f"SELECT \"Customer ID\" FROM read_parquet('{files}') ORDER BY 1")
        return [row[0] for row in rows.fetchall()]

    outcome = forget(project, "customer_id", "C2")
    assert outcome.rows_removed["lake.customers"] == 1
    assert lake_keys() == ["C1", "C3"]
    assert json.loads((folder / "_atelier.json").read_text())["rows"] == 2
    # the source changes: Spark writes the lake again, and leaves the person out
    (tmp_path / "customers.csv").write_bytes(CUSTOMERS.replace("Nord", "Est").encode("latin-1"))
    ingest(project)
    assert lake_keys() == ["C1", "C3"]
    assert [row[0] for row in table(project, "raw.customers")] == ["C1", "C3"]
