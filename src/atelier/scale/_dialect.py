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
    """A DuckDB SQL expression in Spark SQL.

    >>> to_spark('SELECT "x" FROM t WHERE isfinite("x")')
    "SELECT `x` FROM t WHERE (NOT ISNAN(`x`) AND ABS(`x`) < CAST('inf' AS DOUBLE))"
    """
    import sqlglot
    from sqlglot import exp

    def rewrite(node):
        if isinstance(node, exp.Anonymous) and node.name.lower() == "isfinite":
            value = node.expressions[0]
            return sqlglot.parse_one(
                f"(NOT isnan({value.sql('spark')}) AND abs({value.sql('spark')}) < double('inf'))",
                read="spark",
            )
        return node

    tree = sqlglot.parse_one(expression, read="duckdb").transform(rewrite)
    return tree.sql(dialect="spark")
