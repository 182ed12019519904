"""Tables and queries of SQL databases: SQLite files and servers through SQLAlchemy."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from atelier.charter import SqliteSource, SqlSource, resolve_environment
from atelier.exceptions import SourceError
from atelier.sources._arrow import dataframe_to_arrow
from atelier.sources._snapshot import (
    SourceSnapshot,
    existing_file,
    first_line,
    hash_arrow,
    hash_file,
)

if TYPE_CHECKING:
    import pyarrow as pa

_CONNECT_TIMEOUT_S = 10


def snapshot_sqlite(name: str, spec: SqliteSource, path: Path) -> SourceSnapshot:
    """Fingerprint a SQLite file; its table is read only if it must be loaded."""
    existing_file(name, path)
    # mode=ro: a mistyped path must not create an empty database.
    url = f"sqlite:///file:{path}?mode=ro&uri=true"
    return SourceSnapshot(
        name=name,
        kind=spec.kind,
        location=f"{path} [{spec.table or 'query'}]",
        content_hash=hash_file(path),
        load_arrow=lambda: read_sql(name, url, spec.table, spec.query, location=str(path)),
    )


def snapshot_sql(name: str, spec: SqlSource) -> SourceSnapshot:
    """Read a table or query from a database server, then fingerprint what came back."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(resolve_environment(spec.url, field=f"sources.{name}.url"))
    except ArgumentError:
        raise SourceError(f"source {name!r}: {spec.url!r} is not a SQLAlchemy URL") from None
    location = url.render_as_string(hide_password=True)
    table = read_sql(name, url, spec.table, spec.query, location=location)
    return SourceSnapshot(
        name=name,
        kind=spec.kind,
        location=f"{location} [{spec.table or 'query'}]",
        content_hash=hash_arrow(table),
        load_arrow=lambda: table,
    )


def read_sql(name: str, url, table: str | None, query: str | None, *, location: str) -> pa.Table:
    """Run ``SELECT * FROM table`` or ``query`` and return the rows as Arrow."""
    import pandas as pd
    import sqlalchemy
    from sqlalchemy.exc import DBAPIError, NoSuchModuleError, SQLAlchemyError

    try:
        engine = sqlalchemy.create_engine(url, connect_args=_connect_args(url), poolclass=None)
    except (NoSuchModuleError, ImportError) as error:
        raise SourceError(f"source {name!r}: no driver for {location}: {error}") from None
    try:
        with engine.connect() as connection:
            if table is not None:
                _check_table_exists(name, connection, table, location)
                statement = sqlalchemy.select(sqlalchemy.text("*")).select_from(
                    _table_clause(table)
                )
            else:
                statement = sqlalchemy.text(query)
            result = connection.execute(statement)
            frame = pd.DataFrame.from_records(result.fetchall(), columns=list(result.keys()))
    except DBAPIError as error:
        reason = first_line(error.orig if error.orig is not None else error)
        if error.connection_invalidated or "connect" in reason.lower():
            raise SourceError(f"source {name!r}: cannot connect to {location}: {reason}") from None
        raise SourceError(f"source {name!r}: query failed on {location}: {reason}") from None
    except SQLAlchemyError as error:
        raise SourceError(f"source {name!r}: {location}: {first_line(error)}") from None
    finally:
        engine.dispose()
    return dataframe_to_arrow(frame)


def _connect_args(url) -> dict:
    backend = url.get_backend_name() if hasattr(url, "get_backend_name") else str(url)
    if backend.startswith("postgresql") or backend.startswith(("mysql", "mariadb")):
        return {"connect_timeout": _CONNECT_TIMEOUT_S}
    return {}


def _table_clause(table: str):
    import sqlalchemy

    schema, _, bare = table.rpartition(".")
    return sqlalchemy.table(bare, schema=schema or None)


def _check_table_exists(name: str, connection, table: str, location: str) -> None:
    import sqlalchemy

    schema, _, bare = table.rpartition(".")
    inspector = sqlalchemy.inspect(connection)
    names = inspector.get_table_names(schema=schema or None)
    names += inspector.get_view_names(schema=schema or None)
    if bare not in names:
        raise SourceError(
            f"source {name!r}: no table {table!r} in {location} (tables: {sorted(names)})"
        )
