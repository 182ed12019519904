"""The ``lineage`` table: one row per load of a source into the warehouse."""

import json
from dataclasses import dataclass
from datetime import datetime

from atelier._version import __version__

LINEAGE_DDL = """
CREATE TABLE IF NOT EXISTS lineage (
    load_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    location VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    config_hash VARCHAR NOT NULL,
    row_count BIGINT NOT NULL,
    column_count INTEGER NOT NULL,
    schema_json VARCHAR NOT NULL,
    loaded_at_utc TIMESTAMP NOT NULL,
    duration_s DOUBLE NOT NULL,
    atelier_version VARCHAR NOT NULL
)
"""


@dataclass(frozen=True)
class LoadRecord:
    """What the lineage remembers of a source's latest load."""

    source: str
    content_hash: str
    config_hash: str
    schema: list[tuple[str, str]]
    row_count: int = 0
    duration_s: float = 0.0


def latest_loads(connection) -> dict[str, LoadRecord]:
    """The latest load of every source, by source name."""
    rows = connection.execute(
        """
        SELECT source, content_hash, config_hash, schema_json, row_count, duration_s
        FROM lineage
        QUALIFY row_number() OVER (PARTITION BY source ORDER BY loaded_at_utc DESC) = 1
        """
    ).fetchall()
    return {
        source: LoadRecord(
            source, content, config, [tuple(pair) for pair in json.loads(schema)], rows, seconds
        )
        for source, content, config, schema, rows, seconds in rows
    }


def record_load(
    connection,
    *,
    load_id: str,
    source: str,
    kind: str,
    location: str,
    content_hash: str,
    config_hash: str,
    row_count: int,
    schema: list[tuple[str, str]],
    loaded_at: datetime,
    duration_s: float,
) -> None:
    """Append one load to the lineage table."""
    connection.execute(
        "INSERT INTO lineage VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            source,
            kind,
            location,
            content_hash,
            config_hash,
            row_count,
            len(schema),
            json.dumps(schema),
            loaded_at.replace(tzinfo=None),
            duration_s,
            __version__,
        ],
    )
