"""The dossier: a self-contained HTML report of the run, and the standard's traceability matrix."""

from atelier._text import LANGUAGES
from atelier.report._deck import build_slides
from atelier.report._referential import criteria, referential
from atelier.report._render import REPORT_DIR, build_report

__all__ = ["LANGUAGES", "REPORT_DIR", "build_report", "build_slides", "criteria", "referential"]
