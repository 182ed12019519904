"""Looking up tables and views in the warehouse's catalog."""

from atelier._naming import quote_identifier


def relation_type(connection, schema: str, name: str) -> str | None:
    """``"BASE TABLE"``, ``"VIEW"``, or None if ``schema.name`` does not exist."""
    row = connection.execute(
        "SELECT table_type FROM information_schema.tables "
        "WHERE table_schema = ? AND table_name = ?",
        [schema, name],
    ).fetchone()
    return None if row is None else row[0]


def relation_names(connection, schema: str) -> list[str]:
    """Names of the tables and views of a schema."""
    return [
        name
        for (name,) in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
            "ORDER BY table_name",
            [schema],
        ).fetchall()
    ]


def relation_columns(connection, schema: str, name: str) -> dict[str, str]:
    """Column names and types of a table or view, in order."""
    return dict(
        connection.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, name],
        ).fetchall()
    )


def drop_relation(connection, schema: str, name: str) -> None:
    """Drop ``schema.name`` whether it is a table or a view; nothing if absent."""
    kind = relation_type(connection, schema, name)
    if kind is not None:
        keyword = "VIEW" if kind == "VIEW" else "TABLE"
        connection.execute(f"DROP {keyword} {schema}.{quote_identifier(name)}")


def relation_comment(connection, schema: str, name: str) -> str | None:
    """The comment stored on a table or view, or None."""
    row = connection.execute(
        "SELECT comment FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? "
        "UNION ALL "
        "SELECT comment FROM duckdb_views() WHERE schema_name = ? AND view_name = ?",
        [schema, name, schema, name],
    ).fetchone()
    return None if row is None else row[0]
