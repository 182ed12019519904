"""DuckDB's SQL run by Spark: the profile's queries, written once, on either engine.

:class:`SparkConnection` answers ``execute(sql).fetchone()`` like a DuckDB
connection: each statement is transpiled from DuckDB's dialect by sqlglot, with the
few functions Spark lacks rewritten into what it has:

- ``isfinite``, ``hash`` and sorted ``list`` slices (see :func:`to_spark`);
- ``histogram(x) [FILTER (WHERE c)]``, a map of each value to its rows, is computed
  by one ``GROUPING SETS`` query for all the statement's histograms;
- ``approx_top_k(x, k)`` becomes an exact top-k by ``GROUP BY``.
"""

from collections import defaultdict

from atelier.scale._dialect import duckdb_type, to_spark

_HISTOGRAM, _TOP_K = "histogram", "approx_top_k"


def spark_view(project, layer: str, name: str) -> tuple["SparkConnection", str]:
    """A connection on the project's Spark session, and a view of a lake table in it.

    Raises
    ------
    StageOrderError
        The lake has no such table yet (``atelier ingest`` writes it with engine: spark).
    """
    from atelier.exceptions import StageOrderError
    from atelier.scale._lake import lake_folder
    from atelier.scale._session import spark_session

    folder = lake_folder(project.state_dir, layer, name)
    if not folder.exists():
        raise StageOrderError(
            f"{project.root}: the lake has no {layer} table {name!r}; run `atelier ingest` "
            "with engine: spark first"
        )
    spark = spark_session(project.charter.spark)
    view = f"atelier_{layer}_{name}"
    spark.read.parquet(str(folder)).createOrReplaceTempView(view)
    return SparkConnection(spark), view


class SparkConnection:
    """A DuckDB-like connection whose statements Spark runs.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
    """

    def __init__(self, spark):
        self.spark = spark

    def execute(self, sql: str, parameters: list | None = None) -> "_Result":
        """Run one DuckDB statement (``DESCRIBE`` or ``SELECT``) on Spark."""
        text = sql.strip()
        if text.upper().startswith("DESCRIBE"):
            return self._describe(text[len("DESCRIBE") :].strip())
        return self._select(text, parameters)

    def _describe(self, what: str) -> "_Result":
        query = what if what.upper().startswith("SELECT") else f"SELECT * FROM {what}"
        schema = self.spark.sql(to_spark(query)).schema
        rows = [(f.name, duckdb_type(f.dataType.simpleString()), "YES") for f in schema.fields]
        return _Result(rows, ["column_name", "column_type", "null"])

    def _select(self, sql: str, parameters) -> "_Result":
        import sqlglot
        from sqlglot import exp

        tree = sqlglot.parse_one(sql, read="duckdb")
        special = {}
        if isinstance(tree, exp.Select):
            for index, expression in enumerate(tree.expressions):
                kind = _special(expression)
                if kind is not None:
                    special[index] = (kind, expression.copy())
                    expression.replace(exp.Null())
        frame = self.spark.sql(to_spark(tree.sql("duckdb")), args=parameters or None)
        rows = [tuple(row) for row in frame.collect()]
        if special:
            rows = self._fill(tree, special, rows)
        return _Result(rows, frame.columns)

    def _fill(self, tree, special: dict, rows: list[tuple]) -> list[tuple]:
        """Compute the histograms and top-k values, put them in the one result row."""
        source = tree.args["from_"].this.sql("duckdb")
        where = tree.args.get("where")
        filtered = f"(SELECT * FROM {source} {where.sql('duckdb') if where else ''})"
        values = {}
        histograms = {i: e for i, (kind, e) in special.items() if kind == _HISTOGRAM}
        if histograms:
            values |= self._histograms(filtered, histograms)
        for index, (kind, expression) in special.items():
            if kind == _TOP_K:
                values[index] = self._top_k(filtered, expression)
        return [tuple(values.get(i, cell) for i, cell in enumerate(row)) for row in rows]

    def _histograms(self, relation: str, histograms: dict) -> dict:
        from sqlglot import exp

        keys = []
        for index, expression in histograms.items():
            call = expression.this if isinstance(expression, exp.Filter) else expression
            value = _arguments(call)[0].sql("duckdb")
            if isinstance(expression, exp.Filter):
                condition = expression.expression.this.sql("duckdb")
                value = f"CASE WHEN {condition} THEN {value} END"
            keys.append((index, f"_h{index}", value))
        selected = ", ".join(f"{value} AS {alias}" for _, alias, value in keys)
        sets = ", ".join(f"({alias})" for _, alias, _ in keys)
        aliases = ", ".join(alias for _, alias, _ in keys)
        query = (
            f"SELECT {aliases}, count(*) AS n FROM (SELECT {selected} FROM {relation}) "
            f"GROUP BY GROUPING SETS ({sets})"
        )
        counts = defaultdict(dict)
        for row in self.spark.sql(to_spark(query)).collect():
            for position, (index, _, _) in enumerate(keys):
                if row[position] is not None:
                    counts[index][row[position]] = row["n"]
        return {index: counts.get(index, {}) for index, _, _ in keys}

    def _top_k(self, relation: str, expression) -> list:
        value, k = (argument.sql("duckdb") for argument in _arguments(expression)[:2])
        query = (
            f"SELECT {value} AS v FROM {relation} WHERE {value} IS NOT NULL "
            f"GROUP BY {value} ORDER BY count(*) DESC, v LIMIT {k}"
        )
        return [row[0] for row in self.spark.sql(to_spark(query)).collect()]


class _Result:
    def __init__(self, rows: list[tuple], columns: list[str]):
        self._rows = rows
        self.description = [(name,) for name in columns]

    def fetchone(self):
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[tuple]:
        return list(self._rows)

    def df(self):
        import pandas as pd

        return pd.DataFrame(self._rows, columns=[column for column, *_ in self.description])


def _arguments(call) -> list:
    """A function call's arguments in order, whether sqlglot knows the function or not."""
    from sqlglot import exp

    if isinstance(call, exp.Anonymous):
        return list(call.expressions)
    found = []
    for name in call.arg_types:
        value = call.args.get(name)
        if value is not None:
            found += value if isinstance(value, list) else [value]
    return found


def _special(expression) -> str | None:
    """``histogram`` or ``approx_top_k`` for a select expression Spark cannot run as is."""
    from sqlglot import exp

    node = expression.this if isinstance(expression, exp.Alias) else expression
    node = node.this if isinstance(node, exp.Filter) else node
    name = node.name.lower() if isinstance(node, exp.Anonymous) else type(node).__name__.lower()
    if name == _HISTOGRAM:
        return _HISTOGRAM
    if name in (_TOP_K, "approxtopk"):  # sqlglot knows it as ApproxTopK
        return _TOP_K
    return None
