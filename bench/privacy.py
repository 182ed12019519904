"""Personal-data detection benchmark: atelier against Presidio, column by column.

A labelled French corpus made with Faker ``fr_FR`` (seeded): for each kind, columns
named plainly (``col_17``) and columns named as a person would (``email_client``),
mixed with decoys that look alike (order numbers, amounts, product codes, ALL-CAPS
product names, order dates, five-digit codes, sixteen-digit numbers). A column is
flagged when the detector finds a kind in at least 80% of its values (atelier's own
rule; the same bar for Presidio's entities). Presidio (``presidio-analyzer`` with
spaCy's ``fr_core_news_md``, its recognizers for French) runs in an environment of
its own (``bench/.envs/presidio``), on ``--presidio-values`` values per column since
it reads every value through the language model. Speed: atelier on 100 columns of
10,000 values, per column; Presidio per column at its sample size.

Usage: ``python bench/privacy.py [--values 2000] [--presidio-values 100]``
"""

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

from faker import Faker

from _anchors import anchor_python
from atelier.personal import classify

BENCH = Path(__file__).parent
COLUMNS_PER_KIND = 6
KINDS = {
    "email": ("email_client", lambda f, r: f.email()),
    "phone": ("telephone", lambda f, r: f.phone_number()),
    "iban": ("iban", lambda f, r: f.iban()),
    "nir": ("numero_secu", lambda f, r: f.ssn()),
    "siret": ("siret", lambda f, r: f.siret()),
    "card": ("carte", lambda f, r: f.credit_card_number()),
    "person_name": ("nom_client", lambda f, r: f.name()),
    "street_address": ("adresse", lambda f, r: f.street_address()),
    "birth_date": ("date_naissance", lambda f, r: str(f.date_of_birth(minimum_age=18))),
    "postal_code": ("code_postal", lambda f, r: f.postcode()),
}
DECOYS = {
    "numero_commande": lambda f, r: str(r.randint(10**8, 10**9 - 1)),
    "numero_facture": lambda f, r: str(r.randint(10**13, 10**14 - 1)),
    "montant": lambda f, r: f"{r.uniform(1, 9000):.2f}",
    "code_produit": lambda f, r: f"{f.word().upper()}-{r.randint(100, 9999)}",
    "produit": lambda f, r: f"{f.word().upper()} {f.word().upper()} {r.choice(['PRO', 'XL', ''])}",
    "date_commande": lambda f, r: str(f.date_between("-3y", "today")),
    "code_magasin": lambda f, r: f"{r.randint(1000, 95999):05d}",
    "numero_serie": lambda f, r: str(r.randint(10**15, 10**16 - 1)),
    "categorie": lambda f, r: f.word(),
    "quantite": lambda f, r: str(r.randint(1, 500)),
}
PRESIDIO_KINDS = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "IBAN_CODE": "iban",
    "CREDIT_CARD": "card",
    "PERSON": "person_name",
    "LOCATION": "street_address",
    "DATE_TIME": "birth_date",
    "FR_NIR": "nir",
    "FR_SIRET": "siret",
}


def corpus(values: int, seed: int = 0) -> list[dict]:
    """Labelled columns: ``{"name", "kind" (None for a decoy), "values"}``."""
    fake, rng = Faker("fr_FR"), random.Random(seed)
    fake.seed_instance(seed)
    columns = []
    for kind, (hinted, make) in KINDS.items():
        for index in range(COLUMNS_PER_KIND):
            name = hinted if index % 2 else f"col_{len(columns)}"
            made = list(dict.fromkeys(make(fake, rng) for _ in range(values)))
            columns.append({"name": name, "kind": kind, "values": made})
    for name, make in DECOYS.items():
        for _ in range(COLUMNS_PER_KIND):
            made = list(dict.fromkeys(make(fake, rng) for _ in range(values)))
            columns.append({"name": name, "kind": None, "values": made})
    return columns


def atelier_predictions(columns: list[dict]) -> tuple[list, float]:
    started = time.perf_counter()
    found = []
    for column in columns:
        finding = classify("bench", column["name"], column["values"])
        found.append(finding.kind if finding else None)
    return found, (time.perf_counter() - started) / len(columns)


def presidio_predictions(columns: list[dict], sample: int) -> tuple[list, float]:
    python = anchor_python(BENCH / ".envs" / "presidio", ["presidio-analyzer", "fr-core-news-md"])
    task = [{"name": c["name"], "values": c["values"][:sample]} for c in columns]
    process = subprocess.run(
        [python, str(BENCH / "privacy_presidio.py")],
        input=json.dumps(task),
        capture_output=True,
        text=True,
        check=True,
    )
    answer = json.loads(process.stdout)
    kinds = [
        PRESIDIO_KINDS.get(entity) if entity is not None else None for entity in answer["entities"]
    ]
    return kinds, answer["seconds_per_column"]


def scores(columns: list[dict], found: list, kinds: set | None = None) -> dict:
    """Column-level precision, recall and F2 over ``kinds`` (all kinds when None)."""
    tp = fp = fn = 0
    for column, kind in zip(columns, found, strict=True):
        truth = column["kind"]
        in_scope_truth = truth is not None and (kinds is None or truth in kinds)
        in_scope_found = kind is not None and (kinds is None or kind in kinds)
        if in_scope_truth and kind == truth:
            tp += 1
            continue
        fn += in_scope_truth
        fp += in_scope_found
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f2 = 5 * precision * recall / (4 * precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f2": f2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=2000)
    parser.add_argument("--presidio-values", type=int, default=100)
    parser.add_argument("--speed-values", type=int, default=10_000)
    arguments = parser.parse_args()
    columns = corpus(arguments.values)
    found, _ = atelier_predictions(columns)
    decoys_flagged = sum(
        kind is not None
        for column, kind in zip(columns, found, strict=True)
        if column["kind"] is None
    )
    checked = {"email", "phone", "iban", "nir", "siret", "card"}
    soft = {"person_name", "street_address"}
    rows = {
        "atelier": {
            "checked kinds": scores(columns, found, checked),
            "names and addresses": scores(columns, found, soft),
            "all kinds": scores(columns, found),
            "decoys flagged": decoys_flagged,
        }
    }
    speed_columns = corpus(arguments.speed_values, seed=1)[:100]
    _, atelier_seconds = atelier_predictions(speed_columns)
    rows["atelier"]["seconds per column (10,000 values)"] = atelier_seconds
    presidio, presidio_seconds = presidio_predictions(columns, arguments.presidio_values)
    rows["presidio"] = {
        "checked kinds": scores(columns, presidio, checked),
        "names and addresses": scores(columns, presidio, soft),
        "all kinds": scores(columns, presidio),
        "decoys flagged": sum(
            kind is not None
            for column, kind in zip(columns, presidio, strict=True)
            if column["kind"] is None
        ),
        f"seconds per column ({arguments.presidio_values} values)": presidio_seconds,
    }
    _, atelier_small = atelier_predictions(
        [{**c, "values": c["values"][: arguments.presidio_values]} for c in columns]
    )
    rows["speed ratio at Presidio's sample"] = presidio_seconds / atelier_small
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    sys.exit(main())
