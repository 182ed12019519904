"""Batch scoring: a file or folder of rows scored by the champion, in chunks.

Each row of the output carries the row's keys (the charter's key columns found in
the input), the prediction, the probability and the decision at the threshold,
and the model's name and version. The same function turns a chunk into its
predictions here and on Spark's executors, so that both engines answer alike.
"""

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from atelier._naming import quote_literal, snake_case
from atelier.exceptions import DataError
from atelier.learn._metrics import BINARY, REGRESSION
from atelier.serve._request import RequestError

CHUNK_ROWS = 50_000
READABLE = (".csv", ".parquet", ".json", ".jsonl")


@dataclass(frozen=True)
class ScoreResult:
    """What ``atelier score`` wrote.

    Attributes
    ----------
    output : str
    rows : int
    engine : {"duckdb", "spark"}
    model : str
        The registered model's name and version (``name/3``).
    duration_s : float
    """

    output: str
    rows: int
    engine: str
    model: str
    duration_s: float

    @property
    def rows_per_s(self) -> float:
        """Rows scored per second, reading and writing included."""
        return self.rows / self.duration_s if self.duration_s else float("inf")


def key_columns(charter, columns: list[str]) -> list[str]:
    """The charter's key columns that the input holds, in the input's order."""
    keys = {snake_case(key) for spec in charter.sources.values() for key in spec.key}
    return [column for column in columns if snake_case(column) in keys]


def prediction_columns(service, frame: pd.DataFrame, keys: list[str], *, offset: int | None = 0):
    """The keys of ``frame``'s rows and the model's answer for them, as flat columns.

    Parameters
    ----------
    service : ModelService
    frame : DataFrame
        Rows holding the model's input columns (others are left aside).
    keys : list of str
        Columns copied to the output so that a row can be found again.
    offset : int or None, default=0
        The first row's number in the whole input, for error messages; None where
        it is unknown (a Spark task sees its own part of the input).

    Returns
    -------
    DataFrame
        ``keys``, then ``prediction``; for classifiers the probability (of the
        positive class, or ``probability_<class>`` for each class); for binary
        models the ``decision``; then ``model_name`` and ``model_version``.

    Raises
    ------
    DataError
        A row does not match the model's input schema (row number and column named).
    """
    inputs = [column for column in frame.columns if column in service.request.columns]
    try:
        checked = service.request.parse_frame(frame[inputs])
    except RequestError as error:
        raise DataError(_row_error(error, offset)) from None
    answer = service.predict(checked)
    out = {key: frame[key].to_numpy() for key in keys}
    out["prediction"] = answer["prediction"]
    task, classes = service.info.task, service.info.classes
    if task == BINARY:
        out["probability"] = answer["probability"]
        out["decision"] = answer["decision"]
    elif task != REGRESSION:
        for name in map(str, classes):
            out[f"probability_{name}"] = [row[name] for row in answer["probability"]]
    out["model_name"] = service.info.name
    out["model_version"] = service.info.version
    return pd.DataFrame(out)


def _row_error(error: RequestError, offset: int | None) -> str:
    first = error.errors[0]
    reason = first["msg"].split(": ", 1)[-1]
    if first.get("record") is None:
        return reason
    row = "a row" if offset is None else f"row {offset + first['record'] + 1}"
    field = f", column {first['field']!r}" if first.get("field") else ""
    return f"{row}{field}: {reason}"


def input_relation(path: Path) -> str:
    """A DuckDB table expression reading a file, or a folder of Parquet files."""
    if path.is_dir():
        return f"read_parquet({quote_literal(str(path / '**' / '*.parquet'))})"
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return f"read_parquet({quote_literal(str(path))})"
    if suffix in (".json", ".jsonl"):
        return f"read_json_auto({quote_literal(str(path))})"
    return f"read_csv({quote_literal(str(path))})"


def check_paths(source: Path, output: Path) -> None:
    """Refuse an input that cannot be read or an output that would overwrite it."""
    if not source.exists():
        raise DataError(f"--input {source}: no such file or folder")
    if source.is_file() and source.suffix.lower() not in READABLE:
        raise DataError(
            f"--input {source}: expected a CSV, Parquet or JSON file, or a folder of Parquet"
        )
    if output.resolve() == source.resolve():
        raise DataError(f"--output {output}: the same path as the input")


def score_file(project, service, source: Path, output: Path, *, chunk_rows: int = CHUNK_ROWS):
    """Score every row of ``source`` into the Parquet file ``output``, chunk by chunk.

    The output is written beside its place and renamed into it at the end: a failed
    run leaves no half-written file.

    Returns
    -------
    ScoreResult

    Raises
    ------
    DataError
        The input cannot be read, or a row does not fit the model's schema.
    """
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    from atelier.sources._snapshot import first_line

    check_paths(source, output)
    clock = time.perf_counter()
    aside = output.with_name(f".{output.name}.{uuid.uuid4().hex[:8]}.partial")
    output.parent.mkdir(parents=True, exist_ok=True)
    rows, writer = 0, None
    try:
        with duckdb.connect() as connection:
            try:
                query = connection.sql(f"SELECT * FROM {input_relation(source)}")
                batches = query.to_arrow_reader(chunk_rows)
            except duckdb.Error as error:
                raise DataError(f"--input {source}: {first_line(error)}") from None
            keys = None
            for batch in batches:
                frame = batch.to_pandas()
                if keys is None:
                    keys = key_columns(project.charter, list(frame.columns))
                try:
                    scored = prediction_columns(service, frame, keys, offset=rows)
                except DataError as error:
                    raise DataError(f"--input {source}: {error}") from None
                table = pa.Table.from_pandas(scored, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(aside, table.schema)
                writer.write_table(table)
                rows += len(frame)
        if writer is None:
            raise DataError(f"--input {source}: no rows to score")
        writer.close()
        os.replace(aside, output)
    finally:
        if writer is not None:
            writer.close()
        aside.unlink(missing_ok=True)
    return recorded_score(project, service, output, rows, "duckdb", clock)


def recorded_score(project, service, output: Path, rows: int, engine: str, clock: float):
    """The scoring's result, kept as ``checks/score.json`` for the big-data chapter.

    ``clock`` is the ``time.perf_counter()`` of the scoring's start.
    """
    from dataclasses import asdict

    from atelier._artifacts import write_check

    info = service.info
    result = ScoreResult(
        str(output), rows, engine, f"{info.name}/{info.version}", time.perf_counter() - clock
    )
    write_check(
        project.artifacts_dir, "score", asdict(result) | {"rows_per_s": round(result.rows_per_s)}
    )
    return result
