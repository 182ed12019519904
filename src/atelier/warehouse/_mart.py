"""The ``mart`` schema: the model-ready table, the base source joined as the charter says."""

from dataclasses import dataclass

from atelier._naming import quote_identifier, quote_literal
from atelier.charter import Join, Mart
from atelier.exceptions import DataError
from atelier.warehouse._catalog import (
    drop_relation,
    relation_columns,
    relation_comment,
)


@dataclass(frozen=True)
class JoinReport:
    """How one join of the mart went.

    Attributes
    ----------
    source : str
        The source joined in.
    on : list of str
        The join columns.
    relationship : str
        ``many_to_one`` or ``one_to_one``.
    how : str
        ``left`` or ``inner``.
    left_source : str
        The source the join columns come from on the left side.
    unmatched_rows : int
        Rows of the mart that found no partner in ``source``.
    """

    source: str
    on: list[str]
    relationship: str
    how: str
    left_source: str
    unmatched_rows: int


@dataclass(frozen=True)
class MartTable:
    """The mart table as built."""

    table: str
    rows: int
    columns: list[tuple[str, str]]
    joins: list[JoinReport]
    renamed_columns: dict[str, str]


def mart_signature(mart: Mart) -> str:
    """A text that changes whenever the mart's definition changes."""
    return mart.model_dump_json()


def build_mart(connection, mart: Mart) -> MartTable:
    """Check every join's keys, then replace ``mart.<table>`` with the joined table.

    With joins the mart is materialised, since every later stage reads it; without,
    it is a view of the base's staging view, which a copy would only duplicate.

    Raises
    ------
    DataError
        If a join column is missing from one side, has different types on the two
        sides, or is not unique where the relationship requires it.
    """
    base_columns = relation_columns(connection, "staging", mart.base)
    # Each column of the mart so far: (source it comes from, its alias, its type).
    owner = {column: (mart.base, "t0", data_type) for column, data_type in base_columns.items()}
    selected = [f"t0.{quote_identifier(column)}" for column in base_columns]
    from_clause = f"staging.{quote_identifier(mart.base)} AS t0"
    renamed: dict[str, str] = {}
    left_sources: list[str] = []
    for index, join in enumerate(mart.joins, start=1):
        alias = f"t{index}"
        right = relation_columns(connection, "staging", join.source)
        left_sources.append(_check_join(connection, join, owner, right))
        condition = " AND ".join(
            f"{owner[column][1]}.{quote_identifier(column)} = {alias}.{quote_identifier(column)}"
            for column in join.on
        )
        from_clause += (
            f" {join.how.upper()} JOIN staging.{quote_identifier(join.source)} AS {alias} "
            f"ON {condition}"
        )
        for column in right:
            if column in join.on:
                continue
            name = column if column not in owner else f"{join.source}_{column}"
            if name != column:
                renamed[f"{join.source}.{column}"] = name
            owner[name] = (join.source, alias, right[column])
            selected.append(f"{alias}.{quote_identifier(column)} AS {quote_identifier(name)}")
    table = f"mart.{quote_identifier(mart.table)}"
    kind = "TABLE" if mart.joins else "VIEW"
    drop_relation(connection, "mart", mart.table)
    connection.execute(f"CREATE {kind} {table} AS SELECT {', '.join(selected)} FROM {from_clause}")
    connection.execute(f"COMMENT ON {kind} {table} IS {quote_literal(mart_signature(mart))}")
    reports = [
        JoinReport(
            source=join.source,
            on=join.on,
            relationship=join.relationship,
            how=join.how,
            left_source=left_source,
            unmatched_rows=_unmatched_rows(connection, table, join),
        )
        for join, left_source in zip(mart.joins, left_sources, strict=True)
    ]
    rows = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return MartTable(
        table=f"mart.{mart.table}",
        rows=rows,
        columns=list(relation_columns(connection, "mart", mart.table).items()),
        joins=reports,
        renamed_columns=renamed,
    )


def current_mart_signature(connection, table: str) -> str | None:
    """The signature stored on ``mart.<table>``, or None if it does not exist."""
    return relation_comment(connection, "mart", table)


def _check_join(connection, join: Join, owner: dict, right: dict[str, str]) -> str:
    where = f"mart join of {join.source!r}"
    parents = set()
    for column in join.on:
        if column not in owner:
            raise DataError(
                f"{where}: join column {column!r} is not in the tables joined before it "
                f"(columns: {sorted(owner)})"
            )
        if column not in right:
            raise DataError(
                f"{where}: join column {column!r} is not in source {join.source!r} "
                f"(columns: {sorted(right)})"
            )
        left_source, _, left_type = owner[column]
        if left_type != right[column]:
            raise DataError(
                f"{where}: column {column!r} is {left_type} in {left_source!r} "
                f"but {right[column]} in {join.source!r}; the two must have the same type"
            )
        parents.add(left_source)
    parent = sorted(parents)[0]
    _require_unique(connection, join.source, join.on, join.relationship)
    if join.relationship == "one_to_one":
        _require_unique(connection, parent, join.on, join.relationship)
    return parent


def _require_unique(connection, source: str, columns: list[str], relationship: str) -> None:
    keys = ", ".join(quote_identifier(column) for column in columns)
    duplicated = connection.execute(
        f"SELECT count(*) FROM (SELECT {keys} FROM staging.{quote_identifier(source)} "
        f"GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()[0]
    if duplicated:
        raise DataError(
            f"source {source!r}: key {columns} is not unique ({duplicated} value(s) appear more "
            f"than once); a {relationship} join needs one row per key"
        )


def _unmatched_rows(connection, table: str, join: Join) -> int:
    condition = " AND ".join(
        f"m.{quote_identifier(column)} = r.{quote_identifier(column)}" for column in join.on
    )
    return connection.execute(
        f"SELECT count(*) FROM {table} AS m "
        f"ANTI JOIN staging.{quote_identifier(join.source)} AS r ON {condition}"
    ).fetchone()[0]
