"""What the ingest stage returns and writes as its ``result.json``."""

from dataclasses import dataclass, field

from atelier.warehouse._diagram import Relation, TableSchema
from atelier.warehouse._mart import JoinReport


@dataclass(frozen=True)
class SourceLoad:
    """What happened to one source during an ingest.

    ``status`` is ``loaded`` (read and replaced in raw and staging) or
    ``unchanged`` (same content and declaration as its last load: skipped).
    ``purged`` counts the rows left out or deleted: past their retention, or of a
    person forgotten.
    """

    name: str
    kind: str
    location: str
    status: str
    content_hash: str
    rows: int
    columns: int
    duration_s: float
    details: dict = field(default_factory=dict)
    purged: int = 0


@dataclass(frozen=True)
class IngestResult:
    """The outcome of :func:`ingest`, serialised as the stage's ``result.json``.

    Attributes
    ----------
    warehouse : str
        Path of the DuckDB file.
    sources : list of SourceLoad
        Each source, loaded or skipped.
    mart_table : str
        Qualified name of the model-ready table.
    mart_rows : int
        Its row count.
    mart_rebuilt : bool
        Whether it was rebuilt in this run.
    joins : list of JoinReport
        How each join matched (empty when the mart was not rebuilt).
    personal_data : list of str
        Mart columns still holding personal data (kept or pseudonymised).
    personal : dict
        Per source, the personal-data ``findings`` of its last load and the
        ``rules`` applied to it (see :mod:`atelier.personal`).
    removed_sources : list of str
        Sources dropped from the warehouse because the charter no longer has them.
    tables : list of TableSchema
        Staging and mart tables, for the diagram and the report.
    relations : list of Relation
        The joins between staging tables.
    diagram : str
        Path of the entity-relationship diagram.
    duration_s : float
        Wall time of the stage.
    online : dict or None
        The predictions drained from the online store into
        ``monitoring.predictions`` (``store``, ``drained``, ``note``); None without one.
    """

    warehouse: str
    sources: list[SourceLoad]
    mart_table: str
    mart_rows: int
    mart_rebuilt: bool
    joins: list[JoinReport]
    personal_data: list[str]
    personal: dict
    removed_sources: list[str]
    tables: list[TableSchema]
    relations: list[Relation]
    diagram: str
    duration_s: float
    online: dict | None = None

    @property
    def loaded(self) -> list[str]:
        """Names of the sources actually (re)loaded."""
        return [source.name for source in self.sources if source.status == "loaded"]
