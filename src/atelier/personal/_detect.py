"""Which columns of a relation hold personal data: the values decide, the name nudges.

Each column is read as a sample of up to ``SAMPLE_SIZE`` distinct values. A kind is
found when at least ``FLAG_SHARE`` of them validate (and at least ``MIN_VALUES`` were
sampled), so one random number that passes Luhn never flags a column. A column's
name in French or English raises the score of the kinds it names and lowers that of
all kinds when it names something else (an order number, a price); kinds a shape
cannot prove alone (a postal code, a birth date) also need the name to agree.
"""

import math
import re
from dataclasses import asdict, dataclass, field

from atelier._naming import quote_identifier, snake_case
from atelier.personal._kinds import CHECKED_KINDS, HINTED_KINDS, KINDS, identifiers_in_text
from atelier.personal._names import NAME_SAMPLE, looks_like_names, name_share, persons_in

SAMPLE_SIZE = 10_000
ROW_SAMPLE = 100_000
SAMPLE_TABLE = "_atelier_personal_sample"
PROBE_SIZE = 200
CHUNK = 500
MIN_VALUES = 20
FLAG_SHARE = 0.8
HINT_WEIGHT = 0.1
FREE_TEXT_SHARE = 0.05  # texts of which this share names someone: the column does
FREE_TEXT_SAMPLE = 400
FREE_TEXT_LENGTH = 25

_SCANNED_TYPES = re.compile(r"^(VARCHAR|TEXT|STRING|BIGINT|HUGEINT|UBIGINT|DATE|TIMESTAMP)")

_HINTS = {
    "email": r"e_?mail|courriel|mail",
    "phone": r"phone|tel|telephone|mobile|portable|gsm|fax",
    "iban": r"iban|rib|bank_?account|compte",
    "nir": r"nir|ssn|secu|securite_sociale|social_security|insee",
    "card": r"card|carte|cb|pan|credit",
    "siret": r"siret|etablissement",
    "siren": r"siren|entreprise|company",
    "ip_address": r"ip|ip_?address|adresse_ip|ipv4|ipv6",
    "postal_code": r"postal|post_?code|zip|zip_?code|code_postal|cp",
    "birth_date": r"birth|naissance|dob|date_de_naissance|ne_le|born",
    "street_address": r"address|adresse|rue|street|voie|domicile",
    "person_name": r"name|nom|prenom|first_?name|last_?name|surname|full_?name|"
    r"client|customer|contact|titulaire|holder|patient|employee|salarie",
}
_NOT_PERSONAL = (
    r"order|commande|product|produit|article|sku|ref|reference|invoice|facture|amount|"
    r"montant|price|prix|qty|quantity|quantite|total|ticket|lot|batch|serial|serie|"
    r"tracking|colis|code_article|category|categorie|label|libelle|brand|marque"
)


@dataclass(frozen=True)
class Finding:
    """A column found to hold personal data.

    Attributes
    ----------
    source, column : str
        Where: the source and its column, as the source spells it.
    kind : str
        ``email``, ``phone``, ``iban``, ``nir``, ``card``, ``siret``, ``siren``,
        ``ip_address``, ``postal_code``, ``birth_date``, ``street_address``,
        ``person_name``, ``free_text`` or ``declared``.
    share : float
        The share of sampled values that validated.
    sampled : int
        How many distinct values were validated (fewer than were read when the
        share was already clear).
    rule : str
        The rule that fired, with the column name's part in it.
    examples : list of str
        Three validated values, masked (``Xxxx 99``).
    possible : bool
        "Possible personal data": the kind identifies companies too (SIREN/SIRET
        name sole traders as well).
    hint : int
        +1 when the column's name agreed, -1 when it disagreed, 0 otherwise.
    """

    source: str
    column: str
    kind: str
    share: float
    sampled: int
    rule: str
    examples: list[str] = field(default_factory=list)
    possible: bool = False
    hint: int = 0

    def to_dict(self) -> dict:
        """The finding as JSON-ready data."""
        return asdict(self)


def mask(value: object) -> str:
    """The shape of a value without its content: ``"Jo 06 12"`` becomes ``"Xx 99 99"``."""
    text = re.sub(r"\d", "9", str(value))
    return re.sub(r"[^\W\d_]", lambda match: "X" if match.group().isupper() else "x", text)


def name_hint(column: str, kind: str) -> int:
    """+1 when the column's name names ``kind``, -1 when it names something else, else 0."""
    words = snake_case(column)
    if re.search(rf"(^|_)({_HINTS[kind]})($|_)", words):
        return 1
    if re.search(rf"(^|_)({_NOT_PERSONAL})($|_|s_|s$)", words):
        return -1
    return 0


def scan_relation(
    connection, relation: str, schema: list[tuple[str, str]], source: str
) -> list[Finding]:
    """The personal-data findings of every column of ``relation``.

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection
    relation : str
        A table or table expression.
    schema : list of (str, str)
        Its columns and DuckDB types.
    source : str
        The source's name, recorded in the findings.

    Returns
    -------
    list of Finding
        At most one per column: the kind with the best score.
    """
    scanned = [column for column, data_type in schema if _SCANNED_TYPES.match(data_type.upper())]
    if not scanned:
        return []
    # one pass over the source for every column: a seeded reservoir of rows
    columns = ", ".join(quote_identifier(column) for column in scanned)
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {SAMPLE_TABLE} AS SELECT {columns} FROM {relation} "
        f"USING SAMPLE reservoir({ROW_SAMPLE} ROWS) REPEATABLE (7)"
    )
    try:
        findings = []
        for column in scanned:
            values = sample_values(connection, SAMPLE_TABLE, column, rows_sampled=True)
            finding = classify(source, column, values)
            if finding is not None:
                findings.append(finding)
    finally:
        connection.execute(f"DROP TABLE IF EXISTS {SAMPLE_TABLE}")
    return findings


def sample_values(
    connection, relation: str, column: str, *, rows_sampled: bool = False
) -> list[str]:
    """Up to ``SAMPLE_SIZE`` distinct non-blank values as text, spread by a hash.

    Unless ``relation`` is already a sample of rows, they are drawn from a seeded
    reservoir of ``ROW_SAMPLE`` rows, so that a column of millions of rows costs one
    pass over it, not a sort of all its distinct values.
    """
    name = quote_identifier(column)
    rows_of = relation
    if not rows_sampled:
        rows_of = (
            f"(SELECT {name} FROM {relation} "
            f"USING SAMPLE reservoir({ROW_SAMPLE} ROWS) REPEATABLE (7))"
        )
    rows = connection.execute(
        f"SELECT v FROM (SELECT DISTINCT trim(CAST({name} AS VARCHAR)) AS v FROM {rows_of} "
        f"WHERE {name} IS NOT NULL) WHERE v <> '' ORDER BY hash(v) LIMIT {SAMPLE_SIZE}"
    ).fetchall()
    return [row[0] for row in rows]


def sample_known_values(columns: dict[str, list]) -> dict[str, list[str]]:
    """:func:`sample_values` for columns whose distinct values are known already.

    One query on an in-memory connection for every column (a profile's counted
    columns), instead of a scan of the rows per column.

    Parameters
    ----------
    columns : dict of str to list
        Each column's distinct values.

    Returns
    -------
    dict of str to list of str
        Each column's sample, as :func:`sample_values` draws it; a column without a
        non-blank value is absent.
    """
    import duckdb

    names = [name for name, values in columns.items() for _ in values]
    values = [value for column in columns.values() for value in column]
    with duckdb.connect() as local:
        rows = local.execute(
            f"SELECT name, list(v ORDER BY hash(v))[1:{SAMPLE_SIZE}] FROM ("
            "  SELECT DISTINCT name, trim(value) AS v FROM ("
            "    SELECT unnest(?::VARCHAR[]) AS name, unnest(?::VARCHAR[]) AS value"
            "  ) WHERE value IS NOT NULL"
            ") WHERE v <> '' GROUP BY name",
            [names, values],
        ).fetchall()
    return dict(rows)


def classify(source: str, column: str, values: list[str]) -> Finding | None:
    """The finding for one column's sampled values, or None when nothing fires.

    Each kind is first tried on a probe of ``PROBE_SIZE`` values; those that pass
    half of it are then validated chunk by chunk until the share is clearly above or
    below the bar (a Wilson interval at 99.9%), or the sample is used up.
    """
    if len(values) < MIN_VALUES:
        return None
    probe = values[:PROBE_SIZE]
    best: Finding | None = None
    best_score = 0.0
    for kind in (*CHECKED_KINDS, *HINTED_KINDS, "street_address"):
        hint = name_hint(column, kind)
        if kind in HINTED_KINDS and hint <= 0:
            continue
        accepts = KINDS[kind].accepts
        if sum(map(accepts, probe)) * 2 <= len(probe):
            continue
        bar = FLAG_SHARE - HINT_WEIGHT * hint
        share, checked, accepted = _validated_share(accepts, values, bar)
        score = share + HINT_WEIGHT * hint
        if score >= FLAG_SHARE and score > best_score:
            best_score = score
            best = _finding(source, column, kind, share, checked, accepted, KINDS[kind].rule, hint)
    if best is not None:
        return best
    return _names_or_free_text(source, column, values)


def _validated_share(accepts, values: list[str], bar: float) -> tuple[float, int, list[str]]:
    accepted: list[str] = []
    checked = 0
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        accepted += [value for value in chunk if accepts(value)]
        checked += len(chunk)
        low, high = _wilson(len(accepted), checked)
        if low > bar or high < bar:
            break
    return len(accepted) / checked, checked, accepted


def _wilson(successes: int, trials: int, z: float = 3.29) -> tuple[float, float]:
    share = successes / trials
    centre = share + z * z / (2 * trials)
    spread = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    denominator = 1 + z * z / trials
    return (centre - spread) / denominator, (centre + spread) / denominator


def _names_or_free_text(source: str, column: str, values: list[str]) -> Finding | None:
    hint = name_hint(column, "person_name")
    if looks_like_names(values, share=0.6 if hint > 0 else 0.8):
        share = name_share(values)
        if share + HINT_WEIGHT * 2 * hint >= FLAG_SHARE and share > 0.5:
            named = [v for v in values[:3] if looks_like_names([v])]
            rule = "person names (spaCy fr_core_news_md)"
            checked = min(len(values), NAME_SAMPLE)
            return _finding(source, column, "person_name", share, checked, named, rule, hint)
        return None
    texts = [v for v in values if len(v) >= FREE_TEXT_LENGTH and " " in v]
    if len(texts) < max(MIN_VALUES, len(values) // 2):
        return None
    texts = texts[:FREE_TEXT_SAMPLE]
    kinds_found = [identifiers_in_text(text) for text in texts]
    people = persons_in(texts)
    naming = [
        text
        for text, kinds, person in zip(texts, kinds_found, people, strict=True)
        if kinds or person
    ]
    share = len(naming) / len(texts)
    if share < FREE_TEXT_SHARE:
        return None
    contained = sorted(set().union(*kinds_found) | ({"person_name"} if any(people) else set()))
    rule = f"free text naming people ({', '.join(contained)})"
    return _finding(source, column, "free_text", share, len(texts), [], rule, 0)


def _finding(source, column, kind, share, checked, accepted, rule, hint) -> Finding:
    if hint:
        rule += f"; the column's name {'agrees' if hint > 0 else 'disagrees'}"
    return Finding(
        source=source,
        column=column,
        kind=kind,
        share=round(share, 4),
        sampled=checked,
        rule=rule,
        examples=[mask(value) for value in accepted[:3]],
        possible=kind in ("siret", "siren"),
        hint=hint,
    )
