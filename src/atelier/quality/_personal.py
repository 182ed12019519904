"""Columns of a profiled table that hold personal data: declared, or found from values.

Detection is :mod:`atelier.personal`'s, the one ingest applies; in the profile stage
it is a second look at what the policy left personal (kept or pseudonymised
columns), so that whatever the profile shows of them is masked.
"""

from dataclasses import dataclass

from atelier.personal import classify, mask
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
    known = set(declared)
    for name in text_columns:
        if name in known:
            continue
        finding = classify("", name, sample_values(connection, relation, name))
        if finding is not None:
            found.append(PersonalColumn(name, f"its values: {finding.rule}"))
    return found
