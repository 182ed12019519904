"""Erasure end to end: a person leaves the warehouse, the cards, and does not come back."""

import json

import pandas as pd
import pytest

from atelier.exceptions import PrivacyError
from atelier.privacy._forget import forget
from atelier.warehouse import ingest
from tests.cli.test_cli import assert_one_line_error, atelier


@pytest.fixture
def shop(tmp_path, make_project):
    pd.DataFrame({"customer_id": [f"C{i:03d}" for i in range(50)], "spend": range(50)}).to_csv(
        tmp_path / "customers.csv", index=False
    )
    pd.DataFrame(
        {"customer_id": [f"C{i:03d}" for i in range(50)] * 2, "amount": range(100)}
    ).to_csv(tmp_path / "payments.csv", index=False)
    project = make_project(
        {
            "customers": {"kind": "csv", "path": "customers.csv", "key": "customer_id"},
            "payments": {"kind": "csv", "path": "payments.csv"},
        },
        {"table": "customers", "base": "customers"},
    )
    ingest(project)
    return project


def count(project, sql):
    with project.connect() as connection:
        return connection.execute(sql).fetchone()[0]


def test_forget_removes_logs_and_survives_a_reload(shop):
    process = atelier("forget", "-p", str(shop.root), "--key", "customer_id=C007")
    assert process.returncode == 0, process.stderr
    assert "customers: 1, payments: 2" in process.stdout
    assert count(shop, "SELECT count(*) FROM mart.customers WHERE customer_id = 'C007'") == 0
    assert count(shop, "SELECT count(*) FROM raw.payments WHERE customer_id = 'C007'") == 0
    with shop.connect() as connection:
        log = connection.execute("SELECT * FROM audit.erasures").df()
    assert log["rows_removed"].tolist() == [1, 2] and set(log["reason"]) == {"forget"}
    assert "C007" not in log.to_csv()
    result = ingest(shop, force=True)  # the unchanged export still holds the person
    assert count(shop, "SELECT count(*) FROM raw.customers WHERE customer_id = 'C007'") == 0
    assert result.mart_rows == 49


def test_an_unknown_person_changes_nothing(shop):
    with pytest.raises(PrivacyError, match="no row has that customer_id; nothing was changed"):
        forget(shop, "customer_id", "C999")
    process = atelier("forget", "-p", str(shop.root), "--key", "customer_id=C999")
    assert_one_line_error(process, "nothing was changed")
    assert "C999" not in process.stderr
    assert count(shop, "SELECT count(*) FROM audit.erasures") == 0
    assert count(shop, "SELECT count(*) FROM mart.customers") == 50


def test_forget_removes_the_person_from_a_card_background(shop):
    from atelier.warehouse._privacy import key_digests

    with shop.connect() as connection:
        salt = connection.execute("SELECT salt FROM audit.salt").fetchone()[0]
    folder = shop.artifact_dir("learn")
    folder.mkdir(parents=True)
    digests = key_digests(salt, ["C001", "C002", "C003"])
    card = {"background": [{"spend": 1}, {"spend": 2}, {"spend": 3}], "background_keys": digests}
    (folder / "serving.json").write_text(json.dumps(card))
    result = forget(shop, "customer_id", "C002")
    assert result.background_rows_removed == {"artifacts/learn/serving.json": 1}
    assert result.models_to_retrain == ["learn"]
    card = json.loads((folder / "serving.json").read_text())
    assert card["background"] == [{"spend": 1}, {"spend": 3}]


def test_retention_purges_expired_rows_at_each_ingest_and_logs_counts(tmp_path, make_project):
    today = pd.Timestamp.today().normalize()
    dates = [today - pd.Timedelta(days=days) for days in (10, 100, 400, 800)]
    pd.DataFrame(
        {"visit_id": ["V1", "V2", "V3", "V4"], "last_contact": [d.date() for d in dates]}
    ).to_csv(tmp_path / "visits.csv", index=False)
    retention = {"keep_for": "1y", "date_column": "last_contact"}
    project = make_project(
        {
            "visits": {
                "kind": "csv",
                "path": "visits.csv",
                "key": "visit_id",
                "retention": retention,
            }
        },
        {"table": "visits", "base": "visits"},
    )
    result = ingest(project)
    assert result.sources[0].purged == 2
    assert count(project, "SELECT count(*) FROM mart.visits") == 2
    with project.connect() as connection:
        log = connection.execute("SELECT reason, rows_removed, note FROM audit.erasures").fetchall()
    assert log == [("retention", 2, "older than 1y by last_contact, or forgotten")]
    assert ingest(project).sources[0].purged == 0, "an unchanged source has nothing left to purge"


def test_retention_names_a_missing_date_column(tmp_path, make_project):
    from atelier.exceptions import CharterError

    pd.DataFrame({"visit_id": ["V1"], "day": ["2024-01-01"]}).to_csv(
        tmp_path / "visits.csv", index=False
    )
    retention = {"keep_for": "90d", "date_column": "last_contact"}
    project = make_project(
        {"visits": {"kind": "csv", "path": "visits.csv", "retention": retention}},
        {"base": "visits"},
    )
    with pytest.raises(CharterError, match=r"retention\.date_column: no column 'last_contact'"):
        ingest(project)
    assert not project.warehouse_path.exists()
