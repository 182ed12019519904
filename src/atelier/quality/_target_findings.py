"""Findings that involve the target or pairs of columns: imbalance, leakage, correlation."""

from itertools import combinations

from atelier._naming import quote_identifier, quote_literal
from atelier._text import Text
from atelier.quality._result import Finding
from atelier.quality._stats import ColumnStats

IMBALANCE_SHARE = 0.2
LEAK_AUC = 0.98  # |AUC - 0.5| above 0.48: one column all but separates the classes
LEAK_PURITY = 0.98
PURITY_MAX_CATEGORIES = 50  # with more, a column is "pure" by chance: one row per category
LEAK_R2 = 0.98
CORRELATION = 0.9
MAX_CORRELATED_COLUMNS = 60


def imbalance_finding(target: ColumnStats, say: Text | None = None) -> Finding | None:
    """The target's rarest class, if it is rare."""
    say = say or Text("en")
    counts = target.value_counts or {}
    if len(counts) < 2:
        return None
    rarest, rare_count = min(counts.items(), key=lambda item: item[1])
    share = rare_count / target.non_null
    if share >= IMBALANCE_SHARE:
        return None
    severity = "critical" if share < 0.05 else "warning"
    return Finding(
        "imbalance",
        [target.name],
        int(rare_count),
        severity,
        say("find_imbalance", value=repr(rarest), share=say.percent(share, 1)),
        [rarest],
        say("fix_imbalance"),
    )


def leakage_findings(
    connection,
    relation: str,
    target: ColumnStats,
    candidates: list[tuple[ColumnStats, str]],
    say: Text | None = None,
) -> list[Finding]:
    """Columns that predict the target almost perfectly on their own."""
    say = say or Text("en")
    found = []
    binary = target.value_counts is not None and len(target.value_counts) == 2
    numeric_target = target.family == "number" and not binary
    for column, semantic in candidates:
        if semantic in {"numeric"} and binary:
            score, what = _auc(connection, relation, column.name, target), "ROC AUC"
            leaks = score is not None and max(score, 1 - score) >= LEAK_AUC
            score = None if score is None else max(score, 1 - score)
        elif semantic in {"numeric"} and numeric_target:
            score, what = _r_squared(connection, relation, column.name, target.name), "R²"
            leaks = score is not None and score >= LEAK_R2
        elif (
            semantic in {"categorical", "boolean"}
            and not numeric_target
            and (column.distinct <= PURITY_MAX_CATEGORIES)
        ):
            score, what = _purity(connection, relation, column.name, target.name), "purity"
            leaks = score is not None and score >= LEAK_PURITY
        else:
            continue
        if leaks:
            found.append(
                Finding(
                    "leakage",
                    [column.name],
                    target.non_null,
                    "critical",
                    say(
                        "find_leakage",
                        column=column.name,
                        target=target.name,
                        what=say.term(what),
                        score=say.number(score, 3),
                    ),
                    [round(score, 4)],
                    say("fix_leakage"),
                )
            )
    return found


def _auc(connection, relation: str, column: str, target: ColumnStats) -> float | None:
    """P(x of a positive > x of a negative), ties counted half: the Mann-Whitney AUC."""
    positive = _positive_class(target)
    x, y = quote_identifier(column), quote_identifier(target.name)
    return connection.execute(
        f"""
        WITH groups AS (
            SELECT {x} AS x,
                   count(*) FILTER (WHERE {y} = {_literal(positive)}) AS positives,
                   count(*) FILTER (WHERE {y} <> {_literal(positive)}) AS negatives
            FROM {relation} WHERE {x} IS NOT NULL AND {y} IS NOT NULL GROUP BY {x}
        ), ranked AS (
            SELECT positives, negatives,
                   coalesce(sum(negatives) OVER (ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING
                                                 AND 1 PRECEDING), 0) AS below
            FROM groups
        )
        SELECT sum(positives * (below + negatives / 2.0))
               / nullif(sum(positives) * sum(negatives), 0)
        FROM ranked
        """
    ).fetchone()[0]


def _r_squared(connection, relation: str, column: str, target: str) -> float | None:
    r = connection.execute(
        f"SELECT corr(CAST({quote_identifier(column)} AS DOUBLE), "
        f"CAST({quote_identifier(target)} AS DOUBLE)) FROM {relation}"
    ).fetchone()[0]
    return None if r is None else r * r


def _purity(connection, relation: str, column: str, target: str) -> float | None:
    """Share of rows whose target is the majority class of their category."""
    x, y = quote_identifier(column), quote_identifier(target)
    return connection.execute(
        f"SELECT sum(majority) / nullif(sum(total), 0) FROM ("
        f"  SELECT max(n) AS majority, sum(n) AS total FROM ("
        f"    SELECT {x}, {y}, count(*) AS n FROM {relation} WHERE {y} IS NOT NULL GROUP BY ALL"
        f"  ) GROUP BY {x})"
    ).fetchone()[0]


def _positive_class(target: ColumnStats):
    counts = target.value_counts or {}
    return min(counts.items(), key=lambda item: (item[1], str(item[0])))[0]


def _literal(value) -> str:
    return quote_literal(value) if isinstance(value, str) else repr(value)


def correlation_findings(
    connection, relation: str, numeric: list[str], rows: int, say: Text | None = None
) -> list[Finding]:
    """Pairs of numeric columns with |Pearson r| of at least 0.9."""
    say = say or Text("en")
    numeric = numeric[:MAX_CORRELATED_COLUMNS]
    pairs = list(combinations(numeric, 2))
    if not pairs:
        return []
    expressions = [
        f"corr(CAST({quote_identifier(a)} AS DOUBLE), CAST({quote_identifier(b)} AS DOUBLE))"
        for a, b in pairs
    ]
    values = connection.execute(f"SELECT {', '.join(expressions)} FROM {relation}").fetchone()
    found = []
    for (first, second), r in zip(pairs, values, strict=True):
        if r is not None and abs(r) >= CORRELATION:
            found.append(
                Finding(
                    "correlated",
                    [first, second],
                    rows,
                    "info",
                    say("find_correlated", first=first, second=second, r=say.number(r, 3)),
                    [round(r, 4)],
                    say("fix_correlated"),
                )
            )
    return found
