"""Detection from values: each kind found on real-looking data, decoys left alone."""

import random
import re

import pytest
from faker import Faker
from stdnum.fr import nir, siret

from atelier.personal import classify
from atelier.personal._detect import name_hint

N = 300


@pytest.fixture(scope="module")
def fake() -> Faker:
    faker = Faker("fr_FR")
    faker.seed_instance(11)
    return faker


def distinct(make, count: int = N) -> list[str]:
    return list(dict.fromkeys(str(make()) for _ in range(count)))


@pytest.mark.parametrize(
    ("column", "kind", "make"),
    [
        ("contact", "email", lambda f: f.email()),
        ("numero", "phone", lambda f: f.phone_number()),
        ("compte", "iban", lambda f: f.iban()),
        ("x", "nir", lambda f: f.ssn()),
        ("x", "siret", lambda f: f.siret()),
        ("x", "siren", lambda f: f.siren()),
        ("x", "card", lambda f: f.credit_card_number(card_type="visa16")),
        ("x", "ip_address", lambda f: f.ipv4()),
        ("code_postal", "postal_code", lambda f: f.postcode()),
        ("date_naissance", "birth_date", lambda f: f.date_of_birth(minimum_age=18)),
        ("x", "street_address", lambda f: f.street_address()),
        ("x", "person_name", lambda f: f.name()),
        ("x", "person_name", lambda f: f"{f.last_name().upper()} {f.first_name()}"),
    ],
)
def test_each_kind_is_found_from_its_values(fake, column, kind, make):
    finding = classify("s", column, distinct(lambda: make(fake)))
    assert finding is not None and finding.kind == kind
    assert finding.share >= 0.8
    assert finding.possible == (kind in ("siret", "siren"))
    for example in finding.examples:  # masked: digits are 9s, letters x or X
        assert not re.search(r"[0-8]|[^\W\dxX_]", example), example


def test_corsican_nir_and_la_poste_siret_validate():
    rng = random.Random(3)
    numbers = []
    for _ in range(40):
        sex, year, month = rng.choice("12"), rng.randint(20, 99), rng.randint(1, 12)
        body = f"{sex}{year}{month:02d}2{rng.choice('AB')}{rng.randint(0, 999999):06d}"
        numbers.append(body + nir.calc_check_digits(body))
    finding = classify("s", "x", numbers)
    assert finding is not None and finding.kind == "nir"
    # La Poste's establishments break Luhn but follow their own rule
    assert siret.is_valid("35600000000048")


@pytest.mark.parametrize(
    ("column", "make"),
    [
        ("order_number", lambda f, r: f"{r.randint(10**8, 10**9 - 1)}"),  # 9 digits, ~10% pass Luhn
        ("montant", lambda f, r: f"{r.uniform(1, 5000):.2f}"),
        ("reference_produit", lambda f, r: f"{f.word().upper()}-{r.randint(100, 999)}"),
        ("produit", lambda f, r: f"{f.word().upper()} {f.word().upper()}"),
        ("date_commande", lambda f, r: f.date_between("-2y", "today")),
        ("x", lambda f, r: f"{r.randint(10**15, 10**16 - 1)}"),  # 16 digits, Luhn by chance only
        ("code", lambda f, r: f"{r.randint(1000, 98999):05d}"),  # five digits, no postal name
    ],
)
def test_decoys_are_not_flagged(fake, column, make):
    rng = random.Random(5)
    assert classify("s", column, distinct(lambda: make(fake, rng))) is None


def test_too_few_values_never_decide(fake):
    assert classify("s", "email", [fake.email() for _ in range(19)]) is None


def test_the_name_nudges_but_never_decides(fake):
    assert name_hint("email_client", "email") == 1
    assert name_hint("numero_commande", "phone") == -1
    assert classify("s", "email", [f"ORDER-{i}" for i in range(100)]) is None
    # a column of e-mails named like a product code is still found: values decide
    finding = classify("s", "reference_produit", distinct(fake.email))
    assert finding is not None and finding.kind == "email"


def test_free_text_naming_people_is_found(fake):
    texts = [
        fake.sentence(nb_words=10) + (f" Rappeler au {fake.phone_number()}." if i % 5 == 0 else "")
        for i in range(200)
    ]
    finding = classify("s", "commentaire", texts)
    assert finding is not None and finding.kind == "free_text"
    assert "phone" in finding.rule


def test_known_values_are_sampled_as_the_rows_would_be(fake):
    """A column's distinct values, given at once, give the sample its rows would."""
    import duckdb

    from atelier.personal._detect import sample_known_values, sample_values

    emails = [*distinct(fake.email), "  padded@example.org ", "", "   ", None]
    cities = [fake.city() for _ in range(50)]
    with duckdb.connect() as connection:
        connection.execute(
            "CREATE TABLE t AS SELECT unnest(?::VARCHAR[]) AS email", [emails + emails[:20]]
        )
        from_rows = sample_values(connection, "t", "email")
    known = sample_known_values({"email": emails, "city": cities, "blank": ["", None]})
    assert known["email"] == from_rows
    assert "padded@example.org" in known["email"] and "" not in known["email"]
    assert sorted(known["city"]) == sorted(set(cities))
    assert "blank" not in known
