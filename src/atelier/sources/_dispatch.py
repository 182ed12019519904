"""One entry point for every kind of source."""

from pathlib import Path

from atelier._config import settings
from atelier._project import resolve_path
from atelier.charter import (
    AudioSource,
    CsvSource,
    ExcelSource,
    HttpSource,
    ImagesSource,
    JsonSource,
    ParquetSource,
    SourceSpec,
    SqliteSource,
    SqlSource,
)
from atelier.sources._databases import snapshot_sql, snapshot_sqlite
from atelier.sources._delimited import snapshot_delimited
from atelier.sources._excel import snapshot_excel
from atelier.sources._http import snapshot_http
from atelier.sources._media import snapshot_media
from atelier.sources._snapshot import SourceSnapshot
from atelier.sources._structured_files import snapshot_json, snapshot_parquet


def snapshot_source(name: str, spec: SourceSpec, root: Path, scratch: Path) -> SourceSnapshot:
    """Locate and fingerprint one source of the charter.

    Parameters
    ----------
    name : str
        The source's name in the charter.
    spec : SourceSpec
        Its declaration.
    root : Path
        The project folder, against which relative paths resolve.
    scratch : Path
        A folder for intermediate files (transcoded text, fetched records), which
        the caller deletes once the load is over.

    Returns
    -------
    SourceSnapshot

    Raises
    ------
    SourceError
        If the source cannot be reached or read as declared.
    """

    def resolved(path: str) -> Path:
        return resolve_path(root, path)

    match spec:
        case CsvSource():
            return snapshot_delimited(name, spec, resolved(spec.path), scratch)
        case JsonSource():
            return snapshot_json(name, spec, resolved(spec.path))
        case ParquetSource():
            return snapshot_parquet(name, spec, resolved(spec.path))
        case ExcelSource():
            return snapshot_excel(name, spec, resolved(spec.path))
        case SqliteSource():
            return snapshot_sqlite(name, spec, resolved(spec.path))
        case SqlSource():
            return snapshot_sql(name, spec)
        case HttpSource():
            return snapshot_http(name, spec, scratch, settings().http_timeout)
        case ImagesSource() | AudioSource():
            return snapshot_media(name, spec, resolved)
    raise TypeError(f"unsupported source declaration {type(spec).__name__}")
