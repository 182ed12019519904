"""The profile computed by Spark from the DuckDB path's own SQL: the same statistics."""

import json

import pytest

from atelier.quality import profile
from atelier.warehouse import ingest
from tests.conftest import credit_holders
from tests.scale.conftest import SPARK

pytestmark = pytest.mark.slow
EXACT = ("missing", "minimum", "maximum", "storage_type", "semantic_type", "mean_length")
CLOSE = ("mean", "std", "skew")


def test_spark_and_duckdb_profiles_agree(tmp_path, spark):
    (tmp_path / "duck").mkdir(), (tmp_path / "spark").mkdir()
    by_duckdb = credit_holders(tmp_path / "duck", extra_columns={"note": "same"})
    by_spark = credit_holders(
        tmp_path / "spark", extra_columns={"note": "same"}, engine="spark", spark=SPARK
    )
    for project in (by_duckdb, by_spark):
        ingest(project)
    expected, found = profile(by_duckdb), profile(by_spark)
    assert (expected.engine, found.engine) == ("duckdb", "spark")
    assert found.rows == expected.rows == 1_500
    for left, right in zip(expected.columns, found.columns, strict=True):
        assert left.name == right.name
        for field in EXACT:
            assert getattr(left, field) == getattr(right, field), (left.name, field)
        for field in CLOSE:
            if getattr(left, field) is None:
                assert getattr(right, field) is None, (left.name, field)
            else:
                assert getattr(right, field) == pytest.approx(getattr(left, field), rel=1e-9)
        if not left.distinct_is_approximate:  # exact counts: the same on both engines
            assert (right.distinct, right.distinct_is_approximate) == (left.distinct, False)
            assert right.top_values == left.top_values, left.name
            assert right.histogram == left.histogram, left.name
    assert [(f.kind, f.columns, f.rows) for f in found.findings] == [
        (f.kind, f.columns, f.rows) for f in expected.findings
    ]
    assert any(f.kind == "constant" for f in found.findings)  # the note column
    assert "HyperLogLog" in found.approximate[0]


def test_the_demo_on_spark_gives_the_same_mart_and_findings(demo_project, tmp_path, spark):
    """The churn demo's sources through the lake: the mart, then the profile, unchanged."""
    import shutil

    from atelier import Project
    from atelier.demo._run import plans_api

    root = tmp_path / "churn"
    shutil.copytree(demo_project.root, root, ignore=shutil.ignore_patterns("report", "deploy"))
    (root / ".atelier" / "warehouse.duckdb").unlink()  # loaded afresh, through the lake
    with (root / "atelier.yaml").open("a") as charter:
        charter.write(f"\nengine: spark\nspark: {SPARK}\n".replace("'", '"'))
    on_spark = Project.load(root)
    with plans_api(root, 0):
        ingest(on_spark)
    table = f"mart.{on_spark.charter.mart.table}"
    with demo_project.connect() as before, on_spark.connect() as after:
        rows = [
            c.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall() for c in (before, after)
        ]
    assert rows[0] == rows[1]
    found = profile(on_spark)
    assert found.engine == "spark"
    # the demo's own profile, as its run wrote it (profiled again here, the artifacts
    # the other tests read would change)
    expected = json.loads((demo_project.artifact_dir("profile") / "result.json").read_text())
    findings = [(f["kind"], f["columns"], f["rows"]) for f in expected["findings"]]
    assert [(f.kind, f.columns, f.rows) for f in found.findings if f.kind != "outliers"] == [
        finding for finding in findings if finding[0] != "outliers"
    ]
    assert [(f.kind, f.columns) for f in found.findings] == [f[:2] for f in findings]
