"""Columnar request bodies (JSON columns, Apache Arrow IPC streams) and Arrow answers.

A batch of rows may arrive as columns, ``{"columns": {"tenure": [...], ...}}``, or
as an Arrow stream (``application/vnd.apache.arrow.stream``). Each column is then
checked whole, with numpy: its values' types, its missing values, the training
range, the length of its strings; categories once per distinct value. Only what
fails goes through the record model of :mod:`atelier.serve._request`: every row
with a problem (so that the 422 names the record and field with the very message
a body of records gets), or every row when a column is not plainly of its field's
type (strings in a number column, dates), so that the rules are the same.
"""

import numpy as np
import orjson
from pydantic import ValidationError

from atelier.serve._request import (
    MAX_ERRORS,
    MAX_TEXT,
    RequestError,
    RequestModel,
    body_error,
    distinct_values,
    rows_holding,
)

ARROW_STREAM = "application/vnd.apache.arrow.stream"
_PLAIN_TYPES = {
    "number": {int, float},
    "integer": {int},
    "boolean": {bool},
    "string": {str},
}


def json_columns(model: RequestModel, body: bytes) -> dict:
    """The validated columns of a JSON body ``{"columns": {field: [values]}}``.

    Raises
    ------
    RequestError
        Naming the record and field of each problem, as for a body of records.
    """
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise RequestError([body_error(f"Invalid JSON: {error}")]) from None
    if not (isinstance(document, dict) and list(document) == ["columns"]):
        raise RequestError([body_error('expected {"columns": {"field": [values, ...]}}')])
    columns = document["columns"]
    if not isinstance(columns, dict) or not columns:
        raise RequestError([body_error("columns: expected an object of lists, one per field")])
    for name, values in columns.items():
        if not isinstance(values, list):
            raise RequestError([body_error(f"columns.{name}: expected a list of values")])
    return checked_columns(model, {name: _ListColumn(values) for name, values in columns.items()})


def arrow_columns(model: RequestModel, body: bytes) -> dict:
    """The validated columns of an Arrow IPC stream.

    Raises
    ------
    RequestError
        When the body is not an Arrow stream, or for each problem of a row.
    """
    import pyarrow as pa

    try:
        table = pa.ipc.open_stream(body).read_all()
    except (pa.ArrowInvalid, OSError) as error:
        reason = str(error).splitlines()[0][:200]
        raise RequestError([body_error(f"not an Arrow IPC stream ({reason})")]) from None
    if table.num_columns == 0:
        raise RequestError([body_error("the Arrow stream has no column")])
    return checked_columns(
        model, {name: _ArrowColumn(table.column(name)) for name in table.column_names}
    )


def arrow_answer(columns: dict[str, list], model: dict, threshold: float | None) -> bytes:
    """Predictions as an Arrow IPC stream: one column per answer, one row per record.

    The model (``name``, ``version``) and the threshold are in the schema's metadata,
    as JSON, where a JSON answer has them at its top level. A multiclass model's
    ``probability`` is a struct of one field per class.
    """
    import pyarrow as pa

    table = pa.table({name: pa.array(values) for name, values in columns.items()})
    table = table.replace_schema_metadata(
        {"model": orjson.dumps(model), "threshold": orjson.dumps(threshold)}
    )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def wants_arrow(accept: str) -> bool:
    """Whether an ``Accept`` header prefers an Arrow stream to JSON (by its ``q`` weights).

    >>> wants_arrow("application/vnd.apache.arrow.stream, application/json;q=0.5")
    True
    >>> wants_arrow("application/json, application/vnd.apache.arrow.stream;q=0.5")
    False
    >>> wants_arrow("*/*")
    False
    """
    weights = {}
    for media in accept.split(","):
        kind, *parameters = (part.strip().lower() for part in media.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights.setdefault(kind, weight)
    arrow = weights.get(ARROW_STREAM, 0.0)
    json = max(weights.get(kind, 0.0) for kind in ("application/json", "application/*", "*/*"))
    return arrow > 0 and arrow >= json  # named as well as JSON: the client reads Arrow


def columns_schema(model: RequestModel) -> dict:
    """The JSON schema of a body of columns: each field's list of values, as many each.

    >>> from atelier.serve._request import RequestModel
    >>> schema = {"columns": [{"name": "age", "type": "integer", "minimum": 0,
    ...     "maximum": 99, "nullable": False}]}
    >>> columns_schema(RequestModel(schema))["properties"]["columns"]["required"]
    ['age']
    """
    records = model.json_schema()["properties"]["records"]
    record = records["items"]
    fields = {
        name: {"type": "array", "items": field, "minItems": 1, "maxItems": records["maxItems"]}
        for name, field in record["properties"].items()
    }
    return {
        "type": "object",
        "title": "PredictColumns",
        "properties": {
            "columns": {
                "type": "object",
                "properties": fields,
                "required": record.get("required", []),
                "additionalProperties": False,
            }
        },
        "required": ["columns"],
        "additionalProperties": False,
    }


def checked_columns(model: RequestModel, columns: dict) -> dict:
    """Validate ``columns`` (name to column) against ``model``; return the model's columns.

    Raises
    ------
    RequestError
        Each problem located as ``["body", "columns", field, row]``.
    """
    try:
        return _checked_columns(model, columns)
    except RequestError as error:
        raise RequestError([_in_columns(problem) for problem in error.errors]) from None


def _in_columns(problem: dict) -> dict:
    if problem["record"] is None or problem["field"] is None:
        return problem
    return {**problem, "loc": ["body", "columns", problem["field"], problem["record"]]}


def _checked_columns(model: RequestModel, columns: dict) -> dict:
    lengths = {name: len(column) for name, column in columns.items()}
    n_rows = next(iter(lengths.values()))
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name} {length}" for name, length in lengths.items())
        raise RequestError([body_error(f"columns: every column needs as many values ({shown})")])
    if not 1 <= n_rows <= model.max_records:
        raise RequestError(
            [body_error(f"columns: 1 to at most {model.max_records} rows, got {n_rows}")]
        )
    if any(name not in model.columns for name in columns):
        return _as_records(model, columns, n_rows)  # unknown fields: the record model says so
    checked, flagged = {}, np.zeros(n_rows, dtype=bool)
    for spec in model.fields:
        column = columns.get(spec["name"])
        if column is None:
            if spec["required"]:
                return _as_records(model, columns, n_rows)  # "Field required", per record
            checked[spec["name"]] = [None] * n_rows
            continue
        values = column.plain(spec)
        if values is None:
            return _as_records(model, columns, n_rows)
        checked[spec["name"]], bad = _checked(spec, values)
        flagged |= bad
    if flagged.any():
        _raise_for_rows(model, columns, np.flatnonzero(flagged)[:MAX_ERRORS])
        return _as_records(model, columns, n_rows)  # the record model saw no problem
    return model.canonical_columns(checked, "body")


class _ListColumn:
    """A column of JSON values (Python objects)."""

    def __init__(self, values: list):
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def at(self, row: int):
        return self.values[row]

    def plain(self, spec: dict):
        """The values as a numpy array or list, or None when not plainly of the field's type."""
        allowed = _PLAIN_TYPES.get(spec["type"])
        if allowed is None or not set(map(type, self.values)) <= allowed | {type(None)}:
            return None
        if spec["type"] in ("number", "integer"):
            return np.array(self.values, dtype=np.float64)  # None: NaN
        return self.values


class _ArrowColumn:
    """A column of an Arrow table."""

    def __init__(self, column):
        self.column = column

    def __len__(self) -> int:
        return len(self.column)

    def at(self, row: int):
        return self.column[row].as_py()

    def plain(self, spec: dict):
        import pyarrow as pa
        import pyarrow.compute as pc

        kind = self.column.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if spec["type"] == "number" and (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            return self.column.to_numpy().astype(np.float64, copy=False)  # nulls: NaN
        if spec["type"] == "integer" and pa.types.is_integer(kind):
            return self.column.cast(pa.float64()).to_numpy()
        if spec["type"] == "boolean" and pa.types.is_boolean(kind):
            return self.column.to_pylist()
        text = pa.types.is_string(kind) or pa.types.is_large_string(kind)
        if spec["type"] == "string" and text:  # stays Arrow, as the model's frame holds it
            return pc.cast(self.column, pa.large_string()).combine_chunks()
        return None


def _checked(spec: dict, values) -> tuple:
    """The column as the model's frame takes it, and which rows break the field's rules."""
    if isinstance(values, np.ndarray):
        missing = np.isnan(values)
        present = values[~missing]
        bad = np.zeros(len(values), dtype=bool)
        broken = ~np.isfinite(present)
        if "minimum" in spec:
            broken |= present < spec["minimum"]
        if "maximum" in spec:
            broken |= present > spec["maximum"]
        if spec["type"] == "integer":
            broken |= present != np.round(present)  # Arrow integers are whole; JSON ints too
        bad[~missing] = broken
        if spec["required"]:
            bad |= missing
        if spec["type"] == "integer" and not missing.any():
            values = values.astype(np.int64)
        return values, bad
    # a column of text or booleans holds few distinct values: each is checked once, and
    # the rows are scanned only for a value that breaks a rule
    distinct = distinct_values(values)
    broken = {None} if spec["required"] and None in distinct else set()
    if spec["type"] == "string":
        limit = MAX_TEXT if spec.get("text") else 1_000
        broken |= {value for value in distinct if value is not None and len(value) > limit}
    if broken:
        return values, rows_holding(values, broken)
    return values, np.zeros(len(values), dtype=bool)


def _record(columns: dict, row: int) -> dict:
    return {name: column.at(row) for name, column in columns.items()}


def _raise_for_rows(model: RequestModel, columns: dict, rows) -> None:
    """Raise the record model's errors for ``rows``, numbered as in the request."""
    errors = []
    for row in rows:
        try:
            model.record_adapter.validate_python([_record(columns, int(row))])
        except ValidationError as error:
            for problem in RequestError.from_validation(error, "body").errors:
                errors.append(_renumbered(problem, int(row)))
    if errors:
        raise RequestError(errors[:MAX_ERRORS])


def _renumbered(problem: dict, row: int) -> dict:
    """A problem of a record validated alone, numbered as the request's row ``row``."""
    field = problem["field"]
    message = problem["msg"].split(": ", 1)[1]
    where = f"record {row}" + (f", field {field!r}" if field is not None else "")
    return {**problem, "record": row, "msg": f"{where}: {message}"}


def _as_records(model: RequestModel, columns: dict, n_rows: int) -> dict:
    """Every row through the record model: its rules and its messages, exactly."""
    records = [_record(columns, row) for row in range(n_rows)]
    try:
        validated = model.record_adapter.validate_python(records)
    except ValidationError as error:
        raise RequestError.from_validation(error, "body") from None
    return model.records_to_columns(validated, "body")
