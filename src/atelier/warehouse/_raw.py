"""The ``raw`` schema: each source as read, plus the columns that say where it came from."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import duckdb

from atelier._naming import quote_identifier, quote_literal
from atelier.exceptions import SchemaChangedError, SourceError
from atelier.sources import SourceSnapshot
from atelier.sources._snapshot import first_line

LINEAGE_COLUMNS = ("_atelier_source", "_atelier_source_hash", "_atelier_loaded_at_utc")


class TypeGuessError(Exception):
    """A type DuckDB guessed from a file's first rows does not fit a later row."""

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.source = source


def source_relation(connection, snapshot: SourceSnapshot, *, full_scan: bool) -> str:
    """A table expression reading the snapshot inside ``connection``."""
    if snapshot.load_arrow is not None:
        view = f"_atelier_arrow_{snapshot.name}"
        table = snapshot.load_arrow()
        # DuckDB refuses to register while an earlier query's result is partly read (a
        # fetchone of a count or a catalog lookup): finish it, nothing of it is wanted
        connection.complete()
        connection.register(view, table)
        return quote_identifier(view)
    if full_scan and snapshot.full_scan_expression:
        return snapshot.full_scan_expression
    return snapshot.table_expression


def describe(connection, relation: str, name: str, location: str) -> list[tuple[str, str]]:
    """Column names and DuckDB types of a table expression, without reading it all."""
    try:
        rows = connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    except duckdb.Error as error:
        raise SourceError(f"source {name!r}: cannot read {location}: {first_line(error)}") from None
    if not rows:
        raise SourceError(f"source {name!r}: {location} has no columns")
    return [(row[0], row[1]) for row in rows]


def check_schema_unchanged(
    name: str, previous: list[tuple[str, str]], current: list[tuple[str, str]]
) -> None:
    """Raise SchemaChangedError describing how ``current`` differs from ``previous``."""
    before, after = dict(previous), dict(current)
    changes = [f"column {column!r} removed" for column in before if column not in after]
    changes += [f"column {column!r} added" for column in after if column not in before]
    changes += [
        f"{column!r} {before[column]} -> {after[column]}"
        for column in before
        if column in after and before[column] != after[column]
    ]
    if changes:
        raise SchemaChangedError(
            f"source {name!r}: schema changed since the last load ({', '.join(changes)}); "
            "check the source, or rerun with --allow-schema-change to accept it"
        )


def load_raw(
    connection,
    snapshot: SourceSnapshot,
    relation: str,
    selected: list[tuple[str, str]],
    condition: str,
    loaded_at: datetime,
) -> int:
    """Replace ``raw.<source>`` with the source's rows as the policy transforms them.

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection
    snapshot : SourceSnapshot
    relation : str
        The table expression reading the source.
    selected : list of (str, str)
        ``(SQL expression, column name)`` of each column raw keeps.
    condition : str
        The rows raw keeps (forgotten keys and expired rows left out).
    loaded_at : datetime

    Returns
    -------
    int
        The rows loaded.

    Raises
    ------
    TypeGuessError
        A type DuckDB guessed from the first rows does not fit a later one.
    SourceError
        The source cannot be read.

    Notes
    -----
    The lineage columns are virtual generated columns: every query sees them, yet
    they are neither computed nor stored row by row, so they cost the load nothing.
    """
    table = f"raw.{quote_identifier(snapshot.name)}"
    loaded = loaded_at.strftime("%Y-%m-%d %H:%M:%S.%f")
    lineage_values = (
        ("VARCHAR", quote_literal(snapshot.name)),
        ("VARCHAR", quote_literal(snapshot.content_hash)),
        ("TIMESTAMP", f"TIMESTAMP {quote_literal(loaded)}"),
    )
    projection = ", ".join(
        f"{expression} AS {quote_identifier(name)}" for expression, name in selected
    )
    query = f"SELECT {projection} FROM {relation} WHERE {condition}"
    types = connection.execute(f"DESCRIBE {query}").fetchall()
    columns = [f"{quote_identifier(row[0])} {row[1]}" for row in types]
    columns += [
        f"{name} {data_type} GENERATED ALWAYS AS ({value}) VIRTUAL"
        for name, (data_type, value) in zip(LINEAGE_COLUMNS, lineage_values, strict=True)
    ]
    names = ", ".join(quote_identifier(name) for _, name in selected)
    with reading(snapshot, relation):
        connection.execute(f"CREATE OR REPLACE TABLE {table} ({', '.join(columns)})")
        connection.execute(f"INSERT INTO {table} ({names}) {query}")
    return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@contextmanager
def reading(snapshot: SourceSnapshot, relation: str) -> Iterator[None]:
    """Turn DuckDB's errors while reading the source into atelier's.

    Raises
    ------
    TypeGuessError
        A type DuckDB guessed from the first rows does not fit a later one (and the
        source can be read again from every row).
    SourceError
        Any other failure to read the source.
    """
    try:
        yield
    except duckdb.Error as error:
        retryable = snapshot.full_scan_expression not in (None, relation)
        if retryable and _is_type_guess_failure(error):
            raise TypeGuessError(snapshot.name) from None
        raise SourceError(
            f"source {snapshot.name!r}: cannot load {snapshot.location}: {first_line(error)}"
        ) from None


def _is_type_guess_failure(error: duckdb.Error) -> bool:
    return isinstance(error, duckdb.ConversionException) or "Could not convert" in str(error)
