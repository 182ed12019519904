"""Batch scoring on Spark: the champion loaded once per task, beside the data.

The model, its card and its input schema travel to the executors as one broadcast
value (the project wrote them); each task rebuilds the serving object once, then
turns each Arrow batch into predictions with the very function the in-process
scorer uses, so that both answer the same, bit for bit.
"""

import re
import time
from pathlib import Path

from atelier.exceptions import DataError
from atelier.scale._lake import written_aside
from atelier.scale._readers import duckdb_schema, read_csv, spark_ddl
from atelier.scale._session import spark_session
from atelier.serve._batch import (
    ScoreResult,
    check_paths,
    input_relation,
    key_columns,
    prediction_columns,
    recorded_score,
)
from atelier.sources._snapshot import first_line

_RAISED = re.compile(r"atelier\.exceptions\.DataError: (.+)")


def score_with_spark(project, service, source: Path, output: Path) -> ScoreResult:
    """Score every row of ``source`` with Spark into the Parquet folder ``output``.

    Parameters
    ----------
    project : Project
        Its ``spark:`` settings start the session.
    service : ModelService
        The champion.
    source : Path
        A CSV, Parquet or JSON-lines file, or a folder of Parquet files.
    output : Path
        The folder of Parquet files to write (replaced whole, once complete).

    Returns
    -------
    ScoreResult

    Raises
    ------
    DataError
        The input cannot be read, or a row does not fit the model's schema.
    """
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_schema

    check_paths(source, output)
    clock = time.perf_counter()
    spark = spark_session(project.charter.spark)
    frame = _read_input(spark, source)
    keys = key_columns(project.charter, frame.columns)
    head = frame.limit(1).toArrow().to_pandas()
    if head.empty:
        raise DataError(f"--input {source}: no rows to score")
    sample = prediction_columns(service, head, keys)
    schema = from_arrow_schema(pa.Schema.from_pandas(sample, preserve_index=False))
    shipped = spark.sparkContext.broadcast(
        (service.model, service.card, service.schema, service.info)
    )

    def score_partition(batches):
        from atelier.serve._service import ModelService

        served = ModelService(*shipped.value)  # once per task, not per batch
        for batch in batches:
            yield prediction_columns(served, batch, keys, offset=None)

    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with written_aside(output) as aside:
            scored = frame.mapInPandas(score_partition, schema)
            scored.write.mode("errorifexists").parquet(str(aside))
            rows = spark.read.parquet(str(aside)).count()
    except Exception as error:  # a row refused on an executor comes back wrapped by py4j
        raised = _RAISED.search(str(error))
        if raised:
            raise DataError(f"--input {source}: {raised.group(1).strip()}") from None
        raise
    return recorded_score(project, service, output, rows, "spark", clock)


def _read_input(spark, source: Path):
    """The input as a Spark DataFrame, typed as DuckDB types it (the in-process reader)."""
    relation = input_relation(source)
    try:
        schema = duckdb_schema(relation)
    except Exception as error:  # duckdb.Error: the file cannot be read at all
        raise DataError(f"--input {source}: {first_line(error)}") from None
    if source.is_dir() or source.suffix.lower() == ".parquet":
        return spark.read.parquet(str(source))
    if source.suffix.lower() in (".json", ".jsonl"):
        return spark.read.schema(spark_ddl(schema)).json(str(source))
    return read_csv(spark, str(source), str(source), schema, encoding="utf-8", comma_decimal=False)
