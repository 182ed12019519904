"""The ingest stage: every source into raw, staging and mart, in one transaction."""

import contextlib
import hashlib
import json
import os
import shutil
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from atelier._artifacts import staged_artifact_dir, write_result
from atelier._config import duckdb_config
from atelier._naming import quote_identifier, snake_case
from atelier._project import Project
from atelier.exceptions import WarehouseBusyError
from atelier.personal import scan_relation
from atelier.personal._detect import ROW_SAMPLE as DETECTION_ROWS
from atelier.personal._policy import (
    KEY_VARIABLE,
    MIN_KEY_LENGTH,
    key_identifier,
    pseudonymisation_key,
    register_pseudonym_function,
    select_expressions,
    source_rules,
)
from atelier.sources import SourceSnapshot, snapshot_source
from atelier.sources._snapshot import first_line
from atelier.warehouse._catalog import (
    drop_relation,
    relation_names,
    relation_type,
)
from atelier.warehouse._describe import describe_tables
from atelier.warehouse._diagram import draw_schema_diagram
from atelier.warehouse._lineage import LINEAGE_DDL, LoadRecord, latest_loads, record_load
from atelier.warehouse._mart import (
    MartTable,
    build_mart,
    current_mart_signature,
    mart_signature,
)
from atelier.warehouse._monitoring import drain_predictions
from atelier.warehouse._privacy import (
    create_audit_tables,
    erasure_count,
    kept_rows_condition,
    log_erasure,
    record_personal,
    recorded_personal,
    retention_condition,
)
from atelier.warehouse._raw import (
    TypeGuessError,
    check_schema_unchanged,
    describe,
    load_raw,
    reading,
    source_relation,
)
from atelier.warehouse._result import IngestResult, SourceLoad
from atelier.warehouse._staging import build_staging

STAGE = "ingest"
DIAGRAM_FILE = "schema.png"


def ingest(
    project: Project, *, force: bool = False, allow_schema_change: bool = False
) -> IngestResult:
    """Load every source of the charter into the warehouse and build the mart.

    Sources whose content and declaration match their last load are skipped. All
    writes happen in one transaction: if anything fails, the warehouse is left
    exactly as it was (or not created at all).

    Parameters
    ----------
    project : Project
        The project to ingest.
    force : bool, default=False
        Reload every source even if unchanged.
    allow_schema_change : bool, default=False
        Accept sources whose columns differ from their last load.

    Returns
    -------
    IngestResult

    Raises
    ------
    SourceError
        A source cannot be read, or its schema changed (SchemaChangedError).
    DataError
        A join key is missing, mistyped or not unique where it must be.
    """
    started_at, clock = datetime.now(UTC), time.perf_counter()
    scratch = project.state_dir / "tmp" / f"ingest-{os.getpid()}"
    full_scan: set[str] = set()
    try:
        snapshots = _snapshots(project, scratch, started_at, force)
        while True:
            try:
                loads, mart, removed, tables, personal = _load_in_transaction(
                    project, snapshots, force, allow_schema_change, full_scan, started_at
                )
                break
            except TypeGuessError as failure:
                # The whole transaction was rolled back; retry reading that source's
                # types from every row instead of the first ones.
                full_scan.add(failure.source)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        _remove_if_empty(scratch.parent)
    if project.charter.engine == "spark":  # the mart in the lake, for Spark's profile
        from atelier.scale._lake import export_table

        export_table(
            project.warehouse_path, project.state_dir, "mart", f"mart.{project.charter.mart.table}"
        )
    online = drain_predictions(project, lambda: _connect(project.warehouse_path))
    return _write_artifacts(
        project, snapshots, loads, mart, removed, (tables, personal), started_at, clock, online
    )


def _snapshots(project: Project, scratch: Path, started_at, force: bool) -> dict:
    """Each source located and fingerprinted; with ``engine: spark``, landed in the lake."""
    charter = project.charter
    if charter.engine == "spark":
        from atelier.scale import land_sources

        return land_sources(
            project,
            scratch,
            config_hashes={name: _config_hash(name, charter) for name in charter.sources},
            join_columns=_join_columns(charter),
            loaded_at=started_at,
            force=force,
        )
    return {
        name: snapshot_source(name, spec, project.root, scratch)
        for name, spec in charter.sources.items()
    }


def _load_in_transaction(project, snapshots, force, allow_schema_change, full_scan, started_at):
    final_path = project.warehouse_path
    creating = not final_path.exists()
    path = final_path.with_suffix(".partial.duckdb") if creating else final_path
    project.state_dir.mkdir(parents=True, exist_ok=True)
    if creating:
        _remove_database(path)  # leftovers of a run that was killed
    connection = _connect(path)
    try:
        connection.execute("BEGIN TRANSACTION")
        for schema in ("raw", "staging", "mart"):
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        connection.execute(LINEAGE_DDL)
        create_audit_tables(connection)
        previous = latest_loads(connection)
        load_id = uuid.uuid4().hex
        loads = [
            _load_source(
                connection,
                snapshots[name],
                project.charter,
                previous.get(name),
                load_id,
                force=force,
                allow_schema_change=allow_schema_change,
                full_scan=name in full_scan,
                loaded_at=started_at,
            )
            for name in project.charter.sources
        ]
        removed = _drop_undeclared_sources(connection, set(snapshots))
        changed = any(load.status == "loaded" or load.purged for load in loads)
        mart = _refresh_mart(connection, project, changed)
        tables = describe_tables(connection, project)
        personal = recorded_personal(connection), erasure_count(connection)
        connection.execute("COMMIT")
    except BaseException:
        _rollback(connection)
        connection.close()
        if creating:
            _remove_database(path)
        raise
    connection.close()
    if creating:
        os.replace(path, final_path)
    return loads, mart, removed, tables, personal


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # absent, or in use by another run
        folder.rmdir()


def _connect(path: Path):
    try:
        return duckdb.connect(str(path), config=duckdb_config())
    except (duckdb.ConnectionException, duckdb.IOException) as error:
        raise WarehouseBusyError(
            f"{path}: the warehouse is open elsewhere (another atelier command, or a "
            f"connection such as Project.warehouse); close it and retry ({first_line(error)})"
        ) from None


def _rollback(connection) -> None:
    with contextlib.suppress(duckdb.Error):  # no transaction was open
        connection.execute("ROLLBACK")


def _remove_database(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def _config_hash(source: str, charter) -> str:
    """The source's declaration, its policy, and which pseudonymisation key is set."""
    policy = {
        name: rule.model_dump(mode="json")
        for name, rule in charter.privacy.policy.items()
        if name.split(".", 1)[0] == source
    }
    key = os.environ.get(KEY_VARIABLE, "")
    declared = {
        "source": charter.sources[source].model_dump(mode="json"),
        "policy": policy,
        "key": key_identifier(key.encode()) if len(key) >= MIN_KEY_LENGTH else None,
    }
    text = json.dumps(declared, sort_keys=True)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _join_columns(charter) -> set[str]:
    keys = {snake_case(key) for spec in charter.sources.values() for key in spec.key}
    return keys | {column for join in charter.mart.joins for column in join.on}


def _load_source(
    connection,
    snapshot: SourceSnapshot,
    charter,
    previous: LoadRecord | None,
    load_id: str,
    *,
    force: bool,
    allow_schema_change: bool,
    full_scan: bool,
    loaded_at: datetime,
) -> SourceLoad:
    clock = time.perf_counter()
    spec = charter.sources[snapshot.name]
    config_hash = _config_hash(snapshot.name, charter)
    unchanged = (
        previous is not None
        and previous.content_hash == snapshot.content_hash
        and previous.config_hash == config_hash
        and relation_type(connection, "staging", snapshot.name) is not None
    )
    if unchanged and not force:
        purged = _purge_expired(connection, snapshot.name, spec.retention)
        rows = connection.execute(
            f"SELECT count(*) FROM raw.{quote_identifier(snapshot.name)}"
        ).fetchone()[0]
        return SourceLoad(
            snapshot.name,
            snapshot.kind,
            snapshot.location,
            "unchanged",
            snapshot.content_hash,
            rows,
            len(previous.schema),
            0.0,
            snapshot.details,
            purged,
        )
    relation = source_relation(connection, snapshot, full_scan=full_scan)
    schema = describe(connection, relation, snapshot.name, snapshot.location)
    if previous is not None and not allow_schema_change:
        check_schema_unchanged(snapshot.name, previous.schema, schema)
    columns = [name for name, _ in schema]
    if snapshot.applied_policy is not None:  # Spark applied it as it wrote the lake
        findings, rules = snapshot.applied_policy
        selected = [(quote_identifier(column), column) for column in columns]
    else:
        findings, rules, selected = _apply_policy(connection, snapshot, relation, schema, charter)
    condition = kept_rows_condition(connection, snapshot.name, columns, spec.retention)
    rows = load_raw(connection, snapshot, relation, selected, condition, loaded_at)
    purged = 0
    if condition != "TRUE":  # rows were left out: count them (one more read of the source)
        purged = connection.execute(f"SELECT count(*) FROM {relation}").fetchone()[0] - rows
    if purged and spec.retention is not None:
        note = f"older than {spec.retention.keep_for} by {spec.retention.date_column}, or forgotten"
        log_erasure(connection, "retention", snapshot.name, None, purged, note)
    record_personal(connection, snapshot.name, findings, rules)
    # DuckDB's own readers already typed what they could; the others handed over text.
    build_staging(connection, snapshot.name, infer_types=snapshot.load_arrow is not None)
    duration = time.perf_counter() - clock
    record_load(
        connection,
        load_id=load_id,
        source=snapshot.name,
        kind=snapshot.kind,
        location=snapshot.location,
        content_hash=snapshot.content_hash,
        config_hash=config_hash,
        row_count=rows,
        schema=schema,
        loaded_at=loaded_at,
        duration_s=duration,
    )
    return SourceLoad(
        snapshot.name,
        snapshot.kind,
        snapshot.location,
        "loaded",
        snapshot.content_hash,
        rows,
        len(schema),
        round(duration, 3),
        snapshot.details,
        purged,
    )


def _apply_policy(connection, snapshot, relation: str, schema, charter):
    """The findings, the rules, and the columns as raw keeps them, the policy applied.

    The policy is applied here, before a personal value reaches raw, staging or mart.
    Detection reads the first rows: enough to judge a column, and no second pass.
    """
    head = f"(SELECT * FROM {relation} LIMIT {DETECTION_ROWS})"
    with reading(snapshot, relation):
        findings = scan_relation(connection, head, schema, snapshot.name)
    columns = [name for name, _ in schema]
    rules = source_rules(snapshot.name, columns, findings, charter, _join_columns(charter))
    pseudonymised = [rule.column for rule in rules if rule.action == "pseudonymise"]
    if pseudonymised:
        why = f"privacy: {snapshot.name}.{pseudonymised[0]} is to be pseudonymised"
        register_pseudonym_function(connection, pseudonymisation_key(why))
    return findings, rules, select_expressions(schema, rules)


def _purge_expired(connection, source: str, retention) -> int:
    """Delete the rows of an unchanged source that have passed their retention."""
    if retention is None:
        return 0
    table = f"raw.{quote_identifier(source)}"
    columns = [row[0] for row in connection.execute(f"DESCRIBE {table}").fetchall()]
    kept = retention_condition(retention, columns)
    purged = connection.execute(f"SELECT count(*) FROM {table} WHERE NOT {kept}").fetchone()[0]
    if purged:
        connection.execute(f"DELETE FROM {table} WHERE NOT {kept}")
        note = f"older than {retention.keep_for} by {retention.date_column}"
        log_erasure(connection, "retention", source, None, purged, note)
    return purged


def _drop_undeclared_sources(connection, declared: set[str]) -> list[str]:
    stored = set(relation_names(connection, "raw")) | set(relation_names(connection, "staging"))
    removed = sorted(stored - declared)
    for name in removed:
        drop_relation(connection, "staging", name)
        drop_relation(connection, "raw", name)
    return removed


def _refresh_mart(connection, project: Project, sources_changed: bool) -> MartTable | None:
    """Rebuild the mart if a source changed or its definition did; else None."""
    mart = project.charter.mart
    stored = current_mart_signature(connection, mart.table)
    if not sources_changed and stored == mart_signature(mart):
        return None
    for name in relation_names(connection, "mart"):
        if name != mart.table:
            drop_relation(connection, "mart", name)
    return build_mart(connection, mart)


def _privacy_digest(personal: dict, erasures: int) -> str:
    rules = {source: recorded["rules"] for source, recorded in personal.items()}
    text = json.dumps({"rules": rules, "erasures": erasures}, sort_keys=True)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _write_artifacts(
    project, snapshots, loads, mart, removed, described, started_at, clock, online=None
):
    (tables, relations), (personal, erasures) = described
    mart_schema = tables[-1]
    with staged_artifact_dir(project.artifacts_dir, STAGE) as folder:
        draw_schema_diagram(tables, relations, mart_schema.qualified_name, folder / DIAGRAM_FILE)
        duration = time.perf_counter() - clock
        result = IngestResult(
            warehouse=str(project.warehouse_path),
            sources=loads,
            mart_table=mart_schema.qualified_name,
            mart_rows=mart_schema.rows,
            mart_rebuilt=mart is not None,
            joins=mart.joins if mart is not None else [],
            personal_data=[c for c, _ in mart_schema.columns if c in mart_schema.personal_data],
            personal={name: personal[name] for name in project.charter.sources if name in personal},
            removed_sources=removed,
            tables=tables,
            relations=relations,
            diagram=str(project.artifact_dir(STAGE) / DIAGRAM_FILE),
            duration_s=round(duration, 3),
            online=online,
        )
        write_result(
            folder,
            stage=STAGE,
            result=result,
            # The rules applied and the erasures change the data as much as the sources do.
            inputs={name: snapshot.content_hash for name, snapshot in snapshots.items()}
            | {"_privacy": _privacy_digest(personal, erasures)},
            parameters={},
            started_at=started_at,
            duration_s=duration,
        )
    return result
