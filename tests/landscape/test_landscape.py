"""The landscape: opportunities scored and fitted, partners chosen, research cited."""

import pandas as pd
import pytest

from atelier import Project
from atelier.exceptions import CharterError
from atelier.landscape import _research, bibliography, landscape, methods_used, partner_options
from tests.conftest import write_charter

OPPORTUNITIES = [
    {"name": "Churn", "value": 5, "feasibility": 4, "data": 5, "risk": "medium",
     "sources": ["customers"], "owner": "Head of care", "retained": True},
    {"name": "Fraud", "value": 4, "feasibility": 2, "data": 2, "risk": "high"},
    {"name": "Offers", "value": 3, "feasibility": 3, "data": 3, "risk": "low"},
]  # fmt: skip


def ingested(tmp_path, opportunities=OPPORTUNITIES, stakeholder="Head of care") -> Project:
    from atelier.warehouse import ingest

    (tmp_path / "customers.csv").write_text(
        pd.DataFrame({"id": range(30), "y": [0, 1] * 15}).to_csv(index=False)
    )
    write_charter(
        tmp_path,
        {"customers": {"kind": "csv", "path": "customers.csv", "key": "id"}},
        opportunities=opportunities,
        stakeholders=[{"name": stakeholder, "role": "sponsor"}],
    )
    project = Project.load(tmp_path)
    ingest(project)
    return project


def test_every_method_the_run_can_name_has_its_reference():
    named = {m for family in _research.FAMILIES.values() for m in family}
    named |= set(_research.TESTS.values()) | set(_research.EFFECTS.values())
    named |= {m for network in _research.NETWORKS.values() for m in network}
    named |= set(_research.STEPS.values())
    named |= {"tpe", "optuna", "bootstrap", "permutation_importance", "cost_threshold"}
    named |= {"ensemble_selection", "brier", "benjamini_hochberg", "pca", "vif", "kmeans"}
    named |= {"silhouette", "gaussian_mixture", "adamw", "one_cycle", "equalized_odds"}
    named |= {"reweighing", "k_anonymity", "pert", "critical_path", "crisp_dm"}
    entries = bibliography()
    assert named <= set(entries), sorted(named - set(entries))
    for method, entry in entries.items():
        assert entry["en"] and entry["fr"] and 1890 < entry["year"] < 2030, method


def test_the_methods_are_read_from_what_each_stage_recorded():
    results = {
        "train": {
            "leaderboard": [{"model": "lightgbm"}, {"model": "dummy"}, {"model": "knn"}],
            "thresholds": {"chosen": 0.3},
            "choice": {"kind": "ensemble"},
            "diagnostics": {"calibration": None},
        },
        "explore": {
            "against_target": [
                {"test": "Mann-Whitney U", "effect_name": "Cohen's d", "p_adjusted": 0.01}
            ]
        },
        "deep": {
            "architecture": {"kind": "ctc_transcriber"},
            "improvements": {"steps": [{"step": "spec_augment", "kept": True},
                                       {"step": "transcriber_dropout", "kept": False}]},
            "method": {"schedule": "one_cycle"},
        },
    }  # fmt: skip
    used = methods_used(results)
    assert {"lightgbm", "gradient_boosting", "knn", "ensemble_selection"} <= set(used)
    assert {"mann_whitney", "cohens_d", "benjamini_hochberg"} <= set(used)
    assert {"ctc", "gru", "spec_augment", "one_cycle"} <= set(used)
    assert "dropout" not in used and "brier" not in used  # not kept, not computed
    assert used["lightgbm"] == ["train"] and used["ctc"] == ["deep"]


def test_the_retained_use_case_fits_when_its_sources_are_loaded_and_its_owner_known(tmp_path):
    result = landscape(ingested(tmp_path))
    scores = {row["name"]: (row["score"], row["rank"]) for row in result.opportunities}
    assert scores["Churn"] == (pytest.approx(4.667 - 0.5, abs=1e-3), 1)
    assert scores["Fraud"] == (pytest.approx(2.667 - 1, abs=1e-3), 3)
    [retained] = [row for row in result.opportunities if row["retained"]]
    assert retained["fits"] and retained["why"]["owner_is_stakeholder"]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda o: o.update(owner="Nobody"), ("owner_is_stakeholder", False)),
        (lambda o: o.update(sources=["customers", "billing"]), ("missing_sources", ["billing"])),
    ],
)
def test_a_use_case_without_its_data_or_an_owner_does_not_fit(tmp_path, change, why):
    opportunities = [dict(row) for row in OPPORTUNITIES]
    change(opportunities[0])
    result = landscape(ingested(tmp_path, opportunities))
    [retained] = [row for row in result.opportunities if row["retained"]]
    assert not retained["fits"] and retained["why"][why[0]] == why[1]


def test_partners_are_chosen_from_the_projects_measurements(tmp_path, monkeypatch):
    project = ingested(tmp_path)
    chosen = {row["component"]: row["chosen"] for row in landscape(project).partners}
    assert chosen["big_data"] == "none (one machine)" and chosen["warehouse"] == "DuckDB"
    assert set(chosen) == set(partner_options())
    monkeypatch.setattr("atelier.landscape._stage.SPARK_ROWS", 10)  # 30 rows: past the bar
    rows = {row["component"]: row for row in landscape(project).partners}
    assert rows["big_data"]["chosen"] == "Apache Spark" and "30" in rows["big_data"]["why"]
    for row in rows.values():
        assert len(row["options"]) >= 2
        assert all(o["strengths"] and o["weaknesses"] and o["licence"] for o in row["options"])


def test_a_project_carries_one_opportunity(tmp_path):
    from atelier.charter import load_charter

    two = [dict(row) for row in OPPORTUNITIES]
    two[1]["retained"] = True
    path = write_charter(tmp_path, {"a": {"kind": "csv", "path": "a.csv"}}, opportunities=two)
    with pytest.raises(CharterError, match=r"opportunities: 2 are retained \(Churn, Fraud\)"):
        load_charter(path)


def test_the_information_system_says_what_is_missing_or_fragile(tmp_path):
    from atelier.landscape._system import information_system

    write_charter(
        tmp_path,
        {
            "crm": {"kind": "csv", "path": "a.csv", "key": "id", "system": "CRM",
                    "owner": "Sales", "refresh": "daily"},
            "billing": {"kind": "csv", "path": "b.csv"},
            "api": {"kind": "http", "url": "http://127.0.0.1:9/v1", "key": "id",
                    "owner": "IT", "refresh": "hourly"},
        },
        stakeholders=[{"name": "Ops", "role": "users", "uses": ["dashboard"]}],
    )  # fmt: skip
    charter = Project.load(tmp_path).charter
    ingest = {"sources": [{"name": "crm", "rows": 120}, {"name": "billing", "rows": 80}]}
    system = information_system(charter, ingest, {"api": False})
    remarks = {(r["kind"], r["subject"]) for r in system["remarks"]}
    assert remarks == {
        ("no_key", "billing"),
        ("no_owner", "billing"),
        ("no_refresh", "billing"),
        ("unreachable", "api"),
        ("unused", "api"),
        ("unused", "dossier"),
        ("no_sponsor", "project"),
    }
    flows = {(f["from"], f["to"]): f for f in system["flows"]}
    assert flows[("crm", "warehouse")]["rows"] == 120
    assert flows[("crm", "warehouse")]["refresh"] == "daily"
    assert [row["system"] for row in system["sources"]] == ["CRM", "billing", "api"]
