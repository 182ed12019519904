"""Batch scoring: in-process and on a real Spark (local[2]), the same answers."""

import duckdb
import pytest
from typer.testing import CliRunner

from atelier.cli import app
from atelier.exceptions import DataError
from atelier.scale._score import score_with_spark
from atelier.serve import ModelService, score_file

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rows(demo_project, tmp_path_factory):
    """The demo's mart without its target, as a Parquet file and a CSV file."""
    folder = tmp_path_factory.mktemp("score")
    charter = demo_project.charter
    with demo_project.connect() as connection:
        frame = connection.execute(
            f'SELECT * EXCLUDE ("{charter.target.column}") FROM mart.{charter.mart.table}'
        ).df()
    frame.to_parquet(folder / "rows.parquet", index=False)
    frame.to_csv(folder / "rows.csv", index=False)
    return folder, frame


@pytest.fixture(scope="module")
def service(demo_project):
    return ModelService.from_project(demo_project)


def scores(path) -> list[tuple]:
    files = path / "*.parquet" if path.is_dir() else path
    return duckdb.sql(f"SELECT * FROM read_parquet('{files}') ORDER BY customer_id").fetchall()


def test_spark_scores_equal_in_process_scores_bit_for_bit(
    demo_project, service, rows, spark, tmp_path
):
    folder, frame = rows
    local = score_file(
        demo_project, service, folder / "rows.parquet", tmp_path / "local.parquet", chunk_rows=1000
    )
    spread = score_with_spark(demo_project, service, folder / "rows.parquet", tmp_path / "spark")
    assert local.rows == spread.rows == len(frame)
    assert scores(tmp_path / "local.parquet") == scores(tmp_path / "spark")
    first = duckdb.sql(f"SELECT * FROM '{tmp_path / 'local.parquet'}' LIMIT 1").df()
    # the keys of the charter's sources that the rows hold, then the answer
    assert list(first.columns) == [
        "customer_id",
        "plan_id",
        "prediction",
        "probability",
        "decision",
        "model_name",
        "model_version",
    ]
    assert first.loc[0, "model_version"] == service.info.version
    # the decision is the threshold's, not the most probable class
    positive, threshold = service.info.positive_class, service.info.threshold
    decided = duckdb.sql(
        f"SELECT count(*) FROM '{tmp_path / 'local.parquet'}' "
        f"WHERE (probability >= {threshold}) <> (decision = '{positive}')"
    ).fetchall()[0][0]
    assert decided == 0
    # a CSV of the same rows scores the same
    score_file(demo_project, service, folder / "rows.csv", tmp_path / "csv.parquet")
    assert scores(tmp_path / "csv.parquet") == scores(tmp_path / "local.parquet")


def test_a_row_out_of_the_schema_is_named_and_nothing_is_written(
    demo_project, service, rows, spark, tmp_path
):
    _, frame = rows
    bad = frame.copy()
    column = next(spec["name"] for spec in service.request.fields if "categories" in spec)
    bad.loc[41, column] = "no such category"
    bad.to_parquet(tmp_path / "bad.parquet", index=False)
    with pytest.raises(DataError, match=rf"bad.parquet: row 42, column '{column}': ") as caught:
        score_file(
            demo_project, service, tmp_path / "bad.parquet", tmp_path / "out.parquet", chunk_rows=10
        )
    assert "\n" not in str(caught.value)
    with pytest.raises(DataError, match=rf"bad.parquet: a row, column '{column}': "):
        score_with_spark(demo_project, service, tmp_path / "bad.parquet", tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.parquet"]


def test_the_score_command(demo_project, rows, tmp_path):
    folder, frame = rows
    runner = CliRunner()
    done = runner.invoke(
        app,
        [
            "score",
            "-p",
            str(demo_project.root),
            "--input",
            str(folder / "rows.csv"),
            "--output",
            str(tmp_path / "scores.parquet"),
        ],
    )
    assert done.exit_code == 0, done.output
    assert f"scored {len(frame):,} rows with " in done.output
    missing = runner.invoke(
        app,
        [
            "score",
            "-p",
            str(demo_project.root),
            "--input",
            str(tmp_path / "none.csv"),
            "--output",
            str(tmp_path / "x.parquet"),
        ],
    )
    assert missing.exit_code == 1
    assert "--input" in missing.output and "no such file" in missing.output
