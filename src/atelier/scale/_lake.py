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
from atelier.personal._detect import Finding
from atelier.personal._policy import Rule, source_rules
from atelier.scale._dialect import duckdb_type
from atelier.scale._policy import detect, with_policy, without_forgotten
from atelier.scale._readers import TypeMismatchError, failing_values, frame_hash, read_source
from atelier.sources._snapshot import SourceSnapshot

LAKE_DIR = "lake"


WAREHOUSE_FILE = "warehouse.duckdb"  # beside the lake, in the project's .atelier folder


RAW_LAYER = "raw"


MANIFEST_FILE = "_atelier.json"


LINEAGE_COLUMNS = ("_atelier_source", "_atelier_source_hash", "_atelier_loaded_at_utc")


SPARK_KINDS = (CsvSource, JsonSource, ParquetSource, SqlSource)
# The encodings DuckDB reads itself (the others were copied into UTF-8), as Java names them.


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
    frame, location, details = read_source(spark, name, spec, snapshot)
    content_hash = snapshot.content_hash if snapshot else frame_hash(frame)
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
        except TypeMismatchError:
            # A type guessed from the first rows does not fit a later one: read the
            # types from every row, as the warehouse's own loader does.
            try:
                manifest = write(read_source(spark, name, spec, snapshot, full_scan=True)[0])
            except TypeMismatchError as error:
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


def _read_manifest(folder: Path) -> dict | None:
    path = folder / MANIFEST_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _write(spark, charter, name, frame, *, folder, content_hash, config_hash, joins, loaded_at):
    """Apply the policy, write the source aside, then swap it into place."""
    spec = charter.sources[name]
    schema = [(field.name, duckdb_type(field.dataType.simpleString())) for field in frame.schema]
    with failing_values():
        findings = detect(name, frame, schema)
    rules = source_rules(name, [column for column, _ in schema], findings, charter, joins)
    frame = without_forgotten(frame, name, folder.parents[2] / WAREHOUSE_FILE)
    landed = with_policy(spark, name, frame, schema, rules, spec.retention)
    landed = landed.select("*", *_lineage(name, content_hash, loaded_at))
    partition_by = _partition_columns(name, spec.partition_by, landed.columns)
    with written_aside(folder) as aside:
        writer = landed.write.mode("errorifexists")
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        with failing_values():
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
        _write_manifest(aside, manifest)
    return manifest


def _lineage(name: str, content_hash: str, loaded_at: datetime) -> list:
    """The warehouse's lineage columns, as constants of the load."""
    from pyspark.sql import functions as sf

    loaded = sf.lit(loaded_at.replace(tzinfo=None)).cast("timestamp_ntz")
    values = (sf.lit(name), sf.lit(content_hash), loaded)
    return [value.alias(column) for value, column in zip(values, LINEAGE_COLUMNS, strict=True)]


def _partition_columns(name: str, declared: list[str], columns: list[str]) -> list[str]:
    by_snake = {snake_case(column): column for column in columns}
    missing = [column for column in declared if snake_case(column) not in by_snake]
    if missing:
        raise SourceError(
            f"sources.{name}.partition_by: no column {missing[0]!r} among the columns the "
            f"lake keeps ({', '.join(columns)})"
        )
    return [by_snake[snake_case(column)] for column in declared]


@contextlib.contextmanager
def written_aside(folder: Path):
    """A path beside ``folder`` to write the new copy into, swapped in once written.

    If the block fails, what it wrote is removed and ``folder`` stays as it was.
    """
    aside = folder.parent / f".{folder.name}.partial-{uuid.uuid4().hex[:8]}"
    try:
        yield aside
    except BaseException:
        shutil.rmtree(aside, ignore_errors=True)
        raise
    swap_folder(aside, folder)


def swap_folder(aside: Path, folder: Path) -> None:
    """Put the new copy in place of the old one; the old one goes only once it is out."""
    retired = folder.parent / f".{folder.name}.retired-{uuid.uuid4().hex[:8]}"
    if folder.exists():
        folder.rename(retired)
    aside.rename(folder)
    shutil.rmtree(retired, ignore_errors=True)


def _write_manifest(folder: Path, manifest: dict) -> None:
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1), encoding="utf-8")


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
    with duckdb.connect() as connection:
        removed = connection.execute(
            f"SELECT count(*) FROM {reader} WHERE {condition}", [value]
        ).fetchone()[0]
        if not removed:
            return 0
        options = "FORMAT parquet"
        partitioned = manifest["partition_by"]
        if partitioned:
            partitions = ", ".join(quote_identifier(c) for c in partitioned)
            options += f", PARTITION_BY ({partitions})"
        with written_aside(folder) as aside:
            aside.mkdir(parents=True)
            target = quote_literal(str(aside if partitioned else aside / "part-0.parquet"))
            connection.execute(
                f"COPY (SELECT * FROM {reader} WHERE NOT ({condition})) TO {target} ({options})",
                [value],
            )
            _write_manifest(aside, manifest | {"rows": manifest["rows"] - removed})
    return removed


def export_table(warehouse: Path, state_dir: Path, layer: str, table: str) -> Path:
    """Copy a warehouse table into the lake (``<layer>/<table>``) for Spark to read.

    Written aside by DuckDB, then swapped in: Parquet is the contract both ways.
    """
    schema_name, _, name = table.rpartition(".")
    folder = lake_folder(state_dir, layer, name)
    with (
        written_aside(folder) as aside,
        duckdb.connect(str(warehouse), read_only=True) as connection,
    ):
        aside.mkdir(parents=True)
        target = quote_literal(str(aside / "part-0.parquet"))
        connection.execute(
            f"COPY (SELECT * FROM {schema_name}.{quote_identifier(name)}) TO {target} "
            "(FORMAT parquet)"
        )
    return folder
