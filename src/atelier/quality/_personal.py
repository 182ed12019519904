"""Columns that hold personal data: declared in the charter, named so, or shaped so.

Values are checked on a sample with patterns and checksums (Luhn for card numbers,
mod 97 for IBANs, the NIR key for French social security numbers), the way
Presidio's recognizers do. Whatever the profile shows of such a column is masked.
"""

import re
from dataclasses import dataclass

from atelier._naming import quote_identifier

SAMPLE_SIZE = 1_000
MATCH_SHARE = 0.8  # share of sampled values that must match a pattern

_NAMES = re.compile(
    r"(^|_)(name|first_?name|last_?name|surname|full_?name|nom|prenom|email|e_?mail|mail|"
    r"phone|telephone|tel|mobile|gsm|address|adresse|street|rue|birth_?date|date_of_birth|"
    r"dob|ssn|nir|iban|passport|ip_?address)($|_)"
)
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
_PHONE = re.compile(r"^(\+\d{1,3}[ .-]?)?(\(0\)|0)?[1-9]([ .-]?\d{2}){4}$|^\+?\d[\d .-]{8,14}\d$")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
_CARD = re.compile(r"^\d{13,19}$")
_NIR = re.compile(r"^[12]\d{2}(0[1-9]|1[0-2]|[2-9]\d)(\d{2}|2[AB])\d{6}\d{2}$")
_IPV4 = re.compile(r"^(\d{1,3}\.){3}\d{1,3}$")


@dataclass(frozen=True)
class PersonalColumn:
    """A column found to hold personal data, and why."""

    name: str
    reason: str


def find_personal_columns(
    connection, relation: str, text_columns: list[str], declared: list[str]
) -> list[PersonalColumn]:
    """Columns holding personal data, by declaration, name, or value patterns."""
    found = [PersonalColumn(name, "declared in the charter") for name in declared]
    known = set(declared)
    for name in text_columns:
        if name in known:
            continue
        if _NAMES.search(name.lower()):
            found.append(PersonalColumn(name, "its name"))
            continue
        kind = _pattern_of(_sample(connection, relation, name))
        if kind:
            found.append(PersonalColumn(name, f"its values look like {kind}"))
    return found


def mask(value: object) -> str:
    """The shape of a value without its content: ``"Jo 06 12"`` becomes ``"Xx 99 99"``."""
    text = re.sub(r"\d", "9", str(value))
    text = re.sub(r"[^\W\d_]", lambda match: "X" if match.group().isupper() else "x", text)
    return text


def _sample(connection, relation: str, column: str) -> list[str]:
    name = quote_identifier(column)
    rows = connection.execute(
        f"SELECT CAST({name} AS VARCHAR) FROM {relation} WHERE {name} IS NOT NULL "
        f"LIMIT {SAMPLE_SIZE}"
    ).fetchall()
    return [row[0].strip() for row in rows if row[0] and row[0].strip()]


def _pattern_of(values: list[str]) -> str | None:
    if not values:
        return None
    checks = {
        "e-mail addresses": lambda v: bool(_EMAIL.match(v)),
        "phone numbers": lambda v: bool(_PHONE.match(v)) and sum(c.isdigit() for c in v) >= 9,
        "IBANs": lambda v: bool(_IBAN.match(v.replace(" ", ""))) and _iban_ok(v),
        "card numbers": lambda v: bool(_CARD.match(v.replace(" ", ""))) and _luhn_ok(v),
        "French social security numbers": lambda v: (
            bool(_NIR.match(v.replace(" ", ""))) and _nir_ok(v)
        ),
        "IP addresses": lambda v: bool(_IPV4.match(v)),
    }
    for kind, check in checks.items():
        if sum(check(value) for value in values) >= MATCH_SHARE * len(values):
            return kind
    return None


def _luhn_ok(value: str) -> bool:
    digits = [int(c) for c in value if c.isdigit()][::-1]
    total = sum(
        d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits)
    )
    return total % 10 == 0


def _iban_ok(value: str) -> bool:
    compact = value.replace(" ", "").upper()
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _nir_ok(value: str) -> bool:
    compact = value.replace(" ", "").upper().replace("2A", "19").replace("2B", "18")
    return 97 - int(compact[:13]) % 97 == int(compact[13:])
