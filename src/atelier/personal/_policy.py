"""The policy a source's columns get, and the SQL that applies it as the source loads.

A column's rule comes from the charter (``privacy.policy``) when it names it;
otherwise a column found or declared personal gets the proposed rule: dropped, or
pseudonymised when it is a key other tables join on, or generalised when it only
narrows a person down (a birth date to its year, a postal code to its department).
SIREN and SIRET numbers identify companies as well as sole traders: they are
proposed for review, not transformed by default.
"""

import contextlib
import hashlib
import hmac
import os
from dataclasses import asdict, dataclass

from atelier._naming import quote_identifier, snake_case
from atelier.exceptions import CharterError, PrivacyKeyError
from atelier.personal._detect import Finding

KEY_VARIABLE = "ATELIER_PSEUDO_KEY"
MIN_KEY_LENGTH = 32
PSEUDONYM_FUNCTION = "atelier_pseudonym"

_GENERALISED = {"postal_code": ("department", None), "birth_date": ("year", None)}
_FOR_REVIEW = frozenset({"siret", "siren"})


@dataclass(frozen=True)
class Rule:
    """What happens to one column of a source as it loads.

    Attributes
    ----------
    column : str
        The column as the source spells it.
    action : {"drop", "pseudonymise", "generalise", "keep"}
    to : str or None
        The generalisation (``month``, ``year``, ``department``, ``band``, ``range``).
    width : float or None
        The width of a band or range.
    origin : {"charter", "proposed"}
        Written in the charter, or proposed from a finding (privacy by default).
    kind : str or None
        The finding's kind (``email``...), ``declared`` or None.
    legal_basis, purpose : str or None
        Why a kept column is kept (GDPR Art. 6).
    """

    column: str
    action: str
    to: str | None = None
    width: float | None = None
    origin: str = "charter"
    kind: str | None = None
    legal_basis: str | None = None
    purpose: str | None = None

    def to_dict(self) -> dict:
        """The rule as JSON-ready data."""
        return asdict(self)


def proposed_rule(finding_kind: str, column: str, *, joins_on: bool) -> Rule | None:
    """The rule proposed for a column of ``finding_kind``; None to leave it for review."""
    if finding_kind in _FOR_REVIEW:
        return None
    if joins_on:
        return Rule(column, "pseudonymise", origin="proposed", kind=finding_kind)
    if finding_kind in _GENERALISED:
        to, width = _GENERALISED[finding_kind]
        return Rule(column, "generalise", to, width, origin="proposed", kind=finding_kind)
    return Rule(column, "drop", origin="proposed", kind=finding_kind)


def source_rules(
    source: str,
    columns: list[str],
    findings: list[Finding],
    charter,
    join_columns: set[str],
) -> list[Rule]:
    """Every column rule of ``source``: the charter's, then the proposed ones.

    Parameters
    ----------
    source : str
    columns : list of str
        The source's columns as it spells them.
    findings : list of Finding
        What detection found in those columns.
    charter : Charter
    join_columns : set of str
        snake_case columns the source is keyed or joined on.

    Raises
    ------
    CharterError
        The policy names a column the source does not have.
    """
    by_snake = {snake_case(column): column for column in columns}
    kinds = {snake_case(finding.column): finding.kind for finding in findings}
    spec = charter.sources[source]
    kinds |= {snake_case(c): "declared" for c in spec.personal_data if snake_case(c) not in kinds}
    rules: dict[str, Rule] = {}
    for name, written in charter.privacy.policy.items():
        policy_source, column = name.split(".", 1)
        if policy_source != source:
            continue
        if snake_case(column) not in by_snake:
            raise CharterError(
                f"privacy.policy.{name}: source {source!r} has no column {column!r} "
                f"(its columns: {', '.join(columns)})"
            )
        real = by_snake[snake_case(column)]
        rules[snake_case(column)] = Rule(
            real,
            written.action,
            written.to,
            written.width,
            "charter",
            kinds.get(snake_case(column)),
            written.legal_basis,
            written.purpose,
        )
    for snake, kind in kinds.items():
        if snake in rules or snake not in by_snake:
            continue
        rule = proposed_rule(kind, by_snake[snake], joins_on=snake in join_columns)
        if rule is not None:
            rules[snake] = rule
    return [rules[snake_case(column)] for column in columns if snake_case(column) in rules]


def pseudonymisation_key(why: str) -> bytes:
    """The secret of ``ATELIER_PSEUDO_KEY``, checked; never logged nor written.

    Raises
    ------
    PrivacyKeyError
        It is unset or shorter than ``MIN_KEY_LENGTH`` characters: pseudonyms are
        never made with an unkeyed hash, which a dictionary of e-mails would reverse.
    """
    key = os.environ.get(KEY_VARIABLE, "")
    if len(key) < MIN_KEY_LENGTH:
        state = "is not set" if not key else f"has {len(key)} characters"
        raise PrivacyKeyError(
            f"{why}: {KEY_VARIABLE} {state}; set it to a secret of at least "
            f"{MIN_KEY_LENGTH} characters, e.g. export {KEY_VARIABLE}=$(openssl rand -hex 32), "
            "and keep it out of files (the same key gives the same pseudonyms)"
        )
    return key.encode()


def key_identifier(key: bytes) -> str:
    """A short tag that changes with the key and reveals nothing of it."""
    return hmac.new(key, b"atelier key identifier", hashlib.sha256).hexdigest()[:12]


def pseudonym(key: bytes, value: str | None) -> str | None:
    """The pseudonym of one value: HMAC-SHA256 under ``key``, 32 hex characters."""
    if value is None:
        return None
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]


def register_pseudonym_function(connection, key: bytes) -> None:
    """Define ``atelier_pseudonym(text)``: HMAC-SHA256 of the text, 32 hex characters."""
    import duckdb
    import pyarrow as pa

    def pseudonyms(values: pa.Array) -> pa.Array:
        return pa.array([pseudonym(key, value) for value in values.to_pylist()], type=pa.string())

    with contextlib.suppress(duckdb.InvalidInputException):  # not defined yet
        connection.remove_function(PSEUDONYM_FUNCTION)
    connection.create_function(PSEUDONYM_FUNCTION, pseudonyms, ["VARCHAR"], "VARCHAR", type="arrow")


def select_expressions(schema: list[tuple[str, str]], rules: list[Rule]) -> list[tuple[str, str]]:
    """``(expression, column name)`` for each column kept, the rules applied."""
    by_column = {rule.column: rule for rule in rules}
    selected = []
    for column, _ in schema:
        rule = by_column.get(column)
        name = quote_identifier(column)
        if rule is None or rule.action == "keep":
            selected.append((name, column))
        elif rule.action == "pseudonymise":
            selected.append((f"{PSEUDONYM_FUNCTION}(trim(CAST({name} AS VARCHAR)))", column))
        elif rule.action == "generalise":
            selected.append((_generalised(name, rule), column))
    return selected


def _generalised(name: str, rule: Rule) -> str:
    text = f"trim(CAST({name} AS VARCHAR))"
    if rule.to == "year":
        return f"year(TRY_CAST({text} AS DATE))"
    if rule.to == "month":
        return f"strftime(TRY_CAST({text} AS DATE), '%Y-%m')"
    if rule.to == "department":
        code = f"lpad({text}, 5, '0')"
        overseas = f"left({code}, 2) IN ('97', '98')"
        return f"CASE WHEN {overseas} THEN left({code}, 3) ELSE left({code}, 2) END"
    number = f"TRY_CAST({text} AS DOUBLE)"
    lower = f"floor({number} / {rule.width}) * {rule.width}"
    if rule.to == "band":
        return (
            f"CAST(CAST({lower} AS BIGINT) AS VARCHAR) || '-' || "
            f"CAST(CAST({lower} + {rule.width} - 1 AS BIGINT) AS VARCHAR)"
        )
    return (
        f"'[' || CAST({lower} AS VARCHAR) || ', ' || CAST({lower} + {rule.width} AS VARCHAR) || ')'"
    )
