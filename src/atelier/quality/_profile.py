"""The profile stage: statistics and findings for a warehouse table or a single file."""

import json
import os
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from atelier._artifacts import staged_artifact_dir, write_result
from atelier._config import duckdb_config
from atelier._naming import quote_identifier, snake_case
from atelier._project import Project
from atelier._text import Text
from atelier.charter import is_media_source, text_columns
from atelier.exceptions import DataError, SourceError
from atelier.media import MEDIA_RECORD_COLUMNS
from atelier.quality._figures import draw_distributions, draw_missing
from atelier.quality._media_findings import media_findings
from atelier.quality._personal import find_personal_columns, mask
from atelier.quality._result import ColumnProfile, Finding, Histogram, ProfileResult, ValueCount
from atelier.quality._row_findings import duplicate_findings
from atelier.quality._semantic import semantic_type
from atelier.quality._stats import ColumnStats, column_statistics
from atelier.quality._target_findings import (
    correlation_findings,
    imbalance_finding,
    leakage_findings,
)
from atelier.quality._text_findings import text_findings
from atelier.quality._value_findings import value_findings

STAGE = "profile"
MAX_EXAMPLE_LENGTH = 80
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def profile_relation(
    connection,
    relation: str,
    *,
    table: str,
    target: str | None = None,
    key: list[str] | None = None,
    personal_data: list[str] | None = None,
    language: str = "en",
) -> ProfileResult:
    """Profile a table, view or table expression of an open DuckDB connection.

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection
        Where the data are.
    relation : str
        A relation to read (``mart."customers"`` or ``read_parquet('f.parquet')``).
    table : str
        Its name, as the result will show it.
    target : str, optional
        The column a model will predict, for imbalance and leakage checks.
    key : list of str, optional
        Columns that should identify a row, checked for duplicates.
    personal_data : list of str, optional
        Columns declared as personal data; others are detected.
    language : {"en", "fr"}, default="en"
        The language the findings are written in.

    Returns
    -------
    ProfileResult
    """
    clock = time.perf_counter()
    say = Text(language)
    schema = [
        (row[0], row[1])
        for row in connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    ]
    names = [name for name, _ in schema]
    for role, columns in (("target", [target] if target else []), ("key", key or [])):
        missing = [column for column in columns if column not in names]
        if missing:
            raise DataError(
                f"{table}: {role} column {missing[0]!r} does not exist (columns: {names})"
            )
    stats = column_statistics(connection, relation, schema)
    keys = set(key or [])
    semantics = {c.name: semantic_type(c, is_key=c.name in keys) for c in stats}
    declared = [name for name in personal_data or [] if name in names]
    texts = [column for column in stats if column.family == "text"]
    personal = find_personal_columns(connection, relation, texts, declared)
    hidden = {column.name for column in personal}
    findings = [
        finding
        for column in stats
        for finding in value_findings(
            column, semantics[column.name], personal=column.name in hidden, say=say
        )
    ]
    findings += [
        Finding(
            "personal_data",
            [column.name],
            _by_name(stats, column.name).non_null,
            "warning",
            say("find_personal", column=column.name, reason=say.term(column.reason)),
            [],
            say("fix_personal"),
        )
        for column in personal
    ]
    identifiers = [name for name, kind in semantics.items() if kind == "identifier"]
    findings += duplicate_findings(connection, relation, stats, identifiers, key or [], hidden, say)
    rows = stats[0].rows if stats else 0
    if target:
        findings += _target_findings(connection, relation, stats, semantics, target, hidden, say)
    numeric = [name for name, kind in semantics.items() if kind == "numeric" and name != target]
    findings += correlation_findings(connection, relation, numeric, rows, say)
    findings = sorted(
        (_shown(finding, hidden) for finding in findings),
        key=lambda f: (_SEVERITY_ORDER[f.severity], f.kind, f.columns),
    )
    return ProfileResult(
        table=table,
        rows=rows,
        columns=[_column_profile(c, semantics[c.name], c.name in hidden) for c in stats],
        findings=findings,
        target=target,
        duration_s=round(time.perf_counter() - clock, 3),
    )


def _by_name(stats: list[ColumnStats], name: str) -> ColumnStats:
    return next(column for column in stats if column.name == name)


def _target_findings(connection, relation, stats, semantics, target, hidden, say) -> list[Finding]:
    target_stats = _by_name(stats, target)
    if semantics[target] == "constant":
        return [
            Finding(
                "imbalance",
                [target],
                target_stats.rows,
                "critical",
                say("find_constant_target", target=target),
                [],
                say("fix_constant_target"),
            )
        ]
    found = []
    imbalance = imbalance_finding(target_stats, say)
    if imbalance is not None:
        found.append(imbalance)
    candidates = [
        (column, semantics[column.name])
        for column in stats
        if column.name != target
        and column.name not in hidden
        and semantics[column.name] not in {"identifier", "constant"}
    ]
    found += leakage_findings(connection, relation, target_stats, candidates, say)
    return found


def _short(value):
    if isinstance(value, str) and len(value) > MAX_EXAMPLE_LENGTH:
        return value[: MAX_EXAMPLE_LENGTH - 1] + "…"
    if isinstance(value, list):
        return [_short(item) for item in value]
    return value


def _shown(finding: Finding, hidden: set[str]) -> Finding:
    """The finding with long examples shortened and personal data masked."""
    personal = hidden & set(finding.columns)
    examples = [mask(e) if personal else _short(e) for e in finding.examples]
    return replace(finding, examples=examples)


def _column_profile(column: ColumnStats, semantic: str, personal: bool) -> ColumnProfile:
    top = [
        ValueCount(mask(value) if personal else _short(value), count)
        for value, count in column.top_values
        if count is not None
    ]
    histogram = None
    if column.histogram is not None and column.histogram[1]:
        histogram = Histogram(list(column.histogram[0]), list(column.histogram[1]))
    return ColumnProfile(
        name=column.name,
        storage_type=column.storage_type,
        semantic_type=semantic,
        missing=column.missing,
        missing_rate=round(column.missing / column.rows, 6) if column.rows else 0.0,
        distinct=column.distinct,
        distinct_is_approximate=column.distinct_is_approximate,
        top_values=top,
        minimum=None if personal else column.minimum,
        maximum=None if personal else column.maximum,
        mean=column.mean,
        std=column.std,
        skew=column.skew,
        quantiles=column.quantiles,
        histogram=histogram,
        mean_length=column.mean_length,
        numeric_share=_numeric_share(column),
    )


def _numeric_share(column: ColumnStats) -> float | None:
    meaningful = column.non_null - column.disguised_text
    if column.family != "text" or meaningful <= 0:
        return None
    return round(column.numeric_text / meaningful, 6)


def profile(project: Project, table: str | None = None) -> ProfileResult:
    """Profile a warehouse table (by default the mart) and write the stage's artifacts.

    Parameters
    ----------
    project : Project
        The project.
    table : str, optional
        ``schema.table`` to profile; the mart table by default.

    Returns
    -------
    ProfileResult
    """
    started_at = datetime.now(UTC)
    charter = project.charter
    qualified = table or f"mart.{charter.mart.table}"
    schema_name, _, table_name = qualified.rpartition(".")
    if not schema_name:
        raise DataError(f"table {qualified!r}: name it with its schema, such as mart.{qualified}")
    with project.connect() as connection:
        exists = connection.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = ?",
            [schema_name, table_name],
        ).fetchone()[0]
        if not exists:
            tables = [
                f"{s}.{t}"
                for s, t in connection.execute(
                    "SELECT table_schema, table_name FROM information_schema.tables "
                    "WHERE table_schema IN ('raw', 'staging', 'mart') ORDER BY ALL"
                ).fetchall()
            ]
            raise DataError(f"table {qualified!r} does not exist (tables: {tables})")
        relation = f"{schema_name}.{quote_identifier(table_name)}"
        columns = [row[0] for row in connection.execute(f"DESCRIBE {relation}").fetchall()]
        target = charter.target.column if charter.target.column in columns else None
        base_key = [snake_case(k) for k in charter.sources[charter.mart.base].key]
        key = base_key if all(k in columns for k in base_key) else []
        personal = sorted(
            {snake_case(name) for spec in charter.sources.values() for name in spec.personal_data}
            | set(_still_personal(project))
        )
        on_spark = charter.engine == "spark" and qualified == f"mart.{charter.mart.table}"
        engine_connection, engine_relation = connection, relation
        if on_spark:  # the mart as ingest copied it into the lake, read by Spark
            from atelier.scale._sql import spark_view

            engine_connection, engine_relation = spark_view(project, "mart", table_name)
        result = profile_relation(
            engine_connection,
            engine_relation,
            table=qualified,
            target=target,
            key=key,
            personal_data=personal,
            language=charter.project.language,
        )
        if on_spark:
            result = replace(result, engine="spark")
        media = is_media_source(charter.sources[charter.mart.base]) and target is not None
        if media:
            result = _with_media_findings(connection, relation, result, target, charter)
        declared = {k: v for k, v in text_columns(charter).items() if k in columns}
        if declared:
            result = _with_text_findings(connection, relation, result, declared, target, charter)
    hidden = {f.columns[0] for f in result.findings_of("personal_data")}
    # the files' record (hash, size, format) is no data to chart: the labels are
    drawn = (
        replace(result, columns=[c for c in result.columns if c.name not in MEDIA_RECORD_COLUMNS])
        if media
        else result
    )
    with staged_artifact_dir(project.artifacts_dir, STAGE) as folder:
        _write_figures(drawn, folder, hidden, charter.project.language)
        write_result(
            folder,
            stage=STAGE,
            result=result,
            inputs=_inputs(project),
            parameters={"table": qualified},
            started_at=started_at,
            duration_s=result.duration_s,
        )
    return result


def _with_media_findings(connection, relation, result, target, charter) -> ProfileResult:
    """The files' own findings, in place of those about the record's columns.

    A row is a file's record (its hash, size, format, dimensions): its columns are no
    features, so their missing values, skew or correlations say nothing the files'
    findings do not say better.
    """
    kind = charter.sources[charter.mart.base].kind
    transcribed = charter.target.task == "transcription"
    say = Text(charter.project.language)
    found = media_findings(connection, relation, target, say, kind, transcribed)
    # each recording says something of its own: a transcript is neither an identifier
    # nor a rare class
    said = {target} if transcribed else set()
    kept = [
        f
        for f in result.findings
        if f.kind != "duplicate_rows"
        and not set(f.columns) <= set(MEDIA_RECORD_COLUMNS)
        and not (
            set(f.columns) <= said and f.kind in ("high_cardinality", "identifier", "imbalance")
        )
    ]
    findings = sorted(kept + found, key=lambda f: (_SEVERITY_ORDER[f.severity], f.kind, f.columns))
    return replace(result, findings=findings)


# what a text column's own findings say better: empty texts, repeated texts
_TEXT_COVERED = ("high_cardinality", "identifier", "missing", "disguised_missing")


def _with_text_findings(connection, relation, result, declared, target, charter):
    """The texts' own findings, in place of those that read them as categories.

    A free-text column is mostly distinct values: "high cardinality" or "identifier"
    says nothing of it that empty or repeated texts and their language do not say.
    """
    say = Text(charter.project.language)
    found = []
    for column, spec in declared.items():
        found += text_findings(connection, relation, column, spec.language, target, say)
    kept = [
        f
        for f in result.findings
        if not (f.kind in _TEXT_COVERED and set(f.columns) <= set(declared))
    ]
    findings = sorted(kept + found, key=lambda f: (_SEVERITY_ORDER[f.severity], f.kind, f.columns))
    return replace(result, findings=findings)


def _inputs(project: Project) -> dict[str, str]:
    manifest = project.artifact_dir("ingest") / "manifest.json"
    if not manifest.exists():
        return {}
    return {f"ingest.{k}": v for k, v in json.loads(manifest.read_text())["inputs"].items()}


def _write_figures(
    result: ProfileResult, folder: Path, hidden: set[str], language: str = "en"
) -> None:
    say = Text(language)
    draw_missing(result, folder / "missing.png", say)
    draw_distributions(result, folder / "distributions.png", hidden, say)


def profile_file(
    path: Path, out: Path, *, target: str | None = None, key: list[str] | None = None
) -> ProfileResult:
    """Profile one CSV, TSV, Parquet, JSON or Excel file, without any project.

    Writes ``result.json``, ``missing.png`` and ``distributions.png`` into ``out``.
    """
    from atelier.charter import CsvSource, ExcelSource, JsonSource, ParquetSource
    from atelier.sources import snapshot_source

    kinds = {
        ".csv": CsvSource,
        ".txt": CsvSource,
        ".tsv": CsvSource,
        ".parquet": ParquetSource,
        ".json": JsonSource,
        ".jsonl": JsonSource,
        ".ndjson": JsonSource,
        ".xlsx": ExcelSource,
    }
    suffix = path.suffix.lower()
    if suffix not in kinds:
        raise SourceError(
            f"{path}: cannot profile a {suffix or 'suffix-less'} file; "
            f"expected one of {sorted(kinds)}"
        )
    spec_type = kinds[suffix]
    kind = "tsv" if suffix == ".tsv" else spec_type.model_fields["kind"].annotation.__args__[0]
    spec = spec_type(kind=kind, path=str(path.resolve()))
    started_at = datetime.now(UTC)
    # Text formats are parsed once into a scratch database on disk, not at every
    # scan; Parquet is columnar already and is read in place.
    with (
        tempfile.TemporaryDirectory() as scratch,
        duckdb.connect(str(Path(scratch) / "profile.duckdb"), config=duckdb_config()) as connection,
    ):
        snapshot = snapshot_source(path.stem, spec, Path.cwd(), Path(scratch))
        if snapshot.load_arrow is not None:
            connection.register("arrow_file", snapshot.load_arrow())
            connection.execute("CREATE TABLE profiled AS SELECT * FROM arrow_file")
            relation = "profiled"
        elif kind == "parquet":
            relation = snapshot.table_expression
        else:
            connection.execute(
                f"CREATE TABLE profiled AS SELECT * FROM {snapshot.table_expression}"
            )
            relation = "profiled"
        result = profile_relation(connection, relation, table=path.name, target=target, key=key)
    hidden = {f.columns[0] for f in result.findings_of("personal_data")}
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".profile-") as staging:
        folder = Path(staging)
        _write_figures(result, folder, hidden)
        write_result(
            folder,
            stage=STAGE,
            result=result,
            inputs={path.name: snapshot.content_hash},
            parameters={"file": str(path)},
            started_at=started_at,
            duration_s=result.duration_s,
        )
        for produced in folder.iterdir():  # each file appears whole, never half-written
            os.replace(produced, out / produced.name)
    return result


def _still_personal(project: Project) -> list[str]:
    """Mart columns the policy kept or pseudonymised, as ingest recorded them."""
    ingest_file = project.artifact_dir("ingest") / "result.json"
    if not ingest_file.exists():
        return []
    return json.loads(ingest_file.read_text()).get("personal_data", [])
