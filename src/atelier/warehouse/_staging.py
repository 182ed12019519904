"""The ``staging`` schema: snake_case names, trimmed text, and text typed where it fits.

Each staging relation is a view over its raw table, as dbt's staging models are:
it renames and casts, stores nothing, and costs no second copy of the data.
Staging changes the form of the data, never its meaning: names are normalised,
text is trimmed and NFC-normalised, and a text column becomes a number, date or
boolean only when every non-empty value converts. Deciding what a value *means*
(case of categories, sentinels, duplicates) is left to the cleaning stage, which
logs it.
"""

from dataclasses import dataclass

from atelier._naming import quote_identifier, quote_literal, snake_case
from atelier.warehouse._catalog import drop_relation, relation_columns
from atelier.warehouse._raw import LINEAGE_COLUMNS

# Tried in order; the first type every non-empty value converts to wins.
_CANDIDATE_TYPES = ("BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "BOOLEAN")
_SAMPLE_ROWS = 2_000
_LEADING_ZERO = r"^[-+]?0[0-9]"  # "007" is a code, not the number 7
_BOOLEAN_WORDS = r"(?i)^(true|false)$"  # DuckDB would also read "yes"/"no" as booleans


@dataclass(frozen=True)
class StagedColumn:
    """A column of a staging table and the raw column it comes from."""

    name: str
    raw_name: str
    type: str
    converted_from_text: bool


def build_staging(connection, source: str, *, infer_types: bool = True) -> list[StagedColumn]:
    """Replace ``staging.<source>`` with a view normalising ``raw.<source>``.

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection
        An open connection to the warehouse.
    source : str
        The source's name.
    infer_types : bool, default=True
        Look for text columns whose every value converts to a number, date or
        boolean, and cast them. Pointless for sources that DuckDB typed itself.

    Returns
    -------
    list of StagedColumn
    """
    raw_table = f"raw.{quote_identifier(source)}"
    raw_columns = [
        (name, data_type)
        for name, data_type in relation_columns(connection, "raw", source).items()
        if name not in LINEAGE_COLUMNS
    ]
    names = _unique_snake_names([name for name, _ in raw_columns])
    text_columns = [name for name, data_type in raw_columns if data_type == "VARCHAR"]
    inferred = _infer_text_types(connection, raw_table, text_columns) if infer_types else {}
    columns, expressions = [], []
    for (raw_name, data_type), name in zip(raw_columns, names, strict=True):
        quoted = quote_identifier(raw_name)
        if raw_name in inferred:
            target = inferred[raw_name]
            expression = f"CAST(nullif(trim({quoted}), '') AS {target})"
        elif data_type == "VARCHAR":
            target = data_type
            expression = f"nfc_normalize(trim({quoted}))"
        else:
            target, expression = data_type, quoted
        columns.append(StagedColumn(name, raw_name, target, raw_name in inferred))
        expressions.append(f"{expression} AS {quote_identifier(name)}")
    drop_relation(connection, "staging", source)
    connection.execute(
        f"CREATE VIEW staging.{quote_identifier(source)} AS "
        f"SELECT {', '.join(expressions)} FROM {raw_table}"
    )
    return columns


def _unique_snake_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        candidate = snake_case(name)
        seen[candidate] = seen.get(candidate, 0) + 1
        unique.append(candidate if seen[candidate] == 1 else f"{candidate}_{seen[candidate]}")
    return unique


def _infer_text_types(connection, table: str, text_columns: list[str]) -> dict[str, str]:
    """The type each text column converts to entirely, for those that do."""
    if not text_columns:
        return {}
    sample = f"(SELECT * FROM {table} USING SAMPLE reservoir({_SAMPLE_ROWS} ROWS) REPEATABLE (0))"
    candidates = {column: list(_CANDIDATE_TYPES) for column in text_columns}
    # A cheap pass on a sample rules out most text columns before the full pass.
    for source in (sample, table):
        checks = [
            (column, data_type) for column, types in candidates.items() for data_type in types
        ]
        if not checks:
            return {}
        verdicts = connection.execute(
            f"SELECT {', '.join(_converts_entirely(column, t) for column, t in checks)} "
            f"FROM {source}"
        ).fetchone()
        candidates = {column: [] for column in candidates}
        for (column, data_type), converts in zip(checks, verdicts, strict=True):
            if converts:
                candidates[column].append(data_type)
    return {column: types[0] for column, types in candidates.items() if types}


def _converts_entirely(column: str, data_type: str) -> str:
    value = f"trim({quote_identifier(column)})"
    non_empty = f"count(*) FILTER (WHERE {value} <> '')"
    converted = f"count(TRY_CAST(nullif({value}, '') AS {data_type}))"
    if data_type == "BOOLEAN":
        words = quote_literal(_BOOLEAN_WORDS)
        converted = f"count(*) FILTER (WHERE regexp_matches({value}, {words}))"
    guard = ""
    if data_type in {"BIGINT", "DOUBLE"}:
        guard = (
            f" AND count(*) FILTER (WHERE regexp_matches({value}, "
            f"{quote_literal(_LEADING_ZERO)})) = 0"
        )
    return f"({non_empty} > 0 AND {converted} = {non_empty}{guard})"
