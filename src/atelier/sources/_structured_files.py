"""JSON, JSON lines and Parquet files, which DuckDB reads natively."""

from pathlib import Path

from atelier._naming import quote_literal
from atelier.charter import JsonSource, ParquetSource
from atelier.sources._snapshot import SourceSnapshot, existing_file, hash_file

_JSON_FORMATS = {"auto": "auto", "array": "array", "lines": "newline_delimited"}


def snapshot_json(name: str, spec: JsonSource, path: Path) -> SourceSnapshot:
    """Fingerprint a JSON file; DuckDB reads arrays of records and JSON lines alike."""
    existing_file(name, path)
    return json_records_snapshot(
        name, spec.kind, path, hash_file(path), _JSON_FORMATS[spec.format], location=str(path)
    )


def json_records_snapshot(
    name: str, kind: str, path: Path, content_hash: str, json_format: str, *, location: str
) -> SourceSnapshot:
    """A snapshot whose records DuckDB reads from a JSON file at ``path``."""
    reader = f"read_json({quote_literal(str(path))}, format={quote_literal(json_format)}"
    return SourceSnapshot(
        name=name,
        kind=kind,
        location=location,
        content_hash=content_hash,
        table_expression=reader + ")",
        full_scan_expression=reader + ", sample_size=-1)",
        details={"format": json_format},
    )


def snapshot_parquet(name: str, spec: ParquetSource, path: Path) -> SourceSnapshot:
    """Fingerprint a Parquet file, which carries its own schema."""
    existing_file(name, path)
    return SourceSnapshot(
        name=name,
        kind=spec.kind,
        location=str(path),
        content_hash=hash_file(path),
        table_expression=f"read_parquet({quote_literal(str(path))})",
    )
