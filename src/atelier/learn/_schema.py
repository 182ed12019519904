"""The input schema of a trained model: what each column of a request may hold."""

import math

import pandas as pd

MAX_CATEGORIES = 50  # a text column with more distinct values accepts any text
RANGE_MARGIN = 0.1  # the API accepts the training range widened by this share of its span


def input_schema(X: pd.DataFrame, imputed=(), text=()) -> dict:
    """Describe each input column as the training rows show it.

    Parameters
    ----------
    X : DataFrame
        The training features (the cleaned mart's: canonical spellings).
    imputed : iterable of str
        Columns the serving pipeline's cleaning step fills when missing: nullable
        even if no training row lacks them.
    text : iterable of str
        Free-text columns: ``string`` with ``text`` true, never a list of categories.

    Returns
    -------
    dict
        ``columns``: a list of ``name``, ``type`` (``number``, ``integer``,
        ``boolean``, ``datetime`` or ``string``), ``nullable`` (missing values were
        seen in training, or are imputed), and ``minimum``/``maximum`` (numbers and dates, the
        training range) or ``categories`` (text with at most ``MAX_CATEGORIES``
        values, most frequent first).

    Examples
    --------
    >>> frame = pd.DataFrame({"age": [30, None], "plan": ["A", "B"]})
    >>> [c["type"] for c in input_schema(frame)["columns"]]
    ['number', 'string']
    """
    columns = []
    for name in X.columns:
        values = X[name]
        present = values.dropna()
        column = {"name": str(name), "nullable": bool(values.isna().any() or name in imputed)}
        if pd.api.types.is_bool_dtype(values):
            column["type"] = "boolean"
        elif pd.api.types.is_integer_dtype(values):
            column |= {"type": "integer", **_range(present, int)}
        elif pd.api.types.is_numeric_dtype(values):
            column |= {"type": "number", **_range(present, float)}
        elif pd.api.types.is_datetime64_any_dtype(values):
            column |= {"type": "datetime", **_range(present, lambda v: v.isoformat())}
        elif name in text:
            column |= {"type": "string", "text": True}
        else:
            column["type"] = "string"
            counts = present.astype(str).value_counts()
            if len(counts) <= MAX_CATEGORIES:
                column["categories"] = [str(v) for v in counts.index]
        columns.append(column)
    return {"columns": columns}


def _range(present: pd.Series, convert) -> dict:
    if present.empty:
        return {}
    return {"minimum": convert(present.min()), "maximum": convert(present.max())}


def accepted_fields(schema: dict) -> list[dict]:
    """What the API accepts for each column of a training schema (``input_schema.json``).

    Examples
    --------
    >>> schema = {"columns": [{"name": "age", "type": "integer", "nullable": False,
    ...                        "minimum": 18, "maximum": 68}]}
    >>> accepted_fields(schema)
    [{'name': 'age', 'type': 'integer', 'required': True, 'minimum': 13, 'maximum': 73}]
    """
    return [_accepted(column) for column in schema["columns"]]


def _accepted(column: dict) -> dict:
    spec = {"name": column["name"], "type": column["type"], "required": not column["nullable"]}
    if column["type"] in ("number", "integer") and "minimum" in column:
        low, high = column["minimum"], column["maximum"]
        margin = RANGE_MARGIN * (high - low)
        low = max(low - margin, 0) if low >= 0 else low - margin
        high = high + margin
        if column["type"] == "integer":
            low, high = math.ceil(low), math.floor(high)
        spec |= {"minimum": low, "maximum": high}
    if "categories" in column:
        spec["categories"] = list(column["categories"])
    if column.get("text"):
        spec["text"] = True
    return spec
