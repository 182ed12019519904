"""Personal values planted in every source never reach a file atelier writes.

Three sources (CSV, JSON, Parquet), each with its own personal columns, go through
the whole run: ingest, privacy, profile, clean, explore, train (MLflow included),
fairness, segments, deep and the dossier. Every file under the project, the sources
and the warehouse aside, is then searched for the planted values.
"""

import json

import numpy as np
import pandas as pd
import pytest
from faker import Faker

from atelier import Project
from atelier.runner import run
from tests.conftest import write_charter

pytestmark = pytest.mark.slow
N = 400


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("leak")
    fake = Faker("fr_FR")
    fake.seed_instance(42)
    rng = np.random.default_rng(42)
    ids = [f"K{i:04d}" for i in range(N)]
    spend = rng.gamma(2.0, 50.0, N).round(2)
    customers = pd.DataFrame(
        {
            "client_id": ids,
            "nom_complet": [fake.name() for _ in range(N)],
            "courriel": [f"{fake.user_name()}.{i}@leak-test.fr" for i in range(N)],
            "age": rng.integers(18, 90, N),
            "spend": spend,
            "churn": np.where(rng.random(N) < 1 / (1 + np.exp((spend - 100) / 40)), "yes", "no"),
        }
    )
    contacts = [
        {"client_id": i, "mobile": fake.phone_number(), "note": fake.sentence(nb_words=6)}
        for i in ids
    ]
    banking = pd.DataFrame(
        {"client_id": ids, "iban": [fake.iban() for _ in ids], "nir": [fake.ssn() for _ in ids]}
    )
    (root / "data").mkdir()
    customers.to_csv(root / "data" / "customers.csv", index=False)
    (root / "data" / "contacts.json").write_text(json.dumps(contacts))
    banking.to_parquet(root / "data" / "banking.parquet")
    write_charter(
        root,
        {
            "customers": {"kind": "csv", "path": "data/customers.csv", "key": "client_id"},
            "contacts": {"kind": "json", "path": "data/contacts.json", "key": "client_id"},
            "banking": {"kind": "parquet", "path": "data/banking.parquet", "key": "client_id"},
        },
        {
            "table": "clients",
            "base": "customers",
            "joins": [
                {"source": "contacts", "on": "client_id"},
                {"source": "banking", "on": "client_id"},
            ],
        },
        target={"column": "churn", "positive_class": "yes"},
        training={"budget_s": 120, "max_trials": 2, "families": ["linear", "lightgbm"]},
        deep={"budget_s": 60, "max_epochs": 3, "trials": 0},
        fairness={"attributes": ["age"]},
    )
    values = {
        "name": customers["nom_complet"].tolist(),
        "email": customers["courriel"].tolist(),
        "phone": [c["mobile"] for c in contacts],
        "iban": banking["iban"].tolist(),
        "nir": banking["nir"].tolist(),
    }
    return Project.load(root), values


def test_planted_values_appear_in_no_file_atelier_writes(planted):
    project, values = planted
    outcome = run(project)
    assert {s.name: s.status for s in outcome.stages}["fairness"] == "ran"
    found = json.loads((project.artifact_dir("privacy") / "result.json").read_text())
    kinds = {f"{f['source']}.{f['column']}": f["kind"] for f in found["findings"]}
    assert kinds == {
        "customers.nom_complet": "person_name",
        "customers.courriel": "email",
        "contacts.mobile": "phone",
        "banking.iban": "iban",
        "banking.nir": "nir",
    }
    written = [
        path
        for path in project.root.rglob("*")
        if path.is_file()
        and path.relative_to(project.root).parts[0] != "data"
        and path.suffix != ".duckdb"
    ]
    assert any("mlruns" in path.parts or path.suffix == ".db" for path in written)
    assert any(path.name == "index.html" for path in written)
    planted_bytes = [value.encode() for column in values.values() for value in column]
    for path in written:
        content = path.read_bytes()
        leaked = [value for value in planted_bytes if value in content]
        assert not leaked, f"{path} holds {len(leaked)} planted values"


def test_after_forget_the_models_that_saw_the_person_are_stale(planted):
    from atelier.privacy._forget import forget
    from atelier.runner import stale_stages
    from atelier.warehouse import ingest
    from atelier.warehouse._privacy import key_digests

    project, _ = planted
    run(project, report=False)  # a no-op when the first test already ran it
    assert stale_stages(project) == []
    result = forget(project, "client_id", "K0007")
    assert result.rows_removed == {"customers": 1, "contacts": 1, "banking": 1}
    assert set(result.models_to_retrain) == {"learn", "deep"}
    with project.connect() as connection:
        salt = connection.execute("SELECT salt FROM audit.salt").fetchone()[0]
    digest = key_digests(salt, ["K0007"])[0]
    cards = list(project.state_dir.rglob("serving.json"))
    assert len(cards) >= 4, "the stages' cards and MLflow's copies"
    for card in cards:
        assert digest not in card.read_text(), card
    ingest(project)  # what `atelier run` does first
    stale = stale_stages(project)
    assert {"privacy", "profile", "train", "fairness", "deep"} <= set(stale)
    outcome = run(project, report=False)
    assert {s.name: s.status for s in outcome.stages}["train"] == "ran"
    assert stale_stages(project) == []
