"""Findings about whole rows: exact and near duplicates, duplicated keys."""

from atelier._naming import quote_identifier
from atelier._text import Text
from atelier.quality._result import Finding
from atelier.quality._stats import ColumnStats


def _row_hash(columns: list[ColumnStats], *, normalise: bool) -> str:
    parts = []
    for column in columns:
        name = quote_identifier(column.name)
        if normalise and column.family == "text":
            parts.append(f"lower(regexp_replace(trim({name}), '\\s+', ' ', 'g'))")
        elif normalise and column.family == "number":
            parts.append(f"round(CAST({name} AS DOUBLE), 6)")
        else:
            parts.append(name)
    return f"hash({', '.join(parts)})"


def duplicate_findings(
    connection,
    relation: str,
    columns: list[ColumnStats],
    identifiers: list[str],
    key: list[str],
    hidden: set[str],
    say: Text | None = None,
) -> list[Finding]:
    """Exact duplicate rows, near duplicates, and keys shared by several rows.

    Near duplicates are rows equal once identifier columns are set aside, text is
    lower-cased with spaces collapsed, and numbers are rounded to 6 decimals.
    """
    if not columns:
        return []
    say = say or Text("en")
    exact = _row_hash(columns, normalise=False)
    others = [c for c in columns if c.name not in identifiers and c.name not in key]
    near = _row_hash(others, normalise=True) if others else exact
    rows, exact_duplicates, near_duplicates = connection.execute(
        f"SELECT count(*), count(*) - count(DISTINCT {exact}), count(*) - count(DISTINCT {near}) "
        f"FROM {relation}"
    ).fetchone()
    found = []
    shown = [name for name in key or identifiers[:1] if name not in hidden]
    if exact_duplicates:
        found.append(
            Finding(
                "duplicate_rows",
                [],
                exact_duplicates,
                "warning",
                say("find_duplicate_rows", rows=say.number(exact_duplicates)),
                _duplicated_examples(connection, relation, exact, shown),
                say("fix_drop_copies"),
            )
        )
    near_only = near_duplicates - exact_duplicates
    if near_only > 0 and others:
        found.append(
            Finding(
                "duplicate_rows",
                [c.name for c in others],
                near_only,
                "info",
                say("find_near_duplicates", rows=say.number(near_only)),
                _duplicated_examples(connection, relation, near, shown),
                say("fix_near_duplicates"),
            )
        )
    if key:
        found += _duplicate_key(connection, relation, key, exact, rows, say)
    return found


def _duplicated_examples(connection, relation: str, row_hash: str, shown: list[str]) -> list:
    if not shown:
        return []
    names = ", ".join(quote_identifier(name) for name in shown)
    rows = connection.execute(
        f"SELECT {names} FROM (SELECT {names}, count(*) OVER (PARTITION BY {row_hash}) AS copies "
        f"FROM {relation}) WHERE copies > 1 ORDER BY ALL LIMIT 5"
    ).fetchall()
    return [row[0] if len(row) == 1 else list(row) for row in rows]


def _duplicate_key(
    connection, relation: str, key: list[str], exact: str, rows: int, say: Text
) -> list[Finding]:
    names = ", ".join(quote_identifier(name) for name in key)
    shared, conflicting, examples = connection.execute(
        f"SELECT coalesce(sum(copies), 0), count(*) FILTER (WHERE versions > 1), "
        f"list({names if len(key) == 1 else f'[{names}]'} ORDER BY {names})[1:5] "
        f"FROM (SELECT {names}, count(*) AS copies, count(DISTINCT {exact}) AS versions "
        f"FROM {relation} GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()
    if not shared:
        return []
    severity = "critical" if conflicting else "warning"
    message = say("find_duplicate_key", rows=say.number(shared), key=", ".join(key))
    message += (
        say("find_key_conflicts", conflicting=say.number(conflicting))
        if conflicting
        else say("find_key_copies")
    )
    fix = say("fix_key_conflicts") if conflicting else say("fix_drop_copies")
    return [
        Finding("duplicate_key", list(key), int(shared), severity, message, examples or [], fix)
    ]
