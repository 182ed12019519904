"""The profile stage: what each column holds, and what is wrong with the data."""

from atelier.quality._personal import mask
from atelier.quality._profile import STAGE, profile, profile_file, profile_relation
from atelier.quality._result import (
    FINDING_KINDS,
    SEMANTIC_TYPES,
    SEVERITIES,
    ColumnProfile,
    Finding,
    Histogram,
    ProfileResult,
    ValueCount,
)

__all__ = [
    "FINDING_KINDS",
    "SEMANTIC_TYPES",
    "SEVERITIES",
    "STAGE",
    "ColumnProfile",
    "Finding",
    "Histogram",
    "ProfileResult",
    "ValueCount",
    "mask",
    "profile",
    "profile_file",
    "profile_relation",
]
