"""Column statistics computed by DuckDB in two scans of the table, whatever its size.

Scan one gathers counts, approximate distinct counts (HyperLogLog), moments and
approximate quantiles (t-digest); scan two, knowing the ranges and the cardinalities,
gathers exact value counts of low-cardinality columns, histograms, outlier counts and
the text checks (on the distinct values of a counted column, once each, rather than on
every row). Memory stays bounded: no aggregate keeps more than ``EXACT_COUNTS_LIMIT``
groups per column.
"""

import math
from dataclasses import dataclass, field

from atelier._naming import quote_identifier, quote_literal

EXACT_COUNTS_LIMIT = 1_000
HISTOGRAM_BINS = 20
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
DISGUISED_MISSING_TEXT = ("", "na", "n/a", "nan", "null", "none", "?", "-", "--", "#n/a", "missing")
NUMERIC_SENTINELS = (-999999, -99999, -9999, -999, 999, 9999, 99999, 999999)
FAR_OUT = 3.0  # Tukey's far-out fences: beyond Q1 - 3 IQR or Q3 + 3 IQR

_NUMBER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
)
_TEMPORAL_TYPES = ("DATE", "TIMESTAMP")


@dataclass
class ColumnStats:
    """Everything measured about one column, before interpretation."""

    name: str
    storage_type: str
    family: str  # number, text, boolean, temporal, other
    rows: int = 0
    non_null: int = 0
    distinct: int = 0
    distinct_is_approximate: bool = False
    value_counts: dict | None = None  # exact, when distinct <= EXACT_COUNTS_LIMIT
    top_values: list[tuple] = field(default_factory=list)
    minimum: object = None
    maximum: object = None
    mean: float | None = None
    std: float | None = None
    skew: float | None = None
    quantiles: dict[str, float] = field(default_factory=dict)
    histogram: tuple[list[float], list[int]] | None = None
    outliers: int = 0
    outlier_bounds: tuple[float, float] | None = None
    sentinels: dict = field(default_factory=dict)  # sentinel value -> rows
    empty_text: int = 0
    disguised_text: int = 0
    numeric_text: int = 0
    mean_length: float | None = None
    future: int = 0
    before_1900: int = 0
    negative: int = 0

    @property
    def missing(self) -> int:
        return self.rows - self.non_null


def family_of(storage_type: str) -> str:
    """The family of a DuckDB type: number, text, boolean, temporal or other."""
    base = storage_type.split("(")[0].strip().upper()
    if base in _NUMBER_TYPES:
        return "number"
    if base == "VARCHAR":
        return "text"
    if base == "BOOLEAN":
        return "boolean"
    if base.startswith(_TEMPORAL_TYPES):
        return "temporal"
    return "other"


def column_statistics(
    connection, relation: str, schema: list[tuple[str, str]]
) -> list[ColumnStats]:
    """Measure every column of ``relation`` (a table, view or table expression)."""
    stats = [ColumnStats(name, data_type, family_of(data_type)) for name, data_type in schema]
    _first_scan(connection, relation, stats)
    _second_scan(connection, relation, stats)
    return stats


def _first_scan(connection, relation: str, stats: list[ColumnStats]) -> None:
    expressions = ["count(*)"]
    readers = []
    for column in stats:
        parts = _first_scan_expressions(column)
        readers.append((column, len(expressions), [name for name, _ in parts]))
        expressions += [expression for _, expression in parts]
    row = connection.execute(f"SELECT {', '.join(expressions)} FROM {relation}").fetchone()
    for column, start, names in readers:
        column.rows = row[0]
        values = dict(zip(names, row[start : start + len(names)], strict=True))
        _read_first_scan(column, values)


def _first_scan_expressions(column: ColumnStats) -> list[tuple[str, str]]:
    name = quote_identifier(column.name)
    parts = [("non_null", f"count({name})"), ("distinct", f"approx_count_distinct({name})")]
    if column.family == "number":
        value = f"CAST({name} AS DOUBLE)"
        finite = f"CASE WHEN isfinite({value}) THEN {value} END"
        quantiles = ", ".join(str(q) for q in QUANTILES)
        parts += [
            ("minimum", f"min({finite})"),
            ("maximum", f"max({finite})"),
            ("mean", f"avg({finite})"),
            ("std", f"stddev_samp({finite})"),
            ("skew", f"skewness({finite})"),
            ("quantiles", f"approx_quantile({finite}, [{quantiles}])"),
            ("negative", f"count(*) FILTER (WHERE {value} < 0)"),
        ]
    elif column.family == "text":
        parts += [
            ("mean_length", f"avg(length({name}))"),
            ("top_values", f"approx_top_k({name}, 5)"),
        ]
    elif column.family == "temporal":
        parts += [
            ("minimum", f"CAST(min({name}) AS VARCHAR)"),
            ("maximum", f"CAST(max({name}) AS VARCHAR)"),
            ("future", f"count(*) FILTER (WHERE {name} > current_date)"),
            ("before_1900", f"count(*) FILTER (WHERE {name} < DATE '1900-01-01')"),
        ]
    return parts


def _read_first_scan(column: ColumnStats, values: dict) -> None:
    column.non_null = values["non_null"]
    column.distinct = min(values["distinct"], column.non_null)
    column.distinct_is_approximate = True
    for key in ("minimum", "maximum", "mean", "std", "skew", "mean_length"):
        if key in values:
            setattr(column, key, _finite_or_none(values[key]))
    for key in ("future", "before_1900", "negative"):
        if key in values:
            setattr(column, key, values[key])
    if values.get("quantiles"):
        column.quantiles = {
            f"{q:g}": value for q, value in zip(QUANTILES, values["quantiles"], strict=True)
        }
    if values.get("top_values"):
        column.top_values = [(value, None) for value in values["top_values"]]


def _second_scan(connection, relation: str, stats: list[ColumnStats]) -> None:
    expressions, readers = [], []
    for column in stats:
        name = quote_identifier(column.name)
        # the estimate may be off by a few percent: count exactly a little past the limit
        counted = column.distinct <= EXACT_COUNTS_LIMIT * 1.1 and column.family != "other"
        if counted:
            readers.append(("counts", column, len(expressions)))
            expressions.append(f"histogram({name})")
        elif column.non_null and column.distinct >= 0.9 * column.non_null:
            readers.append(("exact_distinct", column, len(expressions)))
            expressions.append(f"count(DISTINCT {name})")
        if column.family == "text" and column.top_values and not counted:
            readers.append(("top_counts", column, len(expressions)))
            expressions += [
                f"count(*) FILTER (WHERE {name} = {quote_literal(str(value))})"
                for value, _ in column.top_values
            ]
        if column.family == "text" and not counted:
            for check, condition in _TEXT_CHECKS.items():
                readers.append((check, column, len(expressions)))
                expressions.append(f"count(*) FILTER (WHERE {condition(name)})")
        if column.family == "number":
            if not counted:
                value = f"CAST({name} AS DOUBLE)"
                sentinels = ", ".join(str(s) for s in NUMERIC_SENTINELS)
                readers.append(("sentinels", column, len(expressions)))
                expressions.append(f"histogram({value}) FILTER (WHERE {value} IN ({sentinels}))")
            if column.minimum is not None:
                _number_expressions(column, name, expressions, readers)
    if not expressions:
        return
    row = connection.execute(f"SELECT {', '.join(expressions)} FROM {relation}").fetchone()
    for what, column, index in readers:
        if what == "counts":
            counts = {_plain(key): count for key, count in (row[index] or {}).items()}
            column.value_counts = counts
            column.distinct, column.distinct_is_approximate = len(counts), False
            ranked = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
            column.top_values = ranked[:10]
        elif what == "exact_distinct":
            column.distinct, column.distinct_is_approximate = row[index], False
        elif what == "top_counts":
            counted = [(value, row[index + i]) for i, (value, _) in enumerate(column.top_values)]
            column.top_values = sorted(counted, key=lambda item: -item[1])
        elif what == "histogram":
            edges = column.histogram[0]
            bins = row[index] or {}
            column.histogram = (edges, [int(bins.get(i, 0)) for i in range(len(edges) - 1)])
        elif what == "outliers":
            column.outliers = row[index]
        elif what == "sentinels":
            column.sentinels = {_plain(key): count for key, count in (row[index] or {}).items()}
        elif what in _TEXT_CHECKS:
            setattr(column, what, row[index])
    _checks_from_counts([column for column in stats if column.value_counts is not None])


def _checks_from_counts(counted: list[ColumnStats]) -> None:
    """The text checks and sentinels of counted columns, from their distinct values.

    Each distinct value is tested once and weighed by its rows, instead of testing
    every row in the scan (most of a wide table's scan time). The text conditions
    are DuckDB's, on an in-memory connection, whatever engine scanned the table.
    """
    import duckdb

    sentinels = set(NUMERIC_SENTINELS)
    for column in counted:
        if column.family == "number":
            column.sentinels = {
                _plain(float(value)): rows
                for value, rows in column.value_counts.items()
                if value is not None and float(value) in sentinels
            }
    texts = [column for column in counted if column.family == "text" and column.value_counts]
    if not texts:
        return
    sums = ", ".join(
        f"coalesce(sum(rows) FILTER (WHERE {condition('value')}), 0)"
        for condition in _TEXT_CHECKS.values()
    )
    names = [column.name for column in texts for _ in column.value_counts]
    values = [value for column in texts for value in column.value_counts]
    rows = [count for column in texts for count in column.value_counts.values()]
    with duckdb.connect() as local:  # one query for every column
        found = local.execute(
            f"SELECT name, {sums} FROM (SELECT unnest(?::VARCHAR[]) AS name, "
            "unnest(?::VARCHAR[]) AS value, unnest(?::BIGINT[]) AS rows) GROUP BY name",
            [names, values, rows],
        ).fetchall()
    found_by_column = {name: checks for name, *checks in found}
    for column in texts:
        for check, count in zip(_TEXT_CHECKS, found_by_column[column.name], strict=True):
            setattr(column, check, int(count))


def _text_checks() -> dict:
    """Each text check's condition on a value: empty, a disguised missing value, a number."""
    tokens = ", ".join(quote_literal(token) for token in DISGUISED_MISSING_TEXT)
    return {
        "empty_text": lambda value: f"trim({value}) = ''",
        "disguised_text": lambda value: f"lower(trim({value})) IN ({tokens})",
        "numeric_text": lambda value: f"TRY_CAST(nullif(trim({value}), '') AS DOUBLE) IS NOT NULL",
    }


_TEXT_CHECKS = _text_checks()


def _number_expressions(column: ColumnStats, name: str, expressions: list, readers: list) -> None:
    value = f"CAST({name} AS DOUBLE)"
    low, high = column.minimum, column.maximum
    if high > low:
        width = (high - low) / HISTOGRAM_BINS
        edges = [low + width * index for index in range(HISTOGRAM_BINS)] + [high]
        column.histogram = (edges, [])
        bucket = (
            f"least(CAST(floor(({value} - {low!r}) / {width!r}) AS INTEGER), {HISTOGRAM_BINS - 1})"
        )
        readers.append(("histogram", column, len(expressions)))
        expressions.append(f"histogram({bucket}) FILTER (WHERE isfinite({value}))")
    first, third = column.quantiles.get("0.25"), column.quantiles.get("0.75")
    if first is not None and third is not None and third > first:
        spread = third - first
        bounds = (first - FAR_OUT * spread, third + FAR_OUT * spread)
        column.outlier_bounds = bounds
        readers.append(("outliers", column, len(expressions)))
        expressions.append(
            f"count(*) FILTER (WHERE {value} < {bounds[0]!r} OR {value} > {bounds[1]!r})"
        )


def _finite_or_none(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _plain(value):
    """A value as JSON can hold it: whole floats become ints, dates text."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)
