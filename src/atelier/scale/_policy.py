"""The privacy policy applied by Spark: the warehouse's detector, rules and SQL.

Detection runs on the first rows by the warehouse's own detector; the rules are the
warehouse's, their SQL transpiled for Spark; pseudonyms are the same HMAC.
"""

from pathlib import Path

import duckdb

from atelier._naming import quote_identifier, quote_literal, snake_case
from atelier.personal import scan_relation
from atelier.personal._detect import ROW_SAMPLE as DETECTION_ROWS
from atelier.personal._detect import Finding
from atelier.personal._policy import (
    PSEUDONYM_FUNCTION,
    pseudonym,
    pseudonymisation_key,
    select_expressions,
)
from atelier.scale._dialect import to_spark
from atelier.warehouse._privacy import retention_condition


def without_forgotten(frame, name: str, warehouse: Path):
    """The rows whose key was not forgotten (``atelier forget``), as the warehouse leaves out."""
    from pyspark.sql import functions as sf

    if not warehouse.exists():
        return frame
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        if not connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'audit' "
            "AND table_name = 'forgotten'"
        ).fetchone()[0]:
            return frame
        salt = connection.execute("SELECT salt FROM audit.salt").fetchone()[0]
        forgotten = connection.execute(
            "SELECT key_column, list(digest) FROM audit.forgotten WHERE source = ? GROUP BY 1",
            [name],
        ).fetchall()
    by_snake = {snake_case(column): column for column in frame.columns}
    for key_column, digests in forgotten:
        if key_column in by_snake:
            value = f"trim(CAST({quote_identifier(by_snake[key_column])} AS VARCHAR))"
            digest = to_spark(f"sha256({quote_literal(salt)} || {value})")
            frame = frame.where(~sf.expr(digest).isin(digests))
    return frame


def with_policy(spark, name: str, frame, schema, rules, retention):
    """The source's columns as the privacy policy keeps them, past rows left out."""
    from pyspark.sql import functions as sf

    pseudonymised = [rule.column for rule in rules if rule.action == "pseudonymise"]
    if pseudonymised:
        why = f"privacy: {name}.{pseudonymised[0]} is to be pseudonymised"
        _register_pseudonyms(spark, pseudonymisation_key(why))
    if retention is not None:
        columns = [column for column, _ in schema]
        frame = frame.where(sf.expr(to_spark(retention_condition(retention, columns))))
    return frame.select(
        *[
            sf.expr(to_spark(expression)).alias(column)
            for expression, column in select_expressions(schema, rules)
        ]
    )


def detect(name: str, frame, schema) -> list[Finding]:
    """Personal-data findings on the first rows, by the warehouse's own detector."""
    sample = frame.limit(DETECTION_ROWS).toArrow()
    with duckdb.connect() as connection:
        connection.register("_atelier_sample", sample)
        return scan_relation(connection, "_atelier_sample", schema, name)


def _register_pseudonyms(spark, key: bytes) -> None:
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    @pandas_udf("string")
    def pseudonyms(values: pd.Series) -> pd.Series:
        return values.map(lambda value: pseudonym(key, value) if isinstance(value, str) else None)

    spark.udf.register(PSEUDONYM_FUNCTION, pseudonyms)
