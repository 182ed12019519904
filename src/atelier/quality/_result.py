"""The profile of a table: what ``result.json`` of the profile stage holds.

The format is a contract, documented in ``docs/profile-format.md``.
"""

from dataclasses import dataclass, field

SEMANTIC_TYPES = (
    "numeric",
    "categorical",
    "boolean",
    "datetime",
    "text",
    "identifier",
    "constant",
)
FINDING_KINDS = (
    "missing",
    "disguised_missing",
    "duplicate_rows",
    "duplicate_key",
    "constant",
    "near_constant",
    "high_cardinality",
    "identifier",
    "inconsistent_categories",
    "mixed_types",
    "out_of_range",
    "outliers",
    "skewed",
    "correlated",
    "imbalance",
    "leakage",
    "personal_data",
)
# the files of an images table, and the free-text columns, have findings of their own
MEDIA_FINDING_KINDS = (
    "unreadable_media",
    "media_mismatch",
    "duplicate_media",
    "mixed_sizes",
    "rare_label",
    "rare_character",
    "silent_audio",
    "clipped_audio",
    "mixed_sample_rates",
)
TEXT_FINDING_KINDS = ("empty_text", "duplicate_text", "text_language")
FINDING_KINDS += MEDIA_FINDING_KINDS + TEXT_FINDING_KINDS
SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True)
class ValueCount:
    """A value and how many rows hold it (masked when the column is personal data)."""

    value: str | float | int | bool | None
    count: int


@dataclass(frozen=True)
class Histogram:
    """Counts of a numeric column in equal-width bins; ``edges`` has one more item."""

    edges: list[float]
    counts: list[int]


@dataclass(frozen=True)
class ColumnProfile:
    """What one column holds.

    Attributes
    ----------
    name : str
        Column name.
    storage_type : str
        Its DuckDB type.
    semantic_type : str
        One of :data:`SEMANTIC_TYPES`.
    missing, missing_rate : int, float
        Null values, and their share of rows.
    distinct : int
        Distinct non-null values; approximate (HyperLogLog) when
        ``distinct_is_approximate``, which only happens above 1,000 values.
    top_values : list of ValueCount
        The most frequent values, most frequent first.
    minimum, maximum, mean, std, skew : float or None
        For numeric columns (minimum and maximum also for dates, as ISO text).
    quantiles : dict of str to float
        Approximate 5, 25, 50, 75 and 95% quantiles of numeric columns.
    histogram : Histogram or None
        For numeric columns.
    mean_length : float or None
        Mean length of text values.
    numeric_share : float or None
        For text columns, the share of values (missing-value tokens aside) that are
        numbers: 1.0 means numbers stored as text.
    """

    name: str
    storage_type: str
    semantic_type: str
    missing: int
    missing_rate: float
    distinct: int
    distinct_is_approximate: bool
    top_values: list[ValueCount]
    minimum: float | str | None = None
    maximum: float | str | None = None
    mean: float | None = None
    std: float | None = None
    skew: float | None = None
    quantiles: dict[str, float] = field(default_factory=dict)
    histogram: Histogram | None = None
    mean_length: float | None = None
    numeric_share: float | None = None


@dataclass(frozen=True)
class Finding:
    """A problem, or a fact worth acting on, found in the data.

    Attributes
    ----------
    kind : str
        One of :data:`FINDING_KINDS`.
    columns : list of str
        The columns concerned (empty for whole-row findings).
    rows : int
        How many rows are concerned.
    severity : str
        ``info``, ``warning`` or ``critical``.
    message : str
        What was found, in one sentence.
    examples : list
        A few values or row identifiers showing it (personal data masked).
    fix : str
        What to do about it; the cleaning stage proposes the same.
    """

    kind: str
    columns: list[str]
    rows: int
    severity: str
    message: str
    examples: list
    fix: str


@dataclass(frozen=True)
class ProfileResult:
    """The profile of one table: its columns and the findings."""

    table: str
    rows: int
    columns: list[ColumnProfile]
    findings: list[Finding]
    target: str | None
    duration_s: float
    engine: str = "duckdb"
    # the statistics that are estimates, whichever engine computed them
    approximate: tuple[str, ...] = (
        "distinct counts above 1,000 values (HyperLogLog)",
        "quantiles (DuckDB: t-digest; Spark: Greenwald-Khanna)",
        "outlier counts (their fences come from the approximate quartiles)",
    )

    def column(self, name: str) -> ColumnProfile:
        """The profile of the column ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def findings_of(self, kind: str) -> list[Finding]:
        """The findings of one kind."""
        return [finding for finding in self.findings if finding.kind == kind]
