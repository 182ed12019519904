"""The request model of a served model, generated from its training data.

Each input column of ``input_schema.json`` becomes a typed field: numbers and
integers bounded by the training range (widened by ``RANGE_MARGIN`` of its span,
never below zero for a column that was never negative), text columns limited to the
categories seen in training (any spelling that differs only by case, accents or
spacing is accepted as that category), required unless training saw or imputed
missing values. Unknown fields, NaN and infinity are refused. Validation runs in
pydantic-core, on the raw JSON bytes, and every error names the record and field.
"""

import io
from datetime import datetime
from typing import Annotated, Any, NotRequired, Required

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict

from atelier._values import is_missing
from atelier.learn._schema import accepted_fields
from atelier.quality._value_findings import normalised_spelling

MAX_RECORDS = 10_000
MAX_EXPLAINED = 100
MAX_ERRORS = 20  # problems reported per request
MAX_TEXT = 100_000  # characters of a free-text field (other strings: 1,000)
_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)


class RequestError(ValueError):
    """A request that does not match the model's input schema.

    Attributes
    ----------
    errors : list of dict
        One per problem: ``loc`` (as FastAPI writes it), ``record`` (0-based, or
        None for the body as a whole), ``field``, ``msg`` and ``type``.
    """

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__(errors[0]["msg"] if errors else "invalid request")

    @classmethod
    def from_validation(cls, error: ValidationError, root: str, limit: int = MAX_ERRORS):
        """Turn pydantic's errors into ones that name the record and field."""
        found = []
        for item in error.errors(include_url=False, include_input=False)[:limit]:
            loc = list(item["loc"])
            rest = loc[1:] if loc[:1] == ["records"] else loc
            record = rest[0] if rest and isinstance(rest[0], int) else None
            field = rest[1] if record is not None and len(rest) > 1 else None
            if record is not None and field is not None:
                where = f"record {record}, field {field!r}"
            elif record is not None:
                where = f"record {record}"
            else:
                where = ".".join(str(part) for part in loc) or root
            found.append(
                {
                    "loc": [root, *loc],
                    "record": record,
                    "field": field,
                    "msg": f"{where}: {item['msg']}",
                    "type": item["type"],
                }
            )
        return cls(found)


class RequestModel:
    """Validate prediction requests against a model's input schema.

    Parameters
    ----------
    schema : dict
        The ``input_schema.json`` written by the train stage.
    max_records : int, default=MAX_RECORDS
        The most records one request may hold.

    Attributes
    ----------
    columns : list of str
        The input columns, in training order.
    fields : list of dict
        What each field accepts (``type``, ``required``, ``minimum``/``maximum`` or
        ``categories``): the schema a client reads in ``GET /v1/model``.
    """

    def __init__(self, schema: dict, max_records: int = MAX_RECORDS):
        self.columns = [column["name"] for column in schema["columns"]]
        self.fields = accepted_fields(schema)
        self._canonical = {
            spec["name"]: {normalised_spelling(c): c for c in spec["categories"]}
            for spec in self.fields
            if "categories" in spec
        }
        record = _record_type(self.fields)
        self.record_adapter = TypeAdapter(list[record])
        self.body_adapters = {
            limit: TypeAdapter(_body_type(record, limit))
            for limit in sorted({max_records, MAX_EXPLAINED})
        }
        self.max_records = max_records

    def json_schema(self, limit: int | None = None) -> dict:
        """The JSON schema of a request body of at most ``limit`` records, self-contained.

        The record's definition is written in place rather than under ``$defs``:
        inside an OpenAPI document, ``#/$defs/...`` would point at the document's
        root, where there is no such thing.
        """
        schema = self.body_adapters[limit or self.max_records].json_schema()
        definitions = schema.pop("$defs", {})

        def inline(node):
            if isinstance(node, dict):
                if "$ref" in node:
                    return inline(definitions[node["$ref"].rsplit("/", 1)[-1]])
                return {key: inline(value) for key, value in node.items()}
            if isinstance(node, list):
                return [inline(item) for item in node]
            return node

        return inline(schema)

    def parse_json(self, body: bytes, limit: int | None = None) -> pd.DataFrame:
        """The records of a JSON body ``{"records": [...]}`` as a frame.

        Raises
        ------
        RequestError
            Naming the record and field of each problem.
        """
        return self.to_frame(self.json_columns(body, limit))

    def json_columns(self, body: bytes, limit: int | None = None) -> dict[str, list]:
        """The validated values of a JSON body, column by column (categories canonical).

        Raises
        ------
        RequestError
            Naming the record and field of each problem.
        """
        try:
            document = self.body_adapters[limit or self.max_records].validate_json(body)
        except ValidationError as error:
            raise RequestError.from_validation(error, "body") from None
        return self.records_to_columns(document["records"], "body")

    def to_frame(self, columns: dict[str, list]) -> pd.DataFrame:
        """The model's input frame from validated columns (see :meth:`json_columns`)."""
        return pd.DataFrame(
            {spec["name"]: _array(columns[spec["name"]], spec["type"]) for spec in self.fields},
            copy=False,
        )

    def parse_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Validate the rows of an uploaded table (CSV or Parquet) like JSON records.

        Raises
        ------
        RequestError
            When a column is unknown or missing, or a value is out of its domain.
        """
        if frame.empty:
            raise RequestError([body_error("the file has no rows")])
        unknown = [str(c) for c in frame.columns if c not in self.columns]
        if unknown:
            raise RequestError(
                [body_error(f"unknown column(s) {unknown}; expected {self.columns}")]
            )
        records = [
            {key: value for key, value in row.items() if not is_missing(value)}
            for row in frame.astype(object).to_dict("records")
        ]
        try:
            checked = self.record_adapter.validate_python(records)
        except ValidationError as error:
            raise RequestError.from_validation(error, "file") from None
        return self.to_frame(self.records_to_columns(checked, "file"))

    def records_to_columns(self, records: list[dict], root: str) -> dict[str, list]:
        """Validated records as columns, their categories canonical (see below)."""
        columns = {name: [record.get(name) for record in records] for name in self.columns}
        return self.canonical_columns(columns, root)

    def canonical_columns(self, columns: dict[str, list], root: str) -> dict[str, list]:
        """``columns`` with each category spelled as in training (looked up once per value).

        Raises
        ------
        RequestError
            Naming the record and field of a value that is no category.
        """
        errors = []
        for name, canonical in self._canonical.items():
            values = columns[name]
            # each distinct value looked up once; the rows scanned only to rename or refuse
            spelled = {
                value: canonical.get(normalised_spelling(value))
                for value in distinct_values(values)
                if value is not None
            }
            unknown = {value for value, category in spelled.items() if category is None}
            if unknown:
                rows = np.flatnonzero(rows_holding(values, unknown))
                errors += [
                    _field_error(root, int(row), name, canonical.values())
                    for row in rows[: max(MAX_ERRORS - len(errors), 0)]
                ]
            renamed = {
                value: category
                for value, category in spelled.items()
                if category is not None and category != value
            }
            if renamed:
                columns[name] = _renamed(values, renamed)
        if errors:
            raise RequestError(errors)
        return columns


def distinct_values(values) -> set:
    """The distinct values of a column of text: a list, or an Arrow array (nulls: None)."""
    if isinstance(values, pa.Array):
        return set(pc.unique(values).to_pylist())
    return set(values)


def rows_holding(values, chosen: set) -> np.ndarray:
    """Which rows of a column of text (list or Arrow array) hold one of ``chosen``."""
    if isinstance(values, pa.Array):
        texts = pa.array([value for value in chosen if value is not None], type=values.type)
        found = pc.is_in(values, value_set=texts)  # a null row: False
        if None in chosen:
            found = pc.or_(found, values.is_null())
        return found.to_numpy(zero_copy_only=False)
    return np.fromiter((value in chosen for value in values), dtype=bool, count=len(values))


def _renamed(values, renamed: dict):
    if isinstance(values, pa.Array):
        old = pa.array(list(renamed), type=values.type)
        position = pc.index_in(values, value_set=old)
        new = pc.take(pa.array(list(renamed.values()), type=values.type), position)
        return pc.if_else(position.is_null(), values, new)
    return [renamed.get(value, value) for value in values]


def _array(values, kind: str):
    """A column as the model's frame wants it, without pandas inferring its type.

    A numpy array comes typed already, and text may come as an Arrow array (see
    :mod:`atelier.serve._columns`).
    """
    if isinstance(values, np.ndarray):
        return values
    if isinstance(values, pa.Array):
        return pd.array(values, dtype="str")
    if kind == "number" or (kind == "integer" and None in values):
        return np.array(values, dtype="float64")
    if kind == "integer":
        return np.array(values, dtype="int64")
    if kind == "string":  # through Arrow: half the time of pandas reading the list
        return pd.array(pa.array(values, type=pa.large_string()), dtype="str")
    return values


def _field_error(root: str, record: int, field: str, categories) -> dict:
    expected = " or ".join(repr(c) for c in categories)
    return {
        "loc": [root, *(["records"] if root == "body" else []), record, field],
        "record": record,
        "field": field,
        "msg": f"record {record}, field {field!r}: Input should be {expected}",
        "type": "literal_error",
    }


def body_error(message: str) -> dict:
    """A problem of the body as a whole (no record, no field), as :class:`RequestError` holds."""
    return {"loc": ["body"], "record": None, "field": None, "msg": message, "type": "value_error"}


def read_table(filename: str, content: bytes) -> pd.DataFrame:
    """An uploaded CSV or Parquet file (told apart by its name's extension) as a frame.

    A CSV is read as ingest reads one: encoding, delimiter and decimal mark
    detected, so that a French export (``;``, decimal commas, latin-1) reads right.

    Raises
    ------
    ValueError
        Naming the file, when it is neither, or cannot be read as what it claims.
    """
    name = filename.lower()
    try:
        if name.endswith(".parquet"):
            return pd.read_parquet(io.BytesIO(content))
        if name.endswith(".csv"):
            return _read_csv_upload(filename, content)
    except Exception as error:  # any reader's failure is the upload's: say it, in one line
        message = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise ValueError(f"{filename}: not a readable table ({message})") from None
    raise ValueError(f"{filename or 'the file'}: expected a .csv or .parquet file")


def _read_csv_upload(filename: str, content: bytes) -> pd.DataFrame:
    import tempfile
    from pathlib import Path

    from atelier.sources import read_delimited

    with tempfile.TemporaryDirectory(prefix="atelier-upload-") as folder:
        path = Path(folder) / "upload.csv"
        path.write_bytes(content)
        return read_delimited(path, name=filename)


def _record_type(fields: list[dict]) -> type:
    annotations = {}
    for spec in fields:
        kind = _field_type(spec)
        if spec["required"]:
            annotations[spec["name"]] = Required[kind]
        else:
            annotations[spec["name"]] = NotRequired[kind | None]
    record = TypedDict("Record", annotations)  # type: ignore[misc]
    return with_config(_STRICT)(record)


def _body_type(record: type, limit: int) -> type:
    records = Annotated[list[record], Field(min_length=1, max_length=limit)]  # type: ignore[valid-type]
    body = TypedDict("PredictRequest", {"records": records})  # noqa: UP013 (built at run time)
    return with_config(_STRICT)(body)


def _field_type(spec: dict) -> Any:
    bounds = {k: spec[k] for k in ("minimum", "maximum") if k in spec}
    constraints = Field(ge=bounds.get("minimum"), le=bounds.get("maximum"))
    if spec["type"] == "integer":
        return Annotated[int, constraints]
    if spec["type"] == "number":
        return Annotated[float, constraints]
    if spec["type"] == "boolean":
        return bool
    if spec["type"] == "datetime":
        return datetime
    if "categories" in spec:
        # The categories are checked on the frame, once per distinct value (see
        # RequestModel._columns); the schema still lists them for clients.
        return Annotated[
            str, Field(max_length=1_000, json_schema_extra={"enum": spec["categories"]})
        ]
    return Annotated[str, Field(max_length=MAX_TEXT if spec.get("text") else 1_000)]
