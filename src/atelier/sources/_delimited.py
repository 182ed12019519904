"""Delimited text files (CSV, TSV): encoding, delimiter and decimal mark, then DuckDB."""

import codecs
from pathlib import Path

import duckdb

from atelier._naming import quote_identifier, quote_literal
from atelier.charter import CsvSource
from atelier.exceptions import SourceError
from atelier.sources._snapshot import SourceSnapshot, existing_file, first_line, hash_file

# Encodings DuckDB's CSV reader decodes itself; any other is transcoded to UTF-8 first.
_NATIVE_ENCODINGS = {"utf-8": "utf-8", "utf-16": "utf-16", "latin-1": "latin-1"}
_DECIMAL_SAMPLE_ROWS = 10_000
_WESTERN = {"cp1252", "latin_1", "iso8859_15"}
_WESTERN_PUNCTUATION = set("€£§°«»“”‘’–—…•·×")
_COHERENCE_MARGIN = 0.1


def snapshot_delimited(
    name: str, spec: CsvSource, path: Path, scratch: Path, extra: dict | None = None
) -> SourceSnapshot:
    """Fingerprint a delimited file and work out how DuckDB must read it.

    ``extra`` holds more options of DuckDB's ``read_csv`` for the final read.
    """
    existing_file(name, path)
    declared = _canonical_encoding(name, spec.encoding) if spec.encoding else None
    validator = _Utf8Validator() if declared is None else None
    content_hash = hash_file(path, validator.feed if validator else None)
    encoding = declared or validator.verdict(name, path)
    readable = path
    if encoding not in _NATIVE_ENCODINGS.values():
        readable = _transcode_to_utf8(name, path, encoding, scratch)
    duckdb_encoding = encoding if readable == path else "utf-8"
    delimiter = spec.delimiter or ("\t" if spec.kind == "tsv" else None)
    options = {"encoding": duckdb_encoding, "header": spec.header}
    if delimiter:
        options["delim"] = delimiter
    decimal = spec.decimal or _detect_decimal_mark(name, readable, options)
    if decimal == ",":
        options["decimal_separator"] = ","
    options |= extra or {}
    expression = _read_csv(readable, options)
    return SourceSnapshot(
        name=name,
        kind=spec.kind,
        location=str(path),
        content_hash=content_hash,
        table_expression=expression,
        full_scan_expression=_read_csv(readable, {**options, "sample_size": -1}),
        details={"encoding": encoding, "delimiter": delimiter or "detected", "decimal": decimal},
        readable=None if readable == path else str(readable),
    )


def _read_csv(path: Path, options: dict) -> str:
    rendered = ", ".join(f"{key}={_sql_value(value)}" for key, value in options.items())
    return f"read_csv({quote_literal(str(path))}, {rendered})"


def _sql_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_sql_value(item) for item in value) + "]"
    return quote_literal(str(value))


def _canonical_encoding(name: str, encoding: str) -> str:
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise SourceError(f"source {name!r}: unknown encoding {encoding!r}") from None
    return {"utf-8": "utf-8", "utf-16": "utf-16", "iso8859-1": "latin-1"}.get(codec, codec)


class _Utf8Validator:
    """Checks, chunk by chunk, whether a file is valid UTF-8; keeps a sample if not."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._failed_sample: bytes | None = None
        self._head: bytes | None = None

    def feed(self, chunk: bytes) -> None:
        if self._head is None:
            self._head = chunk[:4]
        if self._failed_sample is not None:
            return
        pending, _ = self._decoder.getstate()
        if not pending and chunk.isascii():
            return  # ASCII is valid UTF-8, and isascii() is much faster than decoding
        try:
            self._decoder.decode(chunk)
        except UnicodeDecodeError:
            self._failed_sample = chunk

    def verdict(self, name: str, path: Path) -> str:
        head = self._head or b""
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if self._failed_sample is None:
            return "utf-8"
        return _guess_legacy_encoding(name, path, self._failed_sample)


def _guess_legacy_encoding(name: str, path: Path, sample: bytes) -> str:
    """Guess the 8-bit encoding of text that is not UTF-8.

    Bytes alone cannot tell cp1252 from cp1250 or johab on a short sample, so the
    Western family (latin-1, cp1252) wins whenever the text reads plausibly in it,
    unless charset-normalizer finds another encoding clearly more coherent as a
    language (Cyrillic in cp1251, say). ``encoding:`` in the charter settles it.
    """
    from charset_normalizer import from_bytes

    if b"\x00" in sample:
        raise SourceError(
            f"source {name!r}: {path} looks binary, not text; check the path or the kind"
        )
    matches = from_bytes(sample)
    best = matches.best()
    western = next((match for match in matches if match.encoding in _WESTERN), None)
    plausible = _reads_as_western_text(sample)
    if best is not None and best.encoding not in _WESTERN:
        western_coherence = western.coherence if western is not None else 0.0
        if not plausible or best.coherence > western_coherence + _COHERENCE_MARGIN:
            return _canonical_encoding(name, best.encoding)
    # latin-1 and its superset cp1252 differ only on bytes 0x80-0x9f, which latin-1
    # spends on control characters; DuckDB reads latin-1 itself.
    return "cp1252" if any(0x80 <= byte <= 0x9F for byte in sample) else "latin-1"


def _reads_as_western_text(sample: bytes) -> bool:
    try:
        text = sample.decode("cp1252")
    except UnicodeDecodeError:
        return False
    unusual = [char for char in text if ord(char) > 127]
    readable = sum(char.isalpha() or char in _WESTERN_PUNCTUATION for char in unusual)
    return readable >= 0.9 * len(unusual)


def _transcode_to_utf8(name: str, path: Path, encoding: str, scratch: Path) -> Path:
    target = scratch / f"{name}.utf8.csv"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        with (
            path.open(encoding=encoding, newline="") as source,
            target.open("w", encoding="utf-8", newline="") as sink,
        ):
            while text := source.read(1 << 20):
                sink.write(text)
    except UnicodeDecodeError as error:
        raise SourceError(
            f"source {name!r}: {path} is not valid {encoding} "
            f"(byte 0x{error.object[error.start]:02x}); set `encoding:` to the file's encoding"
        ) from None
    return target


def _detect_decimal_mark(name: str, path: Path, options: dict) -> str:
    """``","`` when some text column holds only numbers written with a decimal comma.

    Only for files not delimited by commas: there a comma inside a value is quoted,
    and "1,5" is as likely a list as a number.
    """
    sniff_options = {**options, "all_varchar": True}
    sample = f"SELECT * FROM {_read_csv(path, sniff_options)} LIMIT {_DECIMAL_SAMPLE_ROWS}"
    try:
        with duckdb.connect() as connection:
            if "delim" not in options:
                sniffed = connection.execute(
                    f"SELECT Delimiter FROM sniff_csv({quote_literal(str(path))}, "
                    f"encoding={quote_literal(options['encoding'])})"
                ).fetchone()[0]
                if sniffed == ",":
                    return "."
            elif options["delim"] == ",":
                return "."
            columns = connection.execute(f"DESCRIBE {sample}").fetchall()
            checks = [_only_decimal_commas(column) for column, *_ in columns]
            flags = connection.execute(f"SELECT {', '.join(checks)} FROM ({sample})").fetchone()
    except duckdb.Error as error:
        raise SourceError(f"source {name!r}: cannot read {path}: {first_line(error)}") from None
    return "," if any(flags) else "."


def _only_decimal_commas(column: str) -> str:
    value = f"trim({quote_identifier(column)})"
    with_comma = quote_literal(r"[-+]?\d+,\d+")
    number = quote_literal(r"[-+]?\d+(,\d+)?")
    return (
        f"(count(*) FILTER (WHERE regexp_full_match({value}, {with_comma})) > 0 "
        f"AND count(*) FILTER (WHERE {value} <> '' "
        f"AND NOT regexp_full_match({value}, {number})) = 0)"
    )


def read_delimited(path: Path, name: str | None = None):
    """A delimited file as a DataFrame, read as ingest reads a CSV source.

    The encoding, the delimiter and the decimal mark are detected the same way
    (a French ``;``-separated file with decimal commas reads as numbers).

    Parameters
    ----------
    path : Path
    name : str or None
        How error messages name the file (its file name when None).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    SourceError
        Naming the file, when it cannot be read as delimited text.
    """
    import tempfile

    name = name or path.name
    # "Yes" and "No" stay text: a table scored against a schema must keep its categories
    types = ["BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "VARCHAR"]
    with tempfile.TemporaryDirectory(prefix="atelier-read-") as scratch:
        snapshot = snapshot_delimited(
            name,
            CsvSource(kind="csv", path=str(path)),
            path,
            Path(scratch),
            extra={"auto_type_candidates": types},
        )
        try:
            with duckdb.connect() as connection:
                return connection.execute(f"SELECT * FROM {snapshot.table_expression}").df()
        except duckdb.Error as error:
            raise SourceError(f"{name}: cannot read it as a table: {first_line(error)}") from None
