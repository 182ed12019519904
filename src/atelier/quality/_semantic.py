"""What a column *is*, beyond its storage type: the semantic type of the profile."""

import re

from atelier.quality._stats import ColumnStats

_IDENTIFIER_NAME = re.compile(r"(^|_)(id|ids|key|code|uuid|guid|ref|reference|number|no)$")
_BOOLEAN_WORDS = {"yes", "no", "true", "false", "y", "n", "t", "f", "oui", "non", "0", "1"}
_TEXT_MEAN_LENGTH = 40
NEAR_UNIQUE = 0.95


def semantic_type(column: ColumnStats, *, is_key: bool = False) -> str:
    """One of numeric, categorical, boolean, datetime, text, identifier, constant.

    ``is_key`` marks a column the charter declares as a key: an identifier even
    when duplicated rows keep it from being unique.
    """
    if column.non_null == 0 or column.distinct <= 1:
        return "constant"
    if column.family == "boolean":
        return "boolean"
    if column.family == "temporal":
        return "datetime"
    if column.distinct == 2 and _two_boolean_values(column):
        return "boolean"
    if is_key or _looks_like_identifier(column):
        return "identifier"
    if column.family == "number":
        return "numeric"
    if column.family == "text" and (column.mean_length or 0) >= _TEXT_MEAN_LENGTH:
        return "text"
    return "categorical"


def _two_boolean_values(column: ColumnStats) -> bool:
    if column.value_counts is None:
        return False
    values = {str(value).strip().lower() for value in column.value_counts}
    return values <= _BOOLEAN_WORDS


def _looks_like_identifier(column: ColumnStats) -> bool:
    """(Almost) unique, never missing, and named like a key or shaped like a code.

    "Almost": a few duplicated rows must not hide that a column identifies rows.
    """
    if column.family not in {"number", "text"} or column.distinct_is_approximate:
        return False
    near_unique = column.distinct >= NEAR_UNIQUE * column.rows and column.non_null == column.rows
    if not near_unique or column.rows < 20:
        return False
    named_like_key = bool(_IDENTIFIER_NAME.search(column.name.lower()))
    if column.family == "number":
        whole = column.minimum is not None and float(column.minimum).is_integer()
        return whole and named_like_key
    code_shaped = all(" " not in str(value) for value, _ in column.top_values)
    return (column.mean_length or 0) < _TEXT_MEAN_LENGTH and (named_like_key or code_shaped)
