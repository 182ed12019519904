"""The policy applied as sources load: nothing personal reaches the warehouse untransformed."""

import json

import duckdb
import pandas as pd
import pytest
from faker import Faker

from atelier import Project
from atelier.exceptions import CharterError, PrivacyError, PrivacyKeyError
from atelier.privacy import privacy
from atelier.privacy._export import export_mart
from atelier.warehouse import ingest

N = 120
KEY = "k" * 40


def people(seed: int = 1) -> pd.DataFrame:
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(N)],
            "email": [f"{fake.user_name()}.{i}@exemple.fr" for i in range(N)],
            "nom": [fake.name() for _ in range(N)],
            "telephone": [fake.phone_number() for _ in range(N)],
            "date_naissance": [str(fake.date_of_birth(minimum_age=18)) for _ in range(N)],
            "code_postal": [fake.postcode() for _ in range(N)],
            "age": [20 + i % 50 for i in range(N)],
            "spend": [round(10 + i * 1.5, 2) for i in range(N)],
            "churn": ["yes" if i % 3 else "no" for i in range(N)],
        }
    )


@pytest.fixture
def planted(tmp_path):
    frame = people()
    frame.to_csv(tmp_path / "customers.csv", index=False)
    orders = pd.DataFrame({"email": frame["email"], "orders": range(N)})
    orders.to_parquet(tmp_path / "orders.parquet")
    return tmp_path, frame


def warehouse_values(project: Project) -> str:
    """Every value of raw, staging and mart, as one text."""
    with duckdb.connect(str(project.warehouse_path), read_only=True) as connection:
        tables = connection.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('raw', 'staging', 'mart')"
        ).fetchall()
        return " ".join(
            connection.execute(f'SELECT * FROM {schema}."{name}"').df().astype(str).to_csv()
            for schema, name in tables
        )


def test_found_columns_are_dropped_or_generalised_by_default(planted, make_project):
    _, frame = planted
    project = make_project(
        {"customers": {"kind": "csv", "path": "customers.csv", "key": "customer_id"}},
        {"table": "customers", "base": "customers"},
    )
    result = ingest(project)
    rules = {r["column"]: r for r in result.personal["customers"]["rules"]}
    assert {c: r["action"] for c, r in rules.items()} == {
        "email": "drop",
        "nom": "drop",
        "telephone": "drop",
        "date_naissance": "generalise",
        "code_postal": "generalise",
    }
    assert all(rule["origin"] == "proposed" for rule in rules.values())
    stored = warehouse_values(project)
    for column in ("email", "nom", "telephone", "date_naissance"):
        assert not any(value in stored for value in frame[column]), column
    with project.connect() as connection:
        years = connection.execute("SELECT date_naissance FROM raw.customers").df()
        departments = connection.execute("SELECT code_postal FROM mart.customers").df()
    assert years["date_naissance"].tolist() == [int(d[:4]) for d in frame["date_naissance"]]
    assert departments["code_postal"].str.len().isin([2, 3]).all()


def test_pseudonyms_are_keyed_stable_and_still_join(planted, make_project, monkeypatch):
    _, frame = planted
    sources = {
        "customers": {"kind": "csv", "path": "customers.csv", "key": "customer_id"},
        "orders": {"kind": "parquet", "path": "orders.parquet", "key": "email"},
    }
    mart = {
        "table": "customers",
        "base": "customers",
        "joins": [{"source": "orders", "on": "email"}],
    }
    monkeypatch.delenv("ATELIER_PSEUDO_KEY", raising=False)
    project = make_project(sources, mart)
    with pytest.raises(PrivacyKeyError, match="ATELIER_PSEUDO_KEY is not set"):
        ingest(project)
    assert not project.warehouse_path.exists(), "nothing half-written"
    monkeypatch.setenv("ATELIER_PSEUDO_KEY", "short")
    with pytest.raises(PrivacyKeyError, match="has 5 characters"):
        ingest(project)
    monkeypatch.setenv("ATELIER_PSEUDO_KEY", KEY)
    ingest(project)
    with project.connect() as connection:
        mart_rows = connection.execute("SELECT email, orders FROM mart.customers").df()
    assert mart_rows["orders"].notna().all(), "the pseudonymised key still joins"
    assert mart_rows["email"].str.fullmatch(r"[0-9a-f]{32}").all()
    assert not set(frame["email"]) & set(mart_rows["email"])
    first = mart_rows["email"].tolist()
    ingest(project, force=True)
    with project.connect() as connection:
        again = connection.execute("SELECT email FROM mart.customers").df()["email"].tolist()
    assert again == first, "the same key gives the same pseudonyms"
    for path in project.root.rglob("*"):
        if path.is_file() and path.suffix != ".duckdb":
            assert KEY.encode() not in path.read_bytes(), path


def test_the_charter_policy_wins_and_keep_needs_a_legal_basis(planted, make_project):
    source = {"customers": {"kind": "csv", "path": "customers.csv", "key": "customer_id"}}
    mart = {"table": "customers", "base": "customers"}
    with pytest.raises(CharterError, match="legal_basis"):
        make_project(source, mart, privacy={"policy": {"customers.email": "keep"}})
    policy = {
        "customers.email": {"action": "keep", "legal_basis": "contract", "purpose": "invoices"},
        "customers.age": {"action": "generalise", "to": "band", "width": 10},
    }
    project = make_project(source, mart, privacy={"policy": policy})
    result = ingest(project)
    rules = {r["column"]: r for r in result.personal["customers"]["rules"]}
    assert rules["email"]["action"] == "keep" and rules["email"]["origin"] == "charter"
    assert "email" in result.personal_data, "a kept column stays marked personal"
    with project.connect() as connection:
        bands = connection.execute("SELECT DISTINCT age FROM mart.customers ORDER BY 1").df()
    assert bands["age"].tolist() == ["20-29", "30-39", "40-49", "50-59", "60-69"]


@pytest.mark.parametrize(
    ("privacy_section", "message"),
    [
        ({"policy": {"customers.emial": "drop"}}, "source 'customers' has no column 'emial'"),
        ({"policy": {"nowhere.email": "drop"}}, "'nowhere' is not a declared source"),
        ({"k": 1}, "k must be at least 2"),
    ],
)
def test_bad_policy_is_one_clear_line(planted, make_project, privacy_section, message):
    source = {"customers": {"kind": "csv", "path": "customers.csv", "key": "customer_id"}}
    with pytest.raises(CharterError, match=message):
        project = make_project(source, {"base": "customers"}, privacy=privacy_section)
        ingest(project)
    assert not (planted[0] / ".atelier" / "warehouse.duckdb").exists()


def test_anonymity_and_export_refused_below_k(planted, make_project):
    root, frame = planted
    project = make_project(
        {"customers": {"kind": "csv", "path": "customers.csv", "key": "customer_id"}},
        {"table": "customers", "base": "customers"},
        target={"column": "churn"},
        privacy={"quasi_identifiers": ["age", "code_postal"], "k": 5},
    )
    ingest(project)
    result = privacy(project)
    anonymity = result.anonymity
    grouped = frame.assign(dep=frame["code_postal"].str[:2]).groupby(["age", "dep"]).size()
    assert anonymity["k"] == grouped.min()
    assert anonymity["rows_at_risk"] == grouped[grouped < 5].sum()
    assert anonymity["l_diversity"] >= 1
    out = root / "mart.parquet"
    with pytest.raises(PrivacyError, match="export refused"):
        export_mart(project, out)
    assert not out.exists() and not list(root.glob("*.partial"))
    assert export_mart(project, out, force=True) == N
    assert json.loads((project.artifact_dir("privacy") / "result.json").read_text())["findings"]
