"""SQL sources against the real PostgreSQL and MariaDB servers on 127.0.0.1."""

import uuid
from decimal import Decimal

import duckdb
import pytest
import sqlalchemy

from atelier.charter import SqlSource
from atelier.exceptions import SourceError
from atelier.sources import snapshot_source

pytestmark = pytest.mark.servers

SERVERS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306/test",
}


@pytest.fixture(params=sorted(SERVERS))
def server_table(request):
    """A fresh table on a real server, dropped afterwards: (url, table name)."""
    url = SERVERS[request.param]
    table = f"invoices_{uuid.uuid4().hex[:8]}"
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sqlalchemy.text(
                f"CREATE TABLE {table} (customer_id VARCHAR(10) PRIMARY KEY, "
                "amount NUMERIC(10, 2), note VARCHAR(40))"
            )
        )
        connection.execute(
            sqlalchemy.text(f"INSERT INTO {table} VALUES ('C1', 12.50, 'é'), ('C2', NULL, NULL)")
        )
    yield url, table
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"DROP TABLE {table}"))
    engine.dispose()


def rows_of(snapshot) -> list[tuple]:
    return duckdb.from_arrow(snapshot.load_arrow()).order("customer_id").fetchall()


def test_table_and_query_from_a_real_server(tmp_path, server_table):
    url, table = server_table
    whole = snapshot_source("inv", SqlSource(kind="sql", url=url, table=table), tmp_path, tmp_path)
    assert rows_of(whole) == [("C1", Decimal("12.50"), "é"), ("C2", None, None)]
    query = SqlSource(
        kind="sql", url=url, query=f"SELECT customer_id FROM {table} WHERE amount > 1"
    )
    assert rows_of(snapshot_source("inv", query, tmp_path, tmp_path)) == [("C1",)]
    again = snapshot_source("inv", SqlSource(kind="sql", url=url, table=table), tmp_path, tmp_path)
    assert again.content_hash == whole.content_hash


def test_missing_table_lists_what_exists(tmp_path, server_table):
    url, table = server_table
    spec = SqlSource(kind="sql", url=url, table="no_such_table")
    with pytest.raises(SourceError, match=rf"no table 'no_such_table' in .*\(tables: .*{table}"):
        snapshot_source("inv", spec, tmp_path, tmp_path)


def test_failing_query_is_one_line(tmp_path, server_table):
    url, _ = server_table
    spec = SqlSource(kind="sql", url=url, query="SELECT nonsense FROM nowhere")
    with pytest.raises(SourceError, match=r"^source 'inv': query failed on ") as caught:
        snapshot_source("inv", spec, tmp_path, tmp_path)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://reader:${ATELIER_TEST_DB_PASSWORD}@127.0.0.1:1/test",
        "mysql+pymysql://reader:${ATELIER_TEST_DB_PASSWORD}@127.0.0.1:1/test",
    ],
)
def test_refused_connection_names_the_server_but_never_the_password(tmp_path, monkeypatch, url):
    monkeypatch.setenv("ATELIER_TEST_DB_PASSWORD", "hunter2-secret")
    spec = SqlSource(kind="sql", url=url, table="t")
    with pytest.raises(
        SourceError, match=r"^source 'inv': cannot connect to .*127\.0\.0\.1:1"
    ) as caught:
        snapshot_source("inv", spec, tmp_path, tmp_path)
    assert "hunter2-secret" not in str(caught.value)
    assert "***" in str(caught.value)
