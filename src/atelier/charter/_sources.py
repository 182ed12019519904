"""How the charter declares a data source: one model per kind, told apart by ``kind``."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from atelier._naming import snake_case
from atelier.charter._privacy import Retention


class ColumnSpec(BaseModel):
    """What a column of a source is, when its values alone do not say it.

    ``role: text`` marks free text (reviews, messages, articles): the models read its
    words (TF-IDF for the classical ones, token embeddings for the network), and the
    profile reports empty or duplicated texts and their language.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["text"]
    language: Literal["en", "fr"] | None = Field(
        None, description="The texts' language; detected from their words when not given."
    )


class _SourceBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    system: str = Field("", description="The company's system it comes from (CRM, billing...).")
    owner: str | None = Field(None, description="Who answers for the system and its data.")
    refresh: str | None = Field(None, description="How often it changes: daily, monthly...")
    key: list[str] = Field(
        default_factory=list,
        description="Column(s) identifying one row; drawn as the primary key.",
    )
    personal_data: list[str] = Field(
        default_factory=list,
        description="Columns holding personal data; never used as model features.",
    )
    retention: Retention | None = Field(
        None, description="How long rows are kept; older ones are purged at each ingest."
    )
    columns: dict[str, ColumnSpec] = Field(
        default_factory=dict, description="Columns whose role their values do not say (text)."
    )
    partition_by: list[str] = Field(
        default_factory=list,
        description="Columns the lake partitions the source by, Hive-style (engine: spark).",
    )

    @model_validator(mode="before")
    @classmethod
    def _key_as_list(cls, data):
        if isinstance(data, dict) and isinstance(data.get("key"), str):
            data = {**data, "key": [data["key"]]}
        return data


class CsvSource(_SourceBase):
    """A delimited text file (CSV, TSV, or any single-character delimiter)."""

    kind: Literal["csv", "tsv"]
    path: str
    delimiter: str | None = Field(None, min_length=1, max_length=1)
    decimal: Literal[".", ","] | None = None
    encoding: str | None = None
    header: bool = True


class JsonSource(_SourceBase):
    """A JSON file holding an array of records, or JSON lines (one record per line)."""

    kind: Literal["json"]
    path: str
    format: Literal["auto", "array", "lines"] = "auto"


class ParquetSource(_SourceBase):
    """A Parquet file."""

    kind: Literal["parquet"]
    path: str


class ExcelSource(_SourceBase):
    """One sheet of an Excel workbook (``.xlsx``)."""

    kind: Literal["excel"]
    path: str
    sheet: str | int = 0


class _TableOrQuery(_SourceBase):
    table: str | None = None
    query: str | None = None

    @model_validator(mode="after")
    def _exactly_one_of_table_and_query(self):
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of 'table' and 'query'")
        return self


class SqliteSource(_TableOrQuery):
    """A table or query of a SQLite database file."""

    kind: Literal["sqlite"]
    path: str


class SqlSource(_TableOrQuery):
    """A table or query of a database server reached through SQLAlchemy.

    ``url`` is a SQLAlchemy URL such as ``postgresql+psycopg://user@host/db``. Put
    passwords in the environment and refer to them as ``${VARIABLE}``.
    """

    kind: Literal["sql"]
    url: str


class PagePagination(BaseModel):
    """Pages asked for by number: ``?page=1``, ``?page=2``... until an empty page."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    style: Literal["page"]
    param: str = "page"
    start: int = 1
    size_param: str | None = None
    size: int | None = Field(None, gt=0)


class NextLinkPagination(BaseModel):
    """Each answer names the next page's URL in a field (``next``), null on the last."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    style: Literal["next_link"]
    next: str = "next"


class HttpSource(_SourceBase):
    """Records from an HTTP JSON API, following its pagination."""

    kind: Literal["http"]
    url: str
    records: str | None = Field(
        None, description="Dotted path to the list of records in each answer, e.g. 'data.items'."
    )
    pagination: (
        Annotated[PagePagination | NextLinkPagination, Field(discriminator="style")] | None
    ) = None
    headers: dict[str, str] = Field(default_factory=dict)
    max_pages: int = Field(10_000, gt=0)


class IdxFiles(BaseModel):
    """A pair of IDX files (MNIST's format): the images and their labels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    images: str
    labels: str


class ImagesSource(_SourceBase):
    """Labelled images (PNG or JPEG), one row per image.

    Give exactly one of ``path`` (a folder with one subfolder per label), ``index``
    (a CSV file with the columns ``path`` and ``label``, paths relative to it) and
    ``idx`` (IDX files). The warehouse records each image's item, label, hash, size,
    format, dimensions and channels, and what is wrong with it (``problem``).
    """

    kind: Literal["images"]
    path: str | None = None
    index: str | None = None
    idx: IdxFiles | None = None
    label_names: list[str] | None = Field(
        None, min_length=2, description="The name of each label code of IDX files, in order."
    )

    @model_validator(mode="after")
    def _exactly_one_layout(self):
        given = [name for name in ("path", "index", "idx") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of 'path' (one subfolder per label), 'index' (a CSV of "
                f"path and label) and 'idx' (IDX files); got {given or 'none'}"
            )
        return self


class AudioSource(_SourceBase):
    """Labelled sounds (PCM WAV files), one row per recording.

    Give exactly one of ``path`` (a folder with one subfolder per label) and
    ``index`` (a CSV file with the columns ``path`` and ``label``, paths relative to
    it). The warehouse records each file's item, label, hash, size, sample rate,
    channels, duration, peak and RMS level, share of clipped samples, and what is
    wrong with it (``problem``).
    """

    kind: Literal["audio"]
    path: str | None = None
    index: str | None = None

    @model_validator(mode="after")
    def _exactly_one_layout(self):
        if (self.path is None) == (self.index is None):
            raise ValueError(
                "give exactly one of 'path' (one subfolder per label) and 'index' (a CSV of "
                "path and label)"
            )
        return self


SourceSpec = Annotated[
    CsvSource
    | JsonSource
    | ParquetSource
    | ExcelSource
    | SqliteSource
    | SqlSource
    | HttpSource
    | ImagesSource
    | AudioSource,
    Field(discriminator="kind"),
]
FILE_SOURCE_TYPES = (CsvSource, JsonSource, ParquetSource, ExcelSource, SqliteSource)
MEDIA_SOURCE_TYPES = (ImagesSource, AudioSource)


def text_columns(charter) -> dict[str, ColumnSpec]:
    """The text columns the charter declares, by their name in the warehouse."""
    return {
        snake_case(name): column
        for spec in charter.sources.values()
        for name, column in spec.columns.items()
        if column.role == "text"
    }


def is_media_source(spec) -> bool:
    """Whether a source's rows are files (images, sounds) rather than records."""
    return isinstance(spec, MEDIA_SOURCE_TYPES)
