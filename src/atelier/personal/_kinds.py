"""What each kind of personal data looks like: a cheap shape test, then a validation.

Checksums come from ``python-stdnum`` (IBAN mod 97, NIR key, SIREN/SIRET Luhn with
La Poste's exception, Luhn for cards) and phone numbers from ``phonenumbers``
(Google's libphonenumber), so a value is counted only when a real issuer could have
produced it. Person names are left to :mod:`atelier.personal._names` (spaCy).
"""

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from stdnum import iban, luhn
from stdnum.fr import nir, siren, siret

_EMAIL = re.compile(r"^[\w.+'-]+@[\w-]+(\.[\w-]+)*\.[A-Za-z]{2,}$")
_EMAIL_IN_TEXT = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_PHONE_SHAPE = re.compile(r"^\+?[\d\s().-]{8,22}$")
_PHONE_IN_TEXT = re.compile(r"(?:\+\d{2}\s?(?:\(0\)\s?)?|0)[1-9](?:[\s.-]?\d{2}){4}")
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9 ]{11,40}$")
_IBAN_IN_TEXT = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_DIGITS = re.compile(r"^[\d\s.-]+$")
_NIR_SHAPE = re.compile(r"^[12]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}\s?\d{2}$", re.I)
_NIR_IN_TEXT = re.compile(r"\b[12]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}\s?\d{2}\b")
_POSTAL = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-5]|97[1-6]|98[4-9])\d{3}$")
_STREET = re.compile(
    r"^\d{1,4}\s?(?:bis|ter|[a-d])?,?\s+(?:rue|avenue|av\.?|boulevard|bd|chemin|allée|allee|"
    r"place|impasse|route|quai|cours|square|passage|rond-point|voie|sentier|"
    r"street|st\.?|road|rd\.?|lane|drive|way)\b",
    re.I,
)
_STREET_WORDS = re.compile(
    r"^(?:rue|avenue|boulevard|chemin|allée|allee|place|impasse|route|quai|cours|square|"
    r"passage|rond-point|voie)\s",
    re.I,
)
# Card networks' prefixes and the lengths their numbers have (Visa, Mastercard, Amex,
# Diners, Discover/UnionPay, JCB); a 14-digit SIRET rarely passes for a card.
_CARD_LENGTHS = (
    (re.compile(r"^4"), (13, 16, 19)),
    (re.compile(r"^(?:5[1-5]|2[2-7])"), (16,)),
    (re.compile(r"^3[47]"), (15,)),
    (re.compile(r"^3[0689]"), (14, 16)),
    (re.compile(r"^(?:6011|65|64[4-9]|62|35)"), (16, 17, 18, 19)),
)

# Kinds whose checksum or syntax is specific enough for the values to decide alone.
CHECKED_KINDS = ("email", "phone", "iban", "nir", "card", "siret", "siren", "ip_address")
# Kinds a value shape suggests but cannot prove: the column's name must agree.
HINTED_KINDS = ("postal_code", "birth_date")


@dataclass(frozen=True)
class Kind:
    """A kind of personal data and how one value is recognised.

    Attributes
    ----------
    name : str
        Its identifier in findings and the policy.
    rule : str
        The rule that fires, as the findings quote it.
    accepts : callable
        ``accepts(text) -> bool`` for one value written as text.
    possible : bool
        The kind identifies companies too (SIREN, SIRET): "possible personal data".
    """

    name: str
    rule: str
    accepts: Callable[[str], bool]
    possible: bool = False


def _compact(text: str) -> str:
    return re.sub(r"[\s.-]", "", text)


def is_email(text: str) -> bool:
    """An address with a local part, a domain and a top-level domain."""
    return len(text) <= 254 and bool(_EMAIL.match(text))


def is_phone(text: str) -> bool:
    """A number ``phonenumbers`` says is valid, read as French unless it says +CC.

    It must start as a dialled number does (0, 00 or +): nine bare digits are more
    often a SIREN or an order number than a French number without its 0.
    """
    if not _PHONE_SHAPE.match(text) or text.lstrip("(")[:1] not in ("0", "+"):
        return False
    if sum(c.isdigit() for c in text) < 9:
        return False
    import phonenumbers

    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def is_iban(text: str) -> bool:
    """An IBAN whose country length and mod-97 check digits are right."""
    return bool(_IBAN_SHAPE.match(text.upper())) and iban.is_valid(text)


def is_nir(text: str) -> bool:
    """A French social security number (NIR) with its key; Corsica's 2A/2B included."""
    return bool(_NIR_SHAPE.match(text)) and nir.is_valid(text)


def is_card(text: str) -> bool:
    """13 to 19 digits with a card network's prefix and a right Luhn digit."""
    if not _DIGITS.match(text):
        return False
    digits = _compact(text)
    lengths = next((sizes for prefix, sizes in _CARD_LENGTHS if prefix.match(digits)), ())
    return len(digits) in lengths and luhn.is_valid(digits)


def is_siret(text: str) -> bool:
    """A SIRET: 14 digits, Luhn (La Poste's establishments by their own rule)."""
    return bool(_DIGITS.match(text)) and len(_compact(text)) == 14 and siret.is_valid(text)


def is_siren(text: str) -> bool:
    """A SIREN: 9 digits with a right Luhn digit."""
    return bool(_DIGITS.match(text)) and len(_compact(text)) == 9 and siren.is_valid(text)


def is_ip_address(text: str) -> bool:
    """An IPv4 or IPv6 address."""
    if not 7 <= len(text) <= 45 or not (":" in text or text.count(".") == 3):
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def is_postal_code(text: str) -> bool:
    """Five digits starting with a French department (overseas included)."""
    return bool(_POSTAL.match(text))


def is_street_address(text: str) -> bool:
    """A number then a kind of street, or a kind of street then a name."""
    return bool(_STREET.match(text) or _STREET_WORDS.match(text))


def is_birth_date(text: str, today: date | None = None) -> bool:
    """A date between 120 years and one year ago."""
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        return False
    today = today or date.today()
    return today.year - 120 <= day.year and day < today.replace(year=today.year - 1)


KINDS = {
    kind.name: kind
    for kind in (
        Kind("email", "e-mail syntax", is_email),
        Kind("iban", "IBAN mod 97 (python-stdnum)", is_iban),
        Kind("nir", "NIR key (python-stdnum)", is_nir),
        Kind("card", "card prefix and Luhn (python-stdnum)", is_card),
        Kind("siret", "SIRET Luhn (python-stdnum)", is_siret, possible=True),
        Kind("siren", "SIREN Luhn (python-stdnum)", is_siren, possible=True),
        Kind("phone", "valid number (phonenumbers, FR or E.164)", is_phone),
        Kind("ip_address", "IPv4/IPv6 syntax", is_ip_address),
        Kind("postal_code", "French postal code and a column name that says so", is_postal_code),
        Kind("birth_date", "past date of birth and a column name that says so", is_birth_date),
        Kind("street_address", "a number and a kind of street", is_street_address),
    )
}


def identifiers_in_text(text: str) -> set[str]:
    """The checked kinds found inside a free text (e-mails, phones, IBANs, NIRs)."""
    found = set()
    if "@" in text and any(is_email(m) for m in _EMAIL_IN_TEXT.findall(text)):
        found.add("email")
    if any(is_phone(m) for m in _PHONE_IN_TEXT.findall(text)):
        found.add("phone")
    if any(is_iban(m) for m in _IBAN_IN_TEXT.findall(text)):
        found.add("iban")
    if any(is_nir(m) for m in _NIR_IN_TEXT.findall(text)):
        found.add("nir")
    return found
