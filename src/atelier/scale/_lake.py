"""Sources read by Spark into a Parquet lake, the privacy policy applied on the way.

Each source lands in ``.atelier/lake/raw/<source>/``, partitioned Hive-style by the
charter's ``partition_by``, with the lineage columns of the warehouse's raw tables
and a manifest (``_atelier.json``) of what was read. The folder is written aside and
swapped into place, so that a failed or killed job leaves the lake as it was.
Parquet is the contract: the warehouse then loads the lake with DuckDB.
"""

import contextlib
import functools
import json
import shutil
import uuid
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import duckdb

from atelier._naming import quote_identifier, quote_literal, snake_case
from atelier.charter import CsvSource, JsonSource, ParquetSource, SqlSource
from atelier.exceptions import SourceError
from atelier.personal import scan_relation
from atelier.personal._detect import ROW_SAMPLE as DETECTION_ROWS
from atelier.personal._detect import Finding
from atelier.personal._policy import (
    PSEUDONYM_FUNCTION,
    Rule,
    pseudonym,
    pseudonymisation_key,
    select_expressions,
    source_rules,
)
from atelier.scale._dialect import duckdb_type, java_date_format, spark_type, to_spark
from atelier.scale._jdbc import read_jdbc
from atelier.sources._snapshot import SourceSnapshot, first_line
from atelier.warehouse._privacy import retention_condition

LAKE_DIR = "lake"
WAREHOUSE_FILE = "warehouse.duckdb"  # beside the lake, in the project's .atelier folder
RAW_LAYER = "raw"
MANIFEST_FILE = "_atelier.json"
LINEAGE_COLUMNS = ("_atelier_source", "_atelier_source_hash", "_atelier_loaded_at_utc")
SPARK_KINDS = (CsvSource, JsonSource, ParquetSource, SqlSource)
# The encodings DuckDB reads itself (the others were copied into UTF-8), as Java names them.
_TRUE, _FALSE = ("true", "t", "yes", "y", "1"), ("false", "f", "no", "n", "0")
_JAVA_CHARSETS = {"latin-1": "ISO-8859-1", "utf-8": "UTF-8", "utf-16": "UTF-16"}


def lake_folder(state_dir: Path, layer: str, name: str) -> Path:
    """Where a table of the lake lies: ``<state>/lake/<layer>/<name>``."""
    return state_dir / LAKE_DIR / layer / name


def land_source(
    spark,
    charter,
    name: str,
    snapshot: SourceSnapshot | None,
    *,
    state_dir: Path,
    config_hash: str,
    join_columns: set[str],
    loaded_at: datetime,
    force: bool = False,
) -> SourceSnapshot:
    """Read one source with Spark into the lake; return the snapshot DuckDB loads.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    charter : Charter
    name : str
        The source's name in the charter.
    snapshot : SourceSnapshot or None
        The file's fingerprint and DuckDB reader (its types are the lake's types);
        None for a database, which Spark reads by JDBC and fingerprints itself.
    state_dir : Path
        The project's ``.atelier`` folder.
    config_hash : str
        The fingerprint of the source's declaration and policy.
    join_columns : set of str
        Columns other tables join on (pseudonymised rather than dropped).
    loaded_at : datetime
    force : bool, default=False
        Rewrite the lake's copy even when the source did not change.

    Returns
    -------
    SourceSnapshot
        Reading the lake's Parquet files, with the policy marked as applied.

    Raises
    ------
    SourceError
        The source cannot be read, or a value does not fit its column's type.
    """
    spec = charter.sources[name]
    folder = lake_folder(state_dir, RAW_LAYER, name)
    frame, location, details = _read(spark, name, spec, snapshot)
    content_hash = snapshot.content_hash if snapshot else _frame_hash(frame)
    manifest = _read_manifest(folder)
    unchanged = (
        manifest is not None
        and manifest["content_hash"] == content_hash
        and manifest["config_hash"] == config_hash
    )
    if not unchanged or force:
        write = functools.partial(
            _write,
            spark,
            charter,
            name,
            folder=folder,
            content_hash=content_hash,
            config_hash=config_hash,
            joins=join_columns,
            loaded_at=loaded_at,
        )
        try:
            manifest = write(frame)
        except _TypeMismatchError:
            # A type guessed from the first rows does not fit a later one: read the
            # types from every row, as the warehouse's own loader does.
            try:
                manifest = write(_read(spark, name, spec, snapshot, full_scan=True)[0])
            except _TypeMismatchError as error:
                raise SourceError(
                    f"source {name!r}: a value does not fit its column's type, read from "
                    f"every row ({error}); check the file"
                ) from None
    findings = [Finding(**finding) for finding in manifest["findings"]]
    rules = [Rule(**rule) for rule in manifest["rules"]]
    return SourceSnapshot(
        name=name,
        kind=spec.kind,
        location=location,
        content_hash=content_hash,
        table_expression=lake_reader(folder, manifest["schema"], manifest["partition_by"]),
        details=details
        | {
            "engine": "spark",
            "lake": str(folder),
            "lake_rows": manifest["rows"],
            "partition_by": manifest["partition_by"],
        },
        applied_policy=(findings, rules),
    )


def lake_reader(folder: Path, schema: list[list[str]], partition_by: list[str]) -> str:
    """A DuckDB table expression reading a lake table, its columns in the source's order."""
    files = quote_literal(str(folder / "**" / "*.parquet"))
    options = "hive_partitioning=true"
    types = dict(schema)
    if partition_by:
        hive = ", ".join(f"{quote_literal(column)}: {types[column]}" for column in partition_by)
        options += f", hive_types={{{hive}}}"
    columns = ", ".join(quote_identifier(column) for column, _ in schema)
    return f"(SELECT {columns} FROM read_parquet({files}, {options}))"


class _TypeMismatchError(Exception):
    """A value of the source does not fit the type given to its column."""


def _read(spark, name: str, spec, snapshot: SourceSnapshot | None, *, full_scan: bool = False):
    """The source as a Spark DataFrame, where it was, and what was detected."""
    if isinstance(spec, SqlSource):
        return read_jdbc(spark, name, spec)
    schema = _duckdb_schema(name, snapshot, full_scan=full_scan)
    path = snapshot.location
    if isinstance(spec, ParquetSource):
        reader = spark.read.schema(spark_ddl(schema))
        return _checked(name, path, lambda: reader.parquet(path)), path, snapshot.details
    if isinstance(spec, JsonSource):
        multiline = snapshot.details.get("format") == "array" or _starts_with_bracket(path)
        reader = spark.read.schema(spark_ddl(schema)).options(
            multiLine=multiline, mode="FAILFAST", dateFormat="yyyy-MM-dd"
        )
        return _checked(name, path, lambda: reader.json(path)), path, snapshot.details
    # A file in an encoding DuckDB does not decode was copied into UTF-8: Spark reads the copy.
    encoding = "utf-8" if snapshot.readable else snapshot.details.get("encoding", "utf-8")
    frame = read_csv(
        spark,
        name,
        snapshot.readable or path,
        schema,
        encoding=encoding,
        comma_decimal=snapshot.details.get("decimal") == ",",
    )
    return frame, path, snapshot.details


def read_csv(spark, name: str, path: str, schema, *, encoding: str, comma_decimal: bool):
    """A delimited file read by Spark as DuckDB's sniffer reads it (delimiter, quote, dates).

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    name : str
        What the file is, for error messages.
    path : str
    schema : list of (str, str)
        Column names and DuckDB types, as DuckDB's reader types the file.
    encoding : str
    comma_decimal : bool
        Numbers are written with a decimal comma.
    """
    sniffed = _sniff(name, path, encoding)
    # A decimal comma is read as text, then turned into a number: Spark parses dots only.
    # Read as text, then converted as DuckDB reads them: Spark parses decimal points
    # only, and only true and false as booleans.
    converted = {"BOOLEAN"} | ({"DOUBLE"} if comma_decimal else set())
    read_types = [
        (column, "VARCHAR" if data_type in converted else data_type) for column, data_type in schema
    ]
    options = {
        "sep": sniffed["Delimiter"],
        "quote": _character(sniffed["Quote"], "\u0000"),  # U+0000: no quoting, as sniffed
        "escape": _character(sniffed["Escape"], _character(sniffed["Quote"], "\\")),
        "header": bool(sniffed["HasHeader"]),
        "encoding": _JAVA_CHARSETS.get(encoding, encoding),
        "mode": "FAILFAST",
        "multiLine": True,
        "nullValue": "",
    }
    if sniffed["DateFormat"]:
        options["dateFormat"] = java_date_format(sniffed["DateFormat"])
    if sniffed["TimestampFormat"]:
        options["timestampFormat"] = java_date_format(sniffed["TimestampFormat"])
    reader = spark.read.schema(spark_ddl(read_types)).options(**options)
    frame = _checked(name, path, lambda: reader.csv(path))
    for (column, data_type), (_, read_type) in zip(schema, read_types, strict=True):
        if data_type != read_type:
            frame = frame.withColumn(column, _converted(column, data_type))
    return frame


def _converted(column: str, data_type: str):
    """A text column as a number with a decimal comma, or as DuckDB's booleans.

    A value that does not convert fails the job as a malformed record would, so that
    the types are read again from every row (see :func:`land_source`).
    """
    from pyspark.sql import functions as sf

    text = sf.lower(sf.trim(sf.col(column)))
    if data_type == "BOOLEAN":
        value = sf.when(text.isin(*_TRUE), sf.lit(True)).when(text.isin(*_FALSE), sf.lit(False))
    else:
        value = sf.regexp_replace(text, ",", ".").try_cast("double")
    failed = sf.col(column).isNotNull() & value.isNull()
    refused = sf.raise_error(sf.lit(f"MALFORMED value in column {column!r} for {data_type}"))
    return sf.when(failed, refused.cast(data_type.lower())).otherwise(value)


def _character(sniffed: str | None, default: str) -> str:
    """A quote or escape character the sniffer found; ``default`` where it found none."""
    return default if sniffed in (None, "", "(empty)") else sniffed


def _sniff(name: str, path: str, encoding: str) -> dict:
    query = (
        "SELECT Delimiter, Quote, Escape, HasHeader, DateFormat, TimestampFormat "
        f"FROM sniff_csv({quote_literal(path)}, encoding={quote_literal(encoding)})"
    )
    try:
        with duckdb.connect() as connection:
            cursor = connection.execute(query)
            names = [column[0] for column in cursor.description]
            return dict(zip(names, cursor.fetchone(), strict=True))
    except duckdb.Error as error:
        raise SourceError(f"source {name!r}: cannot read {path}: {first_line(error)}") from None


def _duckdb_schema(name: str, snapshot: SourceSnapshot, *, full_scan: bool) -> list:
    """Column names and types as DuckDB's own readers see the file.

    From its first rows, or from every row when ``full_scan`` (and the reader can).
    """
    reader = snapshot.table_expression
    if full_scan and snapshot.full_scan_expression:
        reader = snapshot.full_scan_expression
    try:
        return duckdb_schema(reader)
    except duckdb.Error as error:
        raise SourceError(
            f"source {name!r}: cannot read {snapshot.location}: {first_line(error)}"
        ) from None


def duckdb_schema(relation: str) -> list[tuple[str, str]]:
    """Column names and DuckDB types of a table expression, read from its first rows."""
    with duckdb.connect() as connection:
        rows = connection.execute(f"DESCRIBE SELECT * FROM {relation}")
        return [(row[0], row[1]) for row in rows.fetchall()]


def spark_ddl(schema) -> str:
    """Spark's DDL for columns typed as DuckDB types them."""
    return ", ".join(f"`{column}` {spark_type(data_type)}" for column, data_type in schema)


def _starts_with_bracket(path: str) -> bool:
    with open(path, "rb") as stream:
        return stream.read(1024).lstrip()[:1] == b"["


def _checked(name: str, path: str, read):
    try:
        return read()
    except Exception as error:  # Spark's analysis errors: a path or schema it refuses
        raise SourceError(
            f"source {name!r}: Spark cannot read {path}: {first_line(error)}"
        ) from None


def _frame_hash(frame) -> str:
    """A fingerprint of a table's content computed by Spark, whatever its size."""
    from pyspark.sql import functions as sf

    row = frame.select(
        sf.count(sf.lit(1)).alias("rows"),
        sf.sum(sf.xxhash64(*frame.columns).cast("decimal(38,0)")).alias("digest"),
    ).first()
    return f"spark-xxhash64:{row['rows']}:{row['digest']}"


def _read_manifest(folder: Path) -> dict | None:
    path = folder / MANIFEST_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _write(spark, charter, name, frame, *, folder, content_hash, config_hash, joins, loaded_at):
    """Apply the policy, write the source aside, then swap it into place."""
    spec = charter.sources[name]
    schema = [(field.name, duckdb_type(field.dataType.simpleString())) for field in frame.schema]
    with _failing_values():
        findings = _detect(name, frame, schema)
    rules = source_rules(name, [column for column, _ in schema], findings, charter, joins)
    frame = _without_forgotten(frame, name, folder.parents[2] / WAREHOUSE_FILE)
    landed = _with_policy(spark, name, frame, schema, rules, spec.retention)
    landed = landed.select("*", *_lineage(name, content_hash, loaded_at))
    partition_by = _partition_columns(name, spec.partition_by, landed.columns)
    aside = folder.parent / f".{name}.partial-{uuid.uuid4().hex[:8]}"
    try:
        writer = landed.write.mode("errorifexists")
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        with _failing_values():
            writer.parquet(str(aside))
        manifest = {
            "source": name,
            "content_hash": content_hash,
            "config_hash": config_hash,
            "rows": spark.read.parquet(str(aside)).count(),
            "schema": [
                (field.name, duckdb_type(field.dataType.simpleString()))
                for field in landed.schema
                if field.name not in LINEAGE_COLUMNS
            ],
            "partition_by": partition_by,
            "findings": [finding.to_dict() for finding in findings],
            "rules": [asdict(rule) for rule in rules],
            "loaded_at": loaded_at.isoformat(),
        }
        (aside / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    except BaseException:
        shutil.rmtree(aside, ignore_errors=True)
        raise
    swap_folder(aside, folder)
    return manifest


def _without_forgotten(frame, name: str, warehouse: Path):
    """The rows whose key was not forgotten (``atelier forget``), as the warehouse leaves out."""
    from pyspark.sql import functions as sf

    if not warehouse.exists():
        return frame
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        if not connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'audit' "
            "AND table_name = 'forgotten'"
        ).fetchone()[0]:
            return frame
        salt = connection.execute("SELECT salt FROM audit.salt").fetchone()[0]
        forgotten = connection.execute(
            "SELECT key_column, list(digest) FROM audit.forgotten WHERE source = ? GROUP BY 1",
            [name],
        ).fetchall()
    by_snake = {snake_case(column): column for column in frame.columns}
    for key_column, digests in forgotten:
        if key_column in by_snake:
            value = f"trim(CAST({quote_identifier(by_snake[key_column])} AS VARCHAR))"
            digest = to_spark(f"sha256({quote_literal(salt)} || {value})")
            frame = frame.where(~sf.expr(digest).isin(digests))
    return frame


@contextlib.contextmanager
def _failing_values():
    """Turn Spark's refusal of a value that does not fit its type into _TypeMismatchError."""
    try:
        yield
    except Exception as error:  # py4j and PySpark wrap the reader's failure in several types
        text = str(error)
        if "FAILFAST" in text or "MALFORMED" in text.upper():
            raise _TypeMismatchError(first_line(error)) from None
        raise


def _with_policy(spark, name: str, frame, schema, rules, retention):
    """The source's columns as the privacy policy keeps them, past rows left out."""
    from pyspark.sql import functions as sf

    pseudonymised = [rule.column for rule in rules if rule.action == "pseudonymise"]
    if pseudonymised:
        why = f"privacy: {name}.{pseudonymised[0]} is to be pseudonymised"
        _register_pseudonyms(spark, pseudonymisation_key(why))
    if retention is not None:
        columns = [column for column, _ in schema]
        frame = frame.where(sf.expr(to_spark(retention_condition(retention, columns))))
    return frame.select(
        *[
            sf.expr(to_spark(expression)).alias(column)
            for expression, column in select_expressions(schema, rules)
        ]
    )


def _lineage(name: str, content_hash: str, loaded_at: datetime) -> list:
    """The warehouse's lineage columns, as constants of the load."""
    from pyspark.sql import functions as sf

    loaded = sf.lit(loaded_at.replace(tzinfo=None)).cast("timestamp_ntz")
    values = (sf.lit(name), sf.lit(content_hash), loaded)
    return [value.alias(column) for value, column in zip(values, LINEAGE_COLUMNS, strict=True)]


def _detect(name: str, frame, schema) -> list[Finding]:
    """Personal-data findings on the first rows, by the warehouse's own detector."""
    sample = frame.limit(DETECTION_ROWS).toArrow()
    with duckdb.connect() as connection:
        connection.register("_atelier_sample", sample)
        return scan_relation(connection, "_atelier_sample", schema, name)


def _register_pseudonyms(spark, key: bytes) -> None:
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    @pandas_udf("string")
    def pseudonyms(values: pd.Series) -> pd.Series:
        return values.map(lambda value: pseudonym(key, value) if isinstance(value, str) else None)

    spark.udf.register(PSEUDONYM_FUNCTION, pseudonyms)


def _partition_columns(name: str, declared: list[str], columns: list[str]) -> list[str]:
    by_snake = {snake_case(column): column for column in columns}
    missing = [column for column in declared if snake_case(column) not in by_snake]
    if missing:
        raise SourceError(
            f"sources.{name}.partition_by: no column {missing[0]!r} among the columns the "
            f"lake keeps ({', '.join(columns)})"
        )
    return [by_snake[snake_case(column)] for column in declared]


def swap_folder(aside: Path, folder: Path) -> None:
    """Put the new copy in place of the old one; the old one goes only once it is out."""
    retired = folder.parent / f".{folder.name}.retired-{uuid.uuid4().hex[:8]}"
    if folder.exists():
        folder.rename(retired)
    aside.rename(folder)
    shutil.rmtree(retired, ignore_errors=True)


def land_sources(
    project,
    scratch: Path,
    *,
    config_hashes: dict[str, str],
    join_columns: set[str],
    loaded_at: datetime,
    force: bool = False,
) -> dict[str, SourceSnapshot]:
    """Every source of the charter: tables by Spark into the lake, files of media by DuckDB.

    Sources Spark has no reader for (Excel, SQLite, HTTP, images, sounds) keep their
    DuckDB snapshot; lake tables of sources no longer declared are removed.
    """
    from atelier.scale._session import spark_session
    from atelier.sources import snapshot_source

    charter = project.charter
    spark = spark_session(charter.spark)
    snapshots = {}
    for name, spec in charter.sources.items():
        read_by_duckdb = not isinstance(spec, SPARK_KINDS)
        snapshot = (
            None
            if isinstance(spec, SqlSource)
            else snapshot_source(name, spec, project.root, scratch)
        )
        if read_by_duckdb:
            snapshots[name] = snapshot
            continue
        snapshots[name] = land_source(
            spark,
            charter,
            name,
            snapshot,
            state_dir=project.state_dir,
            config_hash=config_hashes[name],
            join_columns=join_columns,
            loaded_at=loaded_at,
            force=force,
        )
    _remove_undeclared(project.state_dir / LAKE_DIR / RAW_LAYER, set(charter.sources))
    return snapshots


def _remove_undeclared(layer: Path, declared: set[str]) -> None:
    if not layer.exists():
        return
    for folder in layer.iterdir():
        if folder.is_dir() and (folder.name not in declared or folder.name.startswith(".")):
            shutil.rmtree(folder, ignore_errors=True)


def forget_in_lake(state_dir: Path, source: str, column: str, value: str) -> int:
    """Rewrite a lake table without the rows whose ``column`` is ``value``; return how many.

    DuckDB rewrites the Parquet files (the lake's contract), aside, then swaps them in.
    """
    folder = lake_folder(state_dir, RAW_LAYER, source)
    manifest = _read_manifest(folder)
    if manifest is None:
        return 0
    files = quote_literal(str(folder / "**" / "*.parquet"))
    reader = f"read_parquet({files}, hive_partitioning=true)"
    condition = f"trim(CAST({quote_identifier(column)} AS VARCHAR)) = ?"
    aside = folder.parent / f".{source}.partial-{uuid.uuid4().hex[:8]}"
    with duckdb.connect() as connection:
        removed = connection.execute(
            f"SELECT count(*) FROM {reader} WHERE {condition}", [value]
        ).fetchone()[0]
        if not removed:
            return 0
        options = "FORMAT parquet"
        if manifest["partition_by"]:
            partitions = ", ".join(quote_identifier(c) for c in manifest["partition_by"])
            options += f", PARTITION_BY ({partitions})"
        try:
            target = quote_literal(
                str(aside if manifest["partition_by"] else aside / "part-0.parquet")
            )
            aside.mkdir(parents=True)
            connection.execute(
                f"COPY (SELECT * FROM {reader} WHERE NOT ({condition})) TO {target} ({options})",
                [value],
            )
            manifest["rows"] -= removed
            (aside / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        except BaseException:
            shutil.rmtree(aside, ignore_errors=True)
            raise
    swap_folder(aside, folder)
    return removed


def export_table(warehouse: Path, state_dir: Path, layer: str, table: str) -> Path:
    """Copy a warehouse table into the lake (``<layer>/<table>``) for Spark to read.

    Written aside by DuckDB, then swapped in: Parquet is the contract both ways.
    """
    schema_name, _, name = table.rpartition(".")
    folder = lake_folder(state_dir, layer, name)
    aside = folder.parent / f".{name}.partial-{uuid.uuid4().hex[:8]}"
    aside.mkdir(parents=True)
    try:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            target = quote_literal(str(aside / "part-0.parquet"))
            connection.execute(
                f"COPY (SELECT * FROM {schema_name}.{quote_identifier(name)}) TO {target} "
                "(FORMAT parquet)"
            )
    except BaseException:
        shutil.rmtree(aside, ignore_errors=True)
        raise
    swap_folder(aside, folder)
    return folder
