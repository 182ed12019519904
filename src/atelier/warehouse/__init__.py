"""The ingest stage: sources into a DuckDB warehouse (raw, staging, mart) with lineage."""

from atelier.warehouse._diagram import Relation, TableSchema, draw_schema_diagram
from atelier.warehouse._ingest import DIAGRAM_FILE, STAGE, ingest
from atelier.warehouse._mart import JoinReport
from atelier.warehouse._raw import LINEAGE_COLUMNS
from atelier.warehouse._result import IngestResult, SourceLoad

__all__ = [
    "DIAGRAM_FILE",
    "LINEAGE_COLUMNS",
    "STAGE",
    "IngestResult",
    "JoinReport",
    "Relation",
    "SourceLoad",
    "TableSchema",
    "draw_schema_diagram",
    "ingest",
]
