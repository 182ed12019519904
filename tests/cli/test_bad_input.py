"""Each bad input of the foundation issue, through the command line, end to end.

A healthy project (CSV + Excel + paged HTTP API) is ingested once; then one thing is
broken, `atelier ingest` runs in a real process, and the test checks the exit code,
the one line on stderr naming the source, and that the warehouse did not change.
"""

import hashlib
import json

import duckdb
import pandas as pd
import pytest
import yaml

from tests.cli.test_cli import assert_one_line_error, atelier
from tests.conftest import json_api, json_body, write_charter

pytestmark = pytest.mark.slow

PLANS = [{"plan": "P1", "price": 10.0}, {"plan": "P2", "price": 20.0}]


class PlansApi:
    """What the plans API answers; a test switches it to a broken mode."""

    def __init__(self) -> None:
        self.mode = "healthy"

    def __call__(self, path, query):
        if self.mode == "error":
            return 500, "text/plain", b"internal error"
        if self.mode == "garbage":
            return 200, "text/html", b"<html>maintenance</html>"
        if self.mode == "no_key":
            return json_body({"items": [{"code": "P1"}]})
        if self.mode == "duplicate_key":
            return json_body({"items": [*PLANS, PLANS[0]]})
        return json_body({"items": PLANS})


@pytest.fixture
def healthy(tmp_path):
    """The ingested project, its API switch, and a fingerprint of its warehouse."""
    api = PlansApi()
    with json_api(api) as base:
        (tmp_path / "customers.csv").write_text(
            "customer_id;plan;fee\nC1;P1;1,5\nC2;P2;2,5\n", encoding="utf-8"
        )
        pd.DataFrame({"customer_id": ["C1", "C2"], "method": ["card", "cash"]}).to_excel(
            tmp_path / "payments.xlsx", sheet_name="payments", index=False
        )
        write_charter(
            tmp_path,
            {
                "customers": {"kind": "csv", "path": "customers.csv", "encoding": "utf-8"},
                "payments": {"kind": "excel", "path": "payments.xlsx", "sheet": "payments"},
                "plans": {"kind": "http", "url": f"{base}/plans", "records": "items"},
            },
            {
                "table": "customers",
                "base": "customers",
                "joins": [
                    {"source": "payments", "on": "customer_id"},
                    {"source": "plans", "on": "plan"},
                ],
            },
        )
        first = atelier("ingest", "-p", str(tmp_path))
        assert first.returncode == 0, first.stderr
        yield tmp_path, api, fingerprint(tmp_path)


def fingerprint(root) -> str:
    """A hash of everything the warehouse holds, table by table."""
    with duckdb.connect(str(root / ".atelier" / "warehouse.duckdb"), read_only=True) as db:
        relations = db.execute(
            "SELECT table_schema, table_name FROM information_schema.tables ORDER BY ALL"
        ).fetchall()
        digest = hashlib.sha256()
        for schema, name in relations:
            rows = db.execute(f'SELECT * FROM {schema}."{name}" ORDER BY ALL').fetchall()
            digest.update(repr((schema, name, rows)).encode())
    return digest.hexdigest()


def edit_charter(root, change) -> None:
    path = root / "atelier.yaml"
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def missing_file(root, api):
    (root / "customers.csv").unlink()


def unreadable_encoding(root, api):
    (root / "customers.csv").write_bytes(
        "customer_id;plan;fee\nC1;P1;1,5\nÉ2;P2;2,5\n".encode("latin-1")
    )


def missing_sheet(root, api):
    edit_charter(root, lambda d: d["sources"]["payments"].update(sheet="2024"))


def refused_connection(root, api):
    def add_database(document):
        document["sources"]["crm"] = {
            "kind": "sql",
            "url": "postgresql+psycopg://reader@127.0.0.1:1/crm",
            "table": "c",
        }

    edit_charter(root, add_database)


def api_error(root, api):
    api.mode = "error"


def api_garbage(root, api):
    api.mode = "garbage"


def join_key_absent(root, api):
    api.mode = "no_key"
    return ["--allow-schema-change"]  # else the schema check stops it first


def key_not_unique(root, api):
    api.mode = "duplicate_key"


def schema_changed(root, api):
    (root / "customers.csv").write_text("customer_id;plan;fee;region\nC1;P1;1,5;N\nC2;P2;2,5;S\n")


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (missing_file, r"source 'customers': file not found: .*customers\.csv"),
        (
            unreadable_encoding,
            r"source 'customers': cannot read .*customers\.csv: .*Line: 3: Invalid unicode",
        ),
        (missing_sheet, r"source 'payments': .*payments\.xlsx has no sheet '2024'"),
        (refused_connection, r"source 'crm': cannot connect to postgresql\+psycopg://reader@127"),
        (api_error, r"source 'plans': GET http://127\.0\.0\.1:\d+/plans answered 500"),
        (api_garbage, r"source 'plans': GET .* did not answer JSON \(text/html"),
        (join_key_absent, r"mart join of 'plans': join column 'plan' is not in source 'plans'"),
        (key_not_unique, r"source 'plans': key \['plan'\] is not unique"),
        (schema_changed, r"source 'customers': schema changed since the last load"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_bad_input_is_one_line_and_leaves_the_warehouse_as_it_was(healthy, breakage, expected):
    root, api, before = healthy
    options = breakage(root, api) or []
    failed = atelier("ingest", "-p", str(root), *options)
    assert_one_line_error(failed, expected)
    assert "É2" not in failed.stderr, "no data in error messages"
    assert fingerprint(root) == before
    result = json.loads((root / ".atelier" / "artifacts" / "ingest" / "result.json").read_text())
    assert result["mart_rows"] == 2, "the last good artifacts are still there"
