"""Columns of a profiled table that hold personal data: declared, or found from values.

Detection is :mod:`atelier.personal`'s, the one ingest applies; in the profile stage
it is a second look at what the policy left personal (kept or pseudonymised
columns), so that whatever the profile shows of them is masked.
"""

from dataclasses import dataclass

import duckdb

from atelier.personal import Finding, classify, mask, scan_relation
from atelier.personal._detect import sample_known_values, sample_values
from atelier.quality._stats import ColumnStats

__all__ = ["PersonalColumn", "find_personal_columns", "mask"]


@dataclass(frozen=True)
class PersonalColumn:
    """A column found to hold personal data, and why."""

    name: str
    reason: str


def find_personal_columns(
    connection, relation: str, text_columns: list[ColumnStats], declared: list[str]
) -> list[PersonalColumn]:
    """Columns holding personal data, by declaration or by their values.

    A column whose distinct values the statistics counted, all of them, is judged
    on those; the others on a sample of rows.
    """
    found = [PersonalColumn(name, "declared in the charter") for name in declared]
    undeclared = [column for column in text_columns if column.name not in declared]
    counted = [column for column in undeclared if column.value_counts is not None]
    sampled = [column.name for column in undeclared if column.value_counts is None]
    findings = {
        finding.column: finding
        for finding in _judged_on_counts(counted) + _judged_on_rows(connection, relation, sampled)
    }
    found += [
        PersonalColumn(column.name, f"its values: {findings[column.name].rule}")
        for column in undeclared
        if column.name in findings
    ]
    return found


def _judged_on_counts(columns: list[ColumnStats]) -> list[Finding]:
    if not columns:
        return []
    samples = sample_known_values({column.name: list(column.value_counts) for column in columns})
    findings = [classify("", column.name, samples.get(column.name, [])) for column in columns]
    return [finding for finding in findings if finding is not None]


def _judged_on_rows(connection, relation: str, columns: list[str]) -> list[Finding]:
    if isinstance(connection, duckdb.DuckDBPyConnection):
        # one pass over the table draws the rows of every column, into a temp table
        # (which a read-only warehouse connection accepts)
        return scan_relation(connection, relation, [(name, "VARCHAR") for name in columns], "")
    # Spark's connection only answers SELECT: one sample per column
    findings = [classify("", name, sample_values(connection, relation, name)) for name in columns]
    return [finding for finding in findings if finding is not None]
