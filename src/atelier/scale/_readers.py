"""Sources read by Spark as DuckDB's own readers read them: the same columns, types and values.

DuckDB's sniffer gives each file's delimiter, quoting, date format and column types;
Spark reads with them in FAILFAST mode, so that a value that does not fit fails the
job (and the types are then read from every row, as the warehouse's loader does).
"""

import contextlib

import duckdb

from atelier._naming import quote_literal
from atelier.charter import JsonSource, ParquetSource, SqlSource
from atelier.exceptions import SourceError
from atelier.scale._dialect import java_date_format, spark_type
from atelier.scale._jdbc import read_jdbc
from atelier.sources._snapshot import SourceSnapshot, first_line
from atelier.warehouse._raw import describe

_TRUE, _FALSE = ("true", "t", "yes", "y", "1"), ("false", "f", "no", "n", "0")


_JAVA_CHARSETS = {"latin-1": "ISO-8859-1", "utf-8": "UTF-8", "utf-16": "UTF-16"}


class TypeMismatchError(Exception):
    """A value of the source does not fit the type given to its column."""


@contextlib.contextmanager
def failing_values():
    """Turn Spark's refusal of a value that does not fit its type into TypeMismatchError."""
    try:
        yield
    except Exception as error:  # py4j and PySpark wrap the reader's failure in several types
        text = str(error)
        if "FAILFAST" in text or "MALFORMED" in text.upper():
            raise TypeMismatchError(first_line(error)) from None
        raise


def read_source(
    spark, name: str, spec, snapshot: SourceSnapshot | None, *, full_scan: bool = False
):
    """The source as a Spark DataFrame, where it was, and what was detected."""
    if isinstance(spec, SqlSource):
        return read_jdbc(spark, name, spec)
    schema = _duckdb_schema(name, snapshot, full_scan=full_scan)
    path = snapshot.location
    if isinstance(spec, ParquetSource):
        reader = spark.read.schema(spark_ddl(schema))
        return _checked(name, path, lambda: reader.parquet(path)), path, snapshot.details
    if isinstance(spec, JsonSource):
        multiline = snapshot.details.get("format") == "array" or _starts_with_bracket(path)
        reader = spark.read.schema(spark_ddl(schema)).options(
            multiLine=multiline, mode="FAILFAST", dateFormat="yyyy-MM-dd"
        )
        return _checked(name, path, lambda: reader.json(path)), path, snapshot.details
    # A file in an encoding DuckDB does not decode was copied into UTF-8: Spark reads the copy.
    encoding = "utf-8" if snapshot.readable else snapshot.details.get("encoding", "utf-8")
    frame = read_csv(
        spark,
        name,
        snapshot.readable or path,
        schema,
        encoding=encoding,
        comma_decimal=snapshot.details.get("decimal") == ",",
    )
    return frame, path, snapshot.details


def read_csv(spark, name: str, path: str, schema, *, encoding: str, comma_decimal: bool):
    """A delimited file read by Spark as DuckDB's sniffer reads it (delimiter, quote, dates).

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    name : str
        What the file is, for error messages.
    path : str
    schema : list of (str, str)
        Column names and DuckDB types, as DuckDB's reader types the file.
    encoding : str
    comma_decimal : bool
        Numbers are written with a decimal comma.
    """
    sniffed = _sniff(name, path, encoding)
    # A decimal comma is read as text, then turned into a number: Spark parses dots only.
    # Read as text, then converted as DuckDB reads them: Spark parses decimal points
    # only, and only true and false as booleans.
    converted = {"BOOLEAN"} | ({"DOUBLE"} if comma_decimal else set())
    read_types = [
        (column, "VARCHAR" if data_type in converted else data_type) for column, data_type in schema
    ]
    options = {
        "sep": sniffed["Delimiter"],
        "quote": _character(sniffed["Quote"], "\u0000"),  # U+0000: no quoting, as sniffed
        "escape": _character(sniffed["Escape"], _character(sniffed["Quote"], "\\")),
        "header": bool(sniffed["HasHeader"]),
        "encoding": _JAVA_CHARSETS.get(encoding, encoding),
        "mode": "FAILFAST",
        "multiLine": True,
        "nullValue": "",
    }
    if sniffed["DateFormat"]:
        options["dateFormat"] = java_date_format(sniffed["DateFormat"])
    if sniffed["TimestampFormat"]:
        options["timestampFormat"] = java_date_format(sniffed["TimestampFormat"])
    reader = spark.read.schema(spark_ddl(read_types)).options(**options)
    frame = _checked(name, path, lambda: reader.csv(path))
    for (column, data_type), (_, read_type) in zip(schema, read_types, strict=True):
        if data_type != read_type:
            frame = frame.withColumn(column, _converted(column, data_type))
    return frame


def _converted(column: str, data_type: str):
    """A text column as a number with a decimal comma, or as DuckDB's booleans.

    A value that does not convert fails the job as a malformed record would, so that
    the types are read again from every row (see :func:`land_source`).
    """
    from pyspark.sql import functions as sf

    text = sf.lower(sf.trim(sf.col(column)))
    if data_type == "BOOLEAN":
        value = sf.when(text.isin(*_TRUE), sf.lit(True)).when(text.isin(*_FALSE), sf.lit(False))
    else:
        value = sf.regexp_replace(text, ",", ".").try_cast("double")
    failed = sf.col(column).isNotNull() & value.isNull()
    refused = sf.raise_error(sf.lit(f"MALFORMED value in column {column!r} for {data_type}"))
    return sf.when(failed, refused.cast(data_type.lower())).otherwise(value)


def _character(sniffed: str | None, default: str) -> str:
    """A quote or escape character the sniffer found; ``default`` where it found none."""
    return default if sniffed in (None, "", "(empty)") else sniffed


def _sniff(name: str, path: str, encoding: str) -> dict:
    query = (
        "SELECT Delimiter, Quote, Escape, HasHeader, DateFormat, TimestampFormat "
        f"FROM sniff_csv({quote_literal(path)}, encoding={quote_literal(encoding)})"
    )
    try:
        with duckdb.connect() as connection:
            cursor = connection.execute(query)
            names = [column[0] for column in cursor.description]
            return dict(zip(names, cursor.fetchone(), strict=True))
    except duckdb.Error as error:
        raise SourceError(f"source {name!r}: cannot read {path}: {first_line(error)}") from None


def _duckdb_schema(name: str, snapshot: SourceSnapshot, *, full_scan: bool) -> list:
    """Column names and types as DuckDB's own readers see the file.

    From its first rows, or from every row when ``full_scan`` (and the reader can).
    """
    reader = snapshot.table_expression
    if full_scan and snapshot.full_scan_expression:
        reader = snapshot.full_scan_expression
    with duckdb.connect() as connection:
        return describe(connection, reader, name, snapshot.location)


def duckdb_schema(relation: str) -> list[tuple[str, str]]:
    """Column names and DuckDB types of a table expression, read from its first rows."""
    with duckdb.connect() as connection:
        rows = connection.execute(f"DESCRIBE SELECT * FROM {relation}")
        return [(row[0], row[1]) for row in rows.fetchall()]


def spark_ddl(schema) -> str:
    """Spark's DDL for columns typed as DuckDB types them."""
    return ", ".join(f"`{column}` {spark_type(data_type)}" for column, data_type in schema)


def _starts_with_bracket(path: str) -> bool:
    with open(path, "rb") as stream:
        return stream.read(1024).lstrip()[:1] == b"["


def _checked(name: str, path: str, read):
    try:
        return read()
    except Exception as error:  # Spark's analysis errors: a path or schema it refuses
        raise SourceError(
            f"source {name!r}: Spark cannot read {path}: {first_line(error)}"
        ) from None


def frame_hash(frame) -> str:
    """A fingerprint of a table's content computed by Spark, whatever its size."""
    from pyspark.sql import functions as sf

    row = frame.select(
        sf.count(sf.lit(1)).alias("rows"),
        sf.sum(sf.xxhash64(*frame.columns).cast("decimal(38,0)")).alias("digest"),
    ).first()
    return f"spark-xxhash64:{row['rows']}:{row['digest']}"
