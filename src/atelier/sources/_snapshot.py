"""What a source looks like once located and fingerprinted, before it is loaded."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from atelier.exceptions import SourceError

if TYPE_CHECKING:
    import pyarrow as pa

_CHUNK_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class SourceSnapshot:
    """A source located, fingerprinted, and ready to be loaded into the warehouse.

    Exactly one of ``table_expression`` and ``load_arrow`` is set: file formats that
    DuckDB reads natively are loaded by SQL; the others through an Arrow table,
    built only when the source must actually be (re)loaded.

    Attributes
    ----------
    name : str
        The source's name in the charter.
    kind : str
        Its kind (``csv``, ``json``, ...).
    location : str
        Where it is, safe to log: a path, or a URL with no secret in it.
    content_hash : str
        ``sha256:<hex>`` of its content; unchanged content means no reload.
    table_expression : str or None
        A DuckDB table expression reading it (``read_csv(...)``).
    full_scan_expression : str or None
        The same reader told to infer types from every row, for when a type guessed
        from the first rows does not fit a later one.
    load_arrow : callable or None
        Returns the content as an Arrow table.
    details : dict
        What was detected or fetched (encoding, delimiter, pages), for the record.
    readable : str or None
        The file DuckDB's reader opens, where it is not ``location``: a UTF-8 copy of
        a file in another encoding, in the scratch folder.
    applied_policy : tuple or None
        ``(findings, rules)`` when the privacy policy was already applied upstream
        (by Spark, writing the lake): the warehouse then loads the columns as they are.
    """

    name: str
    kind: str
    location: str
    content_hash: str
    table_expression: str | None = None
    full_scan_expression: str | None = None
    load_arrow: Callable[[], pa.Table] | None = None
    details: dict = field(default_factory=dict)
    readable: str | None = None
    applied_policy: tuple | None = None


def existing_file(name: str, path: Path) -> Path:
    """Return ``path`` if it is a readable file, else raise a SourceError naming it."""
    if not path.exists():
        raise SourceError(f"source {name!r}: file not found: {path}")
    if not path.is_file():
        raise SourceError(f"source {name!r}: {path} is not a file")
    return path


def hash_file(path: Path, on_chunk: Callable[[bytes], None] | None = None) -> str:
    """The ``sha256:`` content hash of a file, read in chunks.

    ``on_chunk`` sees every chunk too, so that one read can also inspect the bytes.
    """
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            digest.update(chunk)
            if on_chunk is not None:
                on_chunk(chunk)
    return f"sha256:{digest.hexdigest()}"


def hash_bytes(content: bytes) -> str:
    """The ``sha256:`` content hash of bytes in memory."""
    return f"sha256:{hashlib.sha256(content).hexdigest()}"


def hash_arrow(table: pa.Table) -> str:
    """The ``sha256:`` hash of an Arrow table's IPC serialisation."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hash_bytes(sink.getvalue().to_pybytes())


def first_line(error: BaseException) -> str:
    """The gist of a library's error message, on one line, with no data in it.

    DuckDB's CSV errors read "CSV Error on Line: N", then an echo of the offending
    line (which may hold personal data, so it is dropped), then the reason.
    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    if "CSV Error on Line" in lines[0]:
        reasons = [line for line in lines[1:] if not line.startswith("Original Line")]
        if reasons:
            return f"{lines[0]}: {reasons[0]}"
    return lines[0]
