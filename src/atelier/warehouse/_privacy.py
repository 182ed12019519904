"""The warehouse's side of privacy: the audit tables, and the rows a load must leave out.

``audit.personal`` keeps each source's findings and the rules applied at its last
load; ``audit.erasures`` logs every removal (a person forgotten, rows past their
retention) without the removed values; ``audit.forgotten`` keeps, per source and
key column, a salted digest of each forgotten key so that a reload of an unchanged
export does not bring the person back. The salt is drawn once per warehouse.
"""

import hashlib
import json
import secrets
from datetime import UTC, datetime

from atelier._naming import quote_identifier, quote_literal, snake_case
from atelier.exceptions import CharterError

AUDIT_DDL = (
    "CREATE SCHEMA IF NOT EXISTS audit",
    """CREATE TABLE IF NOT EXISTS audit.personal (
        source VARCHAR PRIMARY KEY, findings_json VARCHAR NOT NULL, rules_json VARCHAR NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS audit.erasures (
        at_utc TIMESTAMP NOT NULL, reason VARCHAR NOT NULL, source VARCHAR NOT NULL,
        key_column VARCHAR, rows_removed BIGINT NOT NULL, note VARCHAR NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS audit.forgotten (
        source VARCHAR NOT NULL, key_column VARCHAR NOT NULL, digest VARCHAR NOT NULL,
        at_utc TIMESTAMP NOT NULL
    )""",
    "CREATE TABLE IF NOT EXISTS audit.salt (salt VARCHAR NOT NULL)",
)


def create_audit_tables(connection) -> None:
    """Create the audit schema and its tables if absent, and draw the salt once."""
    for statement in AUDIT_DDL:
        connection.execute(statement)
    if connection.execute("SELECT count(*) FROM audit.salt").fetchone()[0] == 0:
        connection.execute("INSERT INTO audit.salt VALUES (?)", [secrets.token_hex(16)])


def key_digest_sql(column_sql: str) -> str:
    """SQL for the salted digest of a key column's value, as ``audit.forgotten`` keeps it."""
    return f"sha256((SELECT salt FROM audit.salt) || trim(CAST({column_sql} AS VARCHAR)))"


def key_digests(salt: str, values: list) -> list[str]:
    """The digests :func:`key_digest_sql` computes, in Python, for a list of key values."""
    return [hashlib.sha256((salt + str(value).strip()).encode()).hexdigest() for value in values]


def record_personal(connection, source: str, findings: list, rules: list) -> None:
    """Replace the findings and rules recorded for ``source``."""
    connection.execute("DELETE FROM audit.personal WHERE source = ?", [source])
    connection.execute(
        "INSERT INTO audit.personal VALUES (?, ?, ?)",
        [
            source,
            json.dumps([f.to_dict() for f in findings]),
            json.dumps([r.to_dict() for r in rules]),
        ],
    )


def recorded_personal(connection) -> dict[str, dict]:
    """Each source's recorded ``{"findings": [...], "rules": [...]}``."""
    rows = connection.execute(
        "SELECT source, findings_json, rules_json FROM audit.personal ORDER BY source"
    ).fetchall()
    return {
        source: {"findings": json.loads(findings), "rules": json.loads(rules)}
        for source, findings, rules in rows
    }


def erasure_count(connection) -> int:
    """How many removals ``audit.erasures`` has logged."""
    return connection.execute("SELECT count(*) FROM audit.erasures").fetchone()[0]


def log_erasure(
    connection, reason: str, source: str, key_column: str | None, rows: int, note: str
) -> None:
    """Append one removal to ``audit.erasures`` (counts and column names, never values)."""
    connection.execute(
        "INSERT INTO audit.erasures VALUES (?, ?, ?, ?, ?, ?)",
        [datetime.now(UTC).replace(tzinfo=None), reason, source, key_column, rows, note],
    )


def kept_rows_condition(connection, source: str, columns: list[str], retention) -> str:
    """A WHERE condition leaving out forgotten keys and rows past their retention."""
    conditions = ["TRUE"]
    by_snake = {snake_case(column): column for column in columns}
    forgotten = connection.execute(
        "SELECT DISTINCT key_column FROM audit.forgotten WHERE source = ?", [source]
    ).fetchall()
    for (key_column,) in forgotten:
        if key_column in by_snake:
            conditions.append(
                f"{key_digest_sql(quote_identifier(by_snake[key_column]))} NOT IN "
                f"(SELECT digest FROM audit.forgotten WHERE source = {quote_literal(source)} "
                f"AND key_column = {quote_literal(key_column)})"
            )
    if retention is not None:
        conditions.append(retention_condition(retention, columns))
    return " AND ".join(conditions)


def retention_condition(retention, columns: list[str]) -> str:
    """Rows whose date is within ``retention.keep_for`` of today, or unknown."""
    by_snake = {snake_case(column): column for column in columns}
    column = by_snake.get(snake_case(retention.date_column))
    if column is None:
        raise CharterError(
            f"retention.date_column: no column {retention.date_column!r} in the source "
            f"(its columns: {', '.join(columns)})"
        )
    value = f"TRY_CAST(trim(CAST({quote_identifier(column)} AS VARCHAR)) AS DATE)"
    return f"({value} IS NULL OR {value} >= current_date - INTERVAL {retention.days} DAY)"
