"""k-anonymity and l-diversity of the mart's quasi-identifiers, counted by DuckDB.

Rows that share every quasi-identifier form an equivalence class; k is the size of
the smallest class (Sweeney, 2002), l the fewest distinct sensitive values in a
class (Machanavajjhala et al., 2007). When k falls short, numeric quasi-identifiers
are coarsened into wider bands, the one with the most distinct values first, until
the target is met: the generalisation the policy could apply.
"""

from dataclasses import asdict, dataclass, field

from atelier._naming import quote_identifier

MAX_STEPS = 12


@dataclass(frozen=True)
class Anonymity:
    """How well the quasi-identifiers hide a person in a crowd.

    Attributes
    ----------
    quasi_identifiers : list of str
    k_target : int
        The charter's k.
    k : int
        The smallest class size (0 for an empty table).
    classes : int
        How many classes the rows form.
    rows_at_risk : int
        Rows in classes smaller than ``k_target``.
    rows : int
    sensitive : str or None
        The attribute l-diversity is measured on (the target).
    l_diversity : int or None
        The fewest distinct sensitive values in a class.
    generalisation : list of dict
        Steps that reach ``k_target`` (``{"column", "width", "k"}``), empty when met
        already or when no numeric quasi-identifier can be coarsened.
    reached : bool
        Whether the generalisation steps reach ``k_target``.
    """

    quasi_identifiers: list[str]
    k_target: int
    k: int
    classes: int
    rows_at_risk: int
    rows: int
    sensitive: str | None
    l_diversity: int | None
    generalisation: list[dict] = field(default_factory=list)
    reached: bool = True

    def to_dict(self) -> dict:
        """As JSON-ready data."""
        return asdict(self)


def measure_anonymity(
    connection, relation: str, quasi_identifiers: list[str], k_target: int, sensitive: str | None
) -> Anonymity:
    """k, l and the rows at risk of ``relation`` for ``quasi_identifiers``."""
    expressions = {column: quote_identifier(column) for column in quasi_identifiers}
    k, classes, at_risk, rows, diversity = _classes(
        connection, relation, expressions, k_target, sensitive
    )
    steps: list[dict] = []
    if k < k_target:
        steps = _generalise(connection, relation, expressions, k_target)
    return Anonymity(
        quasi_identifiers,
        k_target,
        k,
        classes,
        at_risk,
        rows,
        sensitive,
        diversity,
        steps,
        reached=k >= k_target or bool(steps and steps[-1]["k"] >= k_target),
    )


def _classes(connection, relation, expressions, k_target, sensitive):
    keys = ", ".join(f"{sql} AS g{index}" for index, sql in enumerate(expressions.values()))
    groups = ", ".join(f"g{index}" for index in range(len(expressions)))
    distinct = (
        f", count(DISTINCT {quote_identifier(sensitive)}) AS l" if sensitive else ", NULL AS l"
    )
    row = connection.execute(
        f"SELECT min(n), count(*), coalesce(sum(n) FILTER (WHERE n < {k_target}), 0), "
        f"coalesce(sum(n), 0), min(l) FROM (SELECT count(*) AS n{distinct} "
        f"FROM (SELECT *, {keys} FROM {relation}) GROUP BY {groups})"
    ).fetchone()
    k, classes, at_risk, rows, diversity = row
    return int(k or 0), int(classes), int(at_risk), int(rows), diversity


def _generalise(connection, relation, expressions, k_target) -> list[dict]:
    numeric = _numeric_columns(connection, relation, list(expressions))
    widths = {column: _base_width(connection, relation, column) for column in numeric}
    current = dict(expressions)
    steps = []
    for _ in range(MAX_STEPS):
        candidates = [c for c in numeric if widths[c] is not None]
        if not candidates:
            break
        column = max(candidates, key=lambda c: _distinct(connection, relation, current[c]))
        width = widths[column]
        current[column] = f"floor({quote_identifier(column)} / {width})"
        k = _classes(connection, relation, current, k_target, None)[0]
        steps.append({"column": column, "width": width, "k": k})
        widths[column] = width * 2
        if k >= k_target:
            break
    return steps


def _numeric_columns(connection, relation, columns) -> list[str]:
    types = dict(
        (row[0], row[1])
        for row in connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    )
    numeric = ("BIGINT", "INTEGER", "DOUBLE", "FLOAT", "DECIMAL", "SMALLINT", "HUGEINT")
    return [c for c in columns if types.get(c, "").startswith(numeric)]


def _base_width(connection, relation, column) -> float | None:
    low, high = connection.execute(
        f"SELECT min({quote_identifier(column)}), max({quote_identifier(column)}) FROM {relation}"
    ).fetchone()
    if low is None or high == low:
        return None
    span = float(high) - float(low)
    return float(f"{span / 20:.1g}") or 1.0


def _distinct(connection, relation, sql) -> int:
    return connection.execute(f"SELECT count(DISTINCT {sql}) FROM {relation}").fetchone()[0]
