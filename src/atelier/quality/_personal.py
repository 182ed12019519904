"""Columns of a profiled table that hold personal data: declared, or found from values.

Detection is :mod:`atelier.personal`'s, the one ingest applies; in the profile stage
it is a second look at what the policy left personal (kept or pseudonymised
columns), so that whatever the profile shows of them is masked.
"""

from dataclasses import dataclass

import duckdb

from atelier.personal import classify, mask, scan_relation
from atelier.personal._detect import sample_values

__all__ = ["PersonalColumn", "find_personal_columns", "mask"]


@dataclass(frozen=True)
class PersonalColumn:
    """A column found to hold personal data, and why."""

    name: str
    reason: str


def find_personal_columns(
    connection, relation: str, text_columns: list[str], declared: list[str]
) -> list[PersonalColumn]:
    """Columns holding personal data, by declaration or by their values."""
    found = [PersonalColumn(name, "declared in the charter") for name in declared]
    undeclared = [name for name in text_columns if name not in declared]
    if isinstance(connection, duckdb.DuckDBPyConnection):
        # one pass over the table draws the rows of every column, into a temp table
        # (which a read-only warehouse connection accepts)
        findings = scan_relation(connection, relation, [(n, "VARCHAR") for n in undeclared], "")
    else:  # Spark's connection only answers SELECT: one sample per column
        findings = [
            finding
            for name in undeclared
            if (finding := classify("", name, sample_values(connection, relation, name)))
        ]
    found += [PersonalColumn(f.column, f"its values: {f.rule}") for f in findings]
    return found
