"""Names of tables and columns as the warehouse spells them."""

import re
import unicodedata

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_WORD = re.compile(r"[^0-9a-zA-Z]+")


def snake_case(name: str) -> str:
    """Turn a column or table name into lower snake_case ASCII.

    ``"Monthly Charges (€)"`` becomes ``"monthly_charges"``, ``"customerID"``
    becomes ``"customer_id"`` and ``"Prénom"`` becomes ``"prenom"``. A name that
    starts with a digit gets a leading ``c_`` so that it stays a valid identifier.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = _NOT_WORD.sub("_", _CAMEL_BOUNDARY.sub("_", ascii_name)).strip("_").lower()
    words = re.sub(r"_+", "_", words) or "column"
    return f"c_{words}" if words[0].isdigit() else words


def quote_identifier(name: str) -> str:
    """Quote a name for use as a SQL identifier in DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Quote a string for use as a SQL literal in DuckDB."""
    return "'" + value.replace("'", "''") + "'"
