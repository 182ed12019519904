"""Writing the demo's sources the way a company's systems export them, untidiness included."""

import json
import sqlite3
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from atelier.demo._dataset import SEED, plan_catalogue

DUPLICATED_CUSTOMERS = 25
UNTIDY_SHARE = 0.03
PERSONAL_COLUMNS = ("name", "email", "phone")
SOURCE_FILES = {
    "customers": "customers.csv",
    "contracts": "contracts.json",
    "billing": "billing.sqlite",
    "usage": "usage.parquet",
    "payments": "payments.xlsx",
    "plans": "plans_api.json",
}


def write_sources(table: pd.DataFrame, data_dir: Path) -> dict[str, Path]:
    """Write every demo source into ``data_dir``; existing files are kept as they are.

    Keeping them makes a second ``atelier demo`` find every source unchanged.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    writers = {
        "customers": lambda path: _write_customers(table, path, rng),
        "contracts": lambda path: _write_contracts(table, path),
        "billing": lambda path: _write_billing(table, path),
        "usage": lambda path: _write_usage(table, path, rng),
        "payments": lambda path: _write_payments(table, path, rng),
        "plans": lambda path: _write_plans(table, path),
    }
    paths = {}
    for source, writer in writers.items():
        path = data_dir / SOURCE_FILES[source]
        if not path.exists():
            partial = path.with_name(path.name + ".partial")
            writer(partial)
            partial.replace(path)
        paths[source] = path
    return paths


def personal_data(n_rows: int) -> pd.DataFrame:
    """Synthetic French names, e-mails and phone numbers (Faker, fr_FR, seeded)."""
    from faker import Faker

    fake = Faker("fr_FR")
    fake.seed_instance(SEED)
    rows = [(fake.name(), fake.email(), fake.phone_number()) for _ in range(n_rows)]
    frame = pd.DataFrame(rows, columns=list(PERSONAL_COLUMNS))
    return frame.map(_latin1_safe)


def _latin1_safe(text: str) -> str:
    """Spell characters latin-1 lacks (œ, Œ) with letters it has."""
    text = text.replace("œ", "oe").replace("Œ", "OE")
    return "".join(
        char if ord(char) < 256 else unicodedata.normalize("NFKD", char)[0] for char in text
    )


def _write_customers(table: pd.DataFrame, path: Path, rng: np.random.Generator) -> None:
    # The CRM export: French spreadsheet conventions, latin-1, a few rows exported twice.
    columns = [
        "customer_id",
        "female",
        "senior_citizen",
        "partner",
        "dependents",
        "monthly_charges",
    ]
    customers = pd.concat(
        [table[columns[:1]], personal_data(len(table)), table[columns[1:]]], axis=1
    )
    repeated = customers.iloc[rng.choice(len(customers), DUPLICATED_CUSTOMERS, replace=False)]
    customers = pd.concat([customers, repeated])
    customers = customers.iloc[rng.permutation(len(customers))]
    customers.to_csv(path, sep=";", decimal=",", encoding="latin-1", index=False)


def _write_contracts(table: pd.DataFrame, path: Path) -> None:
    # The subscription system's JSON export.
    records = [
        {
            "customer_id": row.customer_id,
            "plan_id": row.plan_id,
            "tenure": int(row.tenure),
            "churn": row.churn,
        }
        for row in table.itertuples()
    ]
    path.write_text(json.dumps(records, indent=1), encoding="utf-8")


def _write_billing(table: pd.DataFrame, path: Path) -> None:
    # The billing database; total_charges keeps the original's missing values (NULL).
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE billing (customer_id TEXT PRIMARY KEY, total_charges REAL, "
            "paperless_billing INTEGER NOT NULL)"
        )
        connection.executemany(
            "INSERT INTO billing VALUES (?, ?, ?)",
            [
                (
                    row.customer_id,
                    None if pd.isna(row.total_charges) else row.total_charges,
                    int(row.paperless_billing),
                )
                for row in table.itertuples()
            ],
        )
    connection.close()


def _write_usage(table: pd.DataFrame, path: Path, rng: np.random.Generator) -> None:
    # The network team's Parquet extract, typed by hand: case and spacing drift.
    columns = [
        "customer_id",
        "phone_service",
        "multiple_lines",
        "online_security",
        "online_backup",
        "device_protection",
        "tech_support",
        "streaming_tv",
        "streaming_movies",
    ]
    usage = table[columns].copy()
    for column in ("multiple_lines", "streaming_tv", "online_security"):
        usage[column] = _untidy(usage[column], rng)
    usage.to_parquet(path, index=False)


def _write_payments(table: pd.DataFrame, path: Path, rng: np.random.Generator) -> None:
    # Finance's workbook, one sheet named "payments"; methods typed by hand.
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "payments"
    sheet.append(["customer_id", "payment_method"])
    for customer_id, method in zip(
        table["customer_id"], _untidy(table["payment_method"], rng), strict=True
    ):
        sheet.append([customer_id, method])
    workbook.save(path)


def _write_plans(table: pd.DataFrame, path: Path) -> None:
    # What the plans API serves (the demo serves this file page by page).
    plans = plan_catalogue(table)
    path.write_text(json.dumps(plans.to_dict(orient="records"), indent=1), encoding="utf-8")


def _untidy(values: pd.Series, rng: np.random.Generator) -> pd.Series:
    """Misspell a few values the way hand-typed categories drift: case and spaces."""
    spoilt = values.astype(object).copy()
    chosen = np.flatnonzero(rng.random(len(values)) < UNTIDY_SHARE)
    variants = (str.lower, str.upper, lambda text: text + " ", lambda text: text.replace(" ", "  "))
    for position in chosen:
        variant = variants[rng.integers(len(variants))]
        spoilt.iloc[position] = variant(spoilt.iloc[position])
    return spoilt


def charter_once(directory: Path, template: str) -> Path:
    """Copy the demo's charter ``template`` into ``directory``, unless a charter is there.

    Returns
    -------
    Path
        ``directory``: a user's edits to its charter survive a second demo.
    """
    from importlib.resources import files

    from atelier.charter import CHARTER_FILE

    charter = Path(directory) / CHARTER_FILE
    if not charter.exists():
        text = files("atelier.demo").joinpath(template).read_text(encoding="utf-8")
        charter.write_text(text, encoding="utf-8")
    return Path(directory)
