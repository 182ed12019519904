import json

import pandas as pd
import pytest

from atelier.demo import N_CUSTOMERS, PERSONAL_COLUMNS, churn_table, run_demo, serve_plans
from atelier.demo._files import DUPLICATED_CUSTOMERS
from atelier.exceptions import WarehouseBusyError
from tests.conftest import DEMO_TRAIN_BUDGET, left_to_clean

pytestmark = pytest.mark.slow


def tidy(values: pd.Series) -> pd.Series:
    """Undo the planted untidiness of a text column: case and runs of spaces."""
    return values.astype("string").str.lower().str.split().str.join(" ")


def test_mart_holds_every_customer_with_every_original_value(demo_project):
    mart = demo_project.warehouse.execute("SELECT * FROM mart.customers").df()
    assert mart["customer_id"].nunique() == N_CUSTOMERS
    assert len(mart) == N_CUSTOMERS + DUPLICATED_CUSTOMERS
    assert mart.duplicated().sum() == DUPLICATED_CUSTOMERS, "duplicates are exact copies"
    mart = mart.drop_duplicates().set_index("customer_id").sort_index()
    original = churn_table().set_index("customer_id").sort_index()
    for column in original.columns:
        got, expected = mart[column], original[column]
        if expected.dtype == object or isinstance(expected.dtype, pd.StringDtype):
            got, expected = tidy(got), tidy(expected)
            pd.testing.assert_series_equal(got, expected, check_names=False)
        else:
            pd.testing.assert_series_equal(
                got.astype(float), expected.astype(float), check_names=False
            )
    assert original["total_charges"].isna().sum() == 11 == mart["total_charges"].isna().sum()


def test_sources_are_heterogeneous_and_untidy_as_exports_are(demo_project):
    data = demo_project.root / "data"
    raw = (data / "customers.csv").read_bytes()
    assert raw.decode("latin-1").splitlines()[0].count(";") == 8
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # accented names in latin-1
    kinds = {name: spec.kind for name, spec in demo_project.charter.sources.items()}
    assert kinds == {
        "customers": "csv",
        "contracts": "json",
        "billing": "sqlite",
        "usage": "parquet",
        "payments": "excel",
        "plans": "http",
    }
    methods = demo_project.warehouse.execute(
        "SELECT DISTINCT payment_method FROM staging.payments"
    ).fetchall()
    assert len(methods) > 4, "inconsistent spellings survive staging for cleaning to fix"


def test_personal_data_is_found_undeclared_and_never_leaves_the_source_files(demo_project):
    assert demo_project.charter.sources["customers"].personal_data == []
    result = json.loads((demo_project.artifact_dir("ingest") / "result.json").read_text())
    findings = {f["column"]: f["kind"] for f in result["personal"]["customers"]["findings"]}
    assert findings == {"name": "person_name", "email": "email", "phone": "phone"}
    rules = result["personal"]["customers"]["rules"]
    assert {(r["column"], r["action"], r["origin"]) for r in rules} == {
        (column, "drop", "proposed") for column in PERSONAL_COLUMNS
    }
    assert result["mart_rows"] == N_CUSTOMERS + DUPLICATED_CUSTOMERS
    raw = {row[0] for row in demo_project.warehouse.execute("DESCRIBE raw.customers").fetchall()}
    assert raw.isdisjoint(PERSONAL_COLUMNS)
    customers = pd.read_csv(
        demo_project.root / "data" / "customers.csv", sep=";", encoding="latin-1", dtype=str
    )
    planted = [
        value.encode()
        for column in PERSONAL_COLUMNS
        for value in customers[column].sample(300, random_state=0)
    ]
    written = [
        path
        for path in demo_project.root.rglob("*")
        if path.is_file()
        and path.relative_to(demo_project.root).parts[0] != "data"
        and path.suffix != ".duckdb"  # the warehouse aside: its raw schema is checked above
    ]
    assert any(path.suffix == ".db" for path in written), "MLflow's store is searched too"
    for path in written:
        content = path.read_bytes()
        leaked = [value for value in planted if value in content]
        assert not leaked, f"{path} holds personal values"


def test_second_demo_run_finds_everything_unchanged(demo_project):
    with pytest.raises(WarehouseBusyError, match="the warehouse is open elsewhere"):
        run_demo(demo_project.root, port=0, train_budget=DEMO_TRAIN_BUDGET)  # file held open
    demo_project.close()
    outcome = run_demo(demo_project.root, port=0, train_budget=DEMO_TRAIN_BUDGET)
    ingested = outcome.outcome("ingest").result
    assert {source.status for source in ingested.sources} == {"unchanged"}
    assert not ingested.mart_rebuilt
    later = {
        stage.name: stage.status
        for stage in outcome.stages
        if stage.name not in ("ingest", "plan", "landscape", "resources", "scale")
    }
    assert later == dict.fromkeys(
        ["privacy", "profile", "clean", "explore", "train", "fairness", "segments", "deep"],
        "skipped",
    )
    # always: the plan's progress and the landscape follow every run
    always = ("plan", "landscape", "resources", "scale")
    assert {outcome.outcome(name).status for name in always} == {"ran"}
    assert outcome.report == demo_project.root / "report" / "index.html"


def test_plans_api_serves_pages(tmp_path):
    import httpx

    records = [{"plan_id": f"P{index}"} for index in range(9)]
    path = tmp_path / "plans.json"
    path.write_text(json.dumps(records))
    with serve_plans(path) as port:
        url = f"http://127.0.0.1:{port}/v1/plans"
        pages = [httpx.get(url, params={"page": page, "per_page": 4}).json() for page in (1, 3)]
        assert httpx.get(url, params={"page": "x"}).status_code == 400
    assert [len(page["items"]) for page in pages] == [4, 1]
    assert pages[0]["total"] == 9


def test_the_documented_project_example_runs(demo_project):
    # The example of Project's docstring, on the demo.
    from atelier import Project

    project = Project.load(demo_project.root)
    sql = "SELECT count(DISTINCT customer_id) FROM mart.customers"
    assert project.warehouse.execute(sql).fetchone() == (7043,)
    project.close()


def test_profile_finds_exactly_the_untidiness_the_demo_planted(demo_project):
    result = json.loads((demo_project.artifact_dir("profile") / "result.json").read_text())
    by_kind = {}
    for finding in result["findings"]:
        by_kind.setdefault(finding["kind"], []).append(finding)
    exact_copies = [f for f in by_kind["duplicate_rows"] if not f["columns"]]
    assert exact_copies[0]["rows"] == DUPLICATED_CUSTOMERS
    spelt = {f["columns"][0] for f in by_kind["inconsistent_categories"]}
    assert spelt == {"multiple_lines", "online_security", "streaming_tv", "payment_method"}
    assert [(f["columns"], f["rows"]) for f in by_kind["missing"]] == [(["total_charges"], 11)]
    assert "personal_data" not in by_kind, "dropped as they loaded: the profile never sees them"
    assert "leakage" not in by_kind
    names = {c["name"]: c for c in result["columns"]}
    assert names["customer_id"]["semantic_type"] == "identifier"


def test_cleaned_mart_has_no_duplicates_nor_disguised_missing_values(demo_project):
    from atelier.quality import profile_relation

    with demo_project.connect() as connection:
        after = profile_relation(
            connection,
            "mart.customers_clean",
            table="mart.customers_clean",
            target="churn",
            key=["customer_id"],
        )
    assert left_to_clean(after) == set()
    assert after.rows == N_CUSTOMERS
    assert after.column("payment_method").distinct == 4
    assert {c.name for c in after.columns}.isdisjoint(PERSONAL_COLUMNS)


def test_a_new_demo_charter_takes_the_training_choices_it_is_given(tmp_path):
    from atelier import Project
    from atelier.demo import create_demo

    training = Project.load(
        create_demo(tmp_path / "one", max_trials=3, families=["lightgbm"], ensemble=False)
    ).charter.training
    assert (training.max_trials, training.families, training.ensemble) == (3, ["lightgbm"], False)
    assert Project.load(create_demo(tmp_path / "default")).charter.training.ensemble is True
