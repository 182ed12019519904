"""The project charter (``atelier.yaml``): its model, its loading and its template."""

from atelier.charter._cleaning import CleaningPlan
from atelier.charter._load import CHARTER_FILE, load_charter, resolve_environment
from atelier.charter._model import (
    Architecture,
    Charter,
    Costs,
    Deep,
    Join,
    Kpi,
    Mart,
    ProjectInfo,
    Risk,
    Stakeholder,
    Target,
    Training,
    recording_reads,
)
from atelier.charter._privacy import ColumnRule, Fairness, Privacy, Retention
from atelier.charter._sources import (
    CsvSource,
    ExcelSource,
    HttpSource,
    JsonSource,
    NextLinkPagination,
    PagePagination,
    ParquetSource,
    SourceSpec,
    SqliteSource,
    SqlSource,
)
from atelier.charter._template import template_costs, write_template

__all__ = [
    "CHARTER_FILE",
    "Architecture",
    "Charter",
    "CleaningPlan",
    "ColumnRule",
    "Costs",
    "CsvSource",
    "Deep",
    "ExcelSource",
    "Fairness",
    "HttpSource",
    "Join",
    "JsonSource",
    "Kpi",
    "Mart",
    "NextLinkPagination",
    "PagePagination",
    "ParquetSource",
    "Privacy",
    "ProjectInfo",
    "Retention",
    "Risk",
    "SourceSpec",
    "SqlSource",
    "SqliteSource",
    "Stakeholder",
    "Target",
    "Training",
    "load_charter",
    "recording_reads",
    "resolve_environment",
    "template_costs",
    "write_template",
]
