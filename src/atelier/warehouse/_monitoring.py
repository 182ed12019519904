"""The predictions the API logged in Redis, drained into ``monitoring.predictions``."""

import json
from datetime import UTC, datetime

from atelier.exceptions import EngineError

MONITORING_DDL = """
CREATE SCHEMA IF NOT EXISTS monitoring;
CREATE TABLE IF NOT EXISTS monitoring.predictions (
    entry_id VARCHAR PRIMARY KEY,    -- the stream entry's id: a second drain skips it
    request_id VARCHAR,
    key VARCHAR,
    prediction VARCHAR,
    probability DOUBLE,              -- of the positive class (binary models)
    probabilities VARCHAR,           -- of each class, as JSON (other classifiers)
    decision VARCHAR,
    model_version INTEGER,
    predicted_at TIMESTAMP,
    drained_at TIMESTAMP
)
"""


def drain_predictions(project, connect) -> dict | None:
    """Move the predictions logged in the online store into the warehouse.

    Parameters
    ----------
    project : Project
    connect : callable
        Opens a writable connection to the warehouse.

    Returns
    -------
    dict or None
        ``store`` and ``drained`` (entries stored), or ``note`` when Redis did not
        answer (the warehouse is unchanged, and the log waits in Redis); None
        when the project has no online store.
    """
    from atelier.online import online_store

    store = online_store(project)
    if store is None:
        return None
    drained_at = datetime.now(UTC).replace(tzinfo=None)
    connection = connect()
    try:
        connection.execute(MONITORING_DDL)

        def commit(entries: list[tuple[str, dict]]) -> None:
            connection.executemany(
                "INSERT OR IGNORE INTO monitoring.predictions VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, to_timestamp(?)::TIMESTAMP, ?)",
                [_row(entry_id, entry, drained_at) for entry_id, entry in entries],
            )

        drained = store.drain(commit)
    except EngineError as error:
        return {"store": store.location, "drained": 0, "note": str(error)}
    finally:
        connection.close()
    return {"store": store.location, "drained": drained}


def _row(entry_id: str, entry: dict, drained_at: datetime) -> tuple:
    probability = entry.get("probability")
    several = isinstance(probability, dict)
    return (
        entry_id,
        entry.get("request_id"),
        str(entry.get("key")),
        None if entry.get("prediction") is None else str(entry["prediction"]),
        None if several else probability,
        json.dumps(probability) if several else None,
        None if entry.get("decision") is None else str(entry["decision"]),
        entry.get("model_version"),
        entry.get("at"),
        drained_at,
    )
