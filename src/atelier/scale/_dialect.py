"""DuckDB's SQL and types as Spark reads them: one definition, two engines.

The expressions atelier writes once for DuckDB (the privacy policy, the profile's
statistics) are transpiled by sqlglot rather than kept twice by hand; the few
functions Spark lacks are rewritten here into what Spark has.
"""

from functools import cache

# DuckDB's storage types and the Spark SQL type that holds the same values.
_SPARK_TYPES = {
    "BOOLEAN": "BOOLEAN",
    "TINYINT": "TINYINT",
    "SMALLINT": "SMALLINT",
    "INTEGER": "INT",
    "BIGINT": "BIGINT",
    "FLOAT": "FLOAT",
    "DOUBLE": "DOUBLE",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP_NTZ",
    "VARCHAR": "STRING",
}
_DUCKDB_TYPES = {
    "boolean": "BOOLEAN",
    "tinyint": "TINYINT",
    "smallint": "SMALLINT",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "date": "DATE",
    "timestamp_ntz": "TIMESTAMP",
    "timestamp": "TIMESTAMP",
    "string": "VARCHAR",
}
# strftime's directives in Java's DateTimeFormatter, as Spark's readers parse dates.
_DATE_DIRECTIVES = {
    "%Y": "yyyy",
    "%y": "yy",
    "%m": "MM",
    "%d": "dd",
    "%H": "HH",
    "%M": "mm",
    "%S": "ss",
    "%f": "SSSSSS",
    "%b": "MMM",
    "%B": "MMMM",
    "%p": "a",
    "%I": "hh",
}


def spark_type(duckdb_type: str) -> str:
    """The Spark SQL type holding a DuckDB type's values (text for any other)."""
    base = duckdb_type.strip().upper()
    if base.startswith("DECIMAL"):
        return base
    if base.startswith("TIMESTAMP"):
        return "TIMESTAMP_NTZ"
    return _SPARK_TYPES.get(base, "STRING")


def duckdb_type(spark_simple_string: str) -> str:
    """The DuckDB type of a Spark column (``DataType.simpleString()``)."""
    name = spark_simple_string.lower()
    if name.startswith("decimal"):
        return name.upper()
    return _DUCKDB_TYPES.get(name, "VARCHAR")


def java_date_format(strftime_format: str) -> str:
    """A strftime format (as DuckDB's sniffer reports it) in Java's notation.

    >>> java_date_format("%d/%m/%Y %H:%M")
    'dd/MM/yyyy HH:mm'
    """
    result, index = [], 0
    while index < len(strftime_format):
        directive = strftime_format[index : index + 2]
        if directive in _DATE_DIRECTIVES:
            result.append(_DATE_DIRECTIVES[directive])
            index += 2
        else:
            character = strftime_format[index]
            result.append(f"'{character}'" if character.isalpha() else character)
            index += 1
    return "".join(result)


@cache
def to_spark(expression: str) -> str:
    """A DuckDB SQL expression or statement in Spark SQL.

    sqlglot transpiles; the functions Spark lacks or spells differently are rewritten:
    ``isfinite(x)``; ``skewness`` (DuckDB's corrects the bias of a sample, Spark's not);
    ``hash(...)`` as ``xxhash64(...)`` (64 bits, as DuckDB's: Spark's
    ``hash`` has 32, too few to count distinct rows among millions); and
    ``list(x ORDER BY x)[a:b]`` as ``slice(array_sort(collect_list(x)), a, b - a + 1)``;
    a reservoir of N rows as the first N in a seeded random order (Spark's own
    ``TABLESAMPLE (N ROWS)`` takes the first N).

    >>> to_spark('SELECT "x" FROM t WHERE isfinite("x")')
    "SELECT `x` FROM t WHERE (NOT ISNAN(`x`) AND ABS(`x`) < CAST('inf' AS DOUBLE))"
    >>> to_spark("SELECT count(DISTINCT hash(a, b)), list(k ORDER BY k)[1:5] FROM t")
    'SELECT COUNT(DISTINCT XXHASH64(a, b)), SLICE(ARRAY_SORT(COLLECT_LIST(k)), 1, 5) FROM t'
    """
    import sqlglot
    from sqlglot import exp

    def spark(text: str):
        return sqlglot.parse_one(text, read="spark")

    def inner(node) -> str:  # a replaced node's children are not visited again
        return node.transform(rewrite).sql("spark")

    def rewrite(node):
        if isinstance(node, exp.Anonymous) and node.name.lower() == "isfinite":
            value = inner(node.expressions[0])
            return spark(f"(NOT isnan({value}) AND abs({value}) < double('inf'))")
        if isinstance(node, exp.Anonymous) and node.name.lower() == "hash":
            return exp.Anonymous(this="XXHASH64", expressions=node.expressions)
        if isinstance(node, exp.Skewness):  # DuckDB's is the sample's, corrected for bias
            value = inner(node.this)
            n = f"count({value})"
            return spark(f"(skewness({value}) * sqrt({n} * ({n} - 1)) / ({n} - 2))")
        if isinstance(node, exp.Select) and isinstance(node.args.get("sample"), exp.TableSample):
            return _seeded_sample(node)
        if isinstance(node, exp.Bracket) and isinstance(node.this, exp.ArrayAgg):
            aggregated = node.this.this
            value = aggregated.this if isinstance(aggregated, exp.Order) else aggregated
            bounds = node.expressions[0]
            start, end = int(bounds.this.name), int(bounds.expression.name)
            listed = f"collect_list({inner(value)})"
            return spark(f"slice(array_sort({listed}), {start}, {end - start + 1})")
        return node

    tree = sqlglot.parse_one(expression, read="duckdb").transform(rewrite)
    return tree.sql(dialect="spark")


def _seeded_sample(select):
    """``... USING SAMPLE reservoir(N ROWS) REPEATABLE (s)``: N rows in a seeded random order."""
    import sqlglot

    sample = select.args["sample"]
    size = int(sample.args["size"].name)
    seed = int(sample.args["seed"].name) if sample.args.get("seed") else 0
    table = select.args["from_"].this.sql("duckdb")
    drawn = sqlglot.parse_one(
        f"(SELECT * FROM {table} ORDER BY rand({seed}) LIMIT {size})", read="spark"
    )
    select = select.copy()
    select.set("sample", None)
    select.args["from_"].set("this", drawn.subquery() if not drawn.alias else drawn)
    return select
