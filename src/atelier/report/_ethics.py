"""Fairness, footprint and the model card, worded as documents like the GDPR ones.

Each is ``{"id", "title", "text", "tables"}``: the dossier shows it in its data
protection chapter and ``build_report`` writes it as Markdown in both languages.
"""

import math

from atelier._footprint import everyday
from atelier._stages import STAGE_NAMES
from atelier.report._facts import beats_baseline


def ethics_documents(artifacts, t) -> list[dict]:
    """The fairness audit, the footprint of the run and the model card, where they exist."""
    made = []
    fairness = artifacts.get("fairness")
    if fairness and fairness.get("audits"):
        made.append(_fairness(fairness, t))
    footprint = _footprint_rows(artifacts.run_state)
    if footprint:
        made.append(_footprint(footprint, t))
    train = artifacts.get("train")
    if train:
        made.append(_model_card(artifacts, train, fairness, t))
    return made


def _interval(row: dict, metric: str, t) -> str:
    low_high = row["intervals"].get(metric)
    value = t.percent(row[metric])
    if not low_high:
        return value
    return f"{value} [{t.percent(low_high[0])} – {t.percent(low_high[1])}]"


def _fairness(fairness: dict, t) -> dict:
    tables, sentences = [], []
    for audit in fairness["audits"]:
        flags = [t(f"fairness_flag_{flag}") for flag in audit["flags"]]
        sentences.append(
            t(
                "fairness_attribute",
                attribute=audit["attribute"],
                ratio=t.number(audit["demographic_parity_ratio"], 2),
                gap=t.number(audit["equalized_odds_difference"], 2),
                verdict="; ".join(flags) or t("fairness_within"),
            )
        )
        tables.append(
            {
                "headers": [
                    f"{audit['attribute']}",
                    t("rows"),
                    t("fairness_selection"),
                    t("recall"),
                    t("fairness_precision"),
                    t("fairness_fpr"),
                ],
                "rows": [
                    (
                        row["group"],
                        t.number(row["rows"]),
                        _interval(row, "selection_rate", t),
                        _interval(row, "recall", t),
                        t.percent(row["precision"]),
                        t.percent(row["false_positive_rate"]),
                    )
                    for row in audit["groups"]
                ],
            }
        )
        before, after = audit["mitigation"]["before"], audit["mitigation"]["after"]
        tables.append(
            {
                "headers": [
                    t("fairness_reweighting", attribute=audit["attribute"]),
                    "ROC AUC",
                    t("fairness_cost"),
                    t("fairness_ratio"),
                    t("fairness_gap"),
                ],
                "rows": [
                    (
                        t(f"fairness_{side}"),
                        t.number(values["roc_auc"], 3),
                        t.number(values["cost_per_1000"]),
                        t.number(values["demographic_parity_ratio"], 2),
                        t.number(values["equalized_odds_difference"], 2),
                    )
                    for side, values in (("before", before), ("after", after))
                ],
            }
        )
    return {
        "id": "fairness",
        "title": t("fairness_title"),
        "text": t("fairness_intro", threshold=t.number(fairness["threshold"], 2))
        + " "
        + t(f"fairness_model_{fairness.get('model') or 'learn'}")
        + " "
        + " ".join(sentences),
        "tables": tables,
    }


def _significant(value: float, t) -> str:
    """``value`` with two significant digits (0.0042, 0.37, 12), as the language writes it."""
    if value <= 0:
        return t.number(0)
    digits = min(6, max(0, 1 - math.floor(math.log10(value))))
    return t.number(value, digits)


def _footprint_rows(run_state: dict) -> list[tuple[str, dict]]:
    return [
        (stage, run_state[stage]["footprint"])
        for stage in STAGE_NAMES
        if stage in run_state and run_state[stage].get("footprint")
    ]


def _footprint(rows: list[tuple[str, dict]], t) -> dict:
    energy = sum(record["energy_kwh"] for _, record in rows)
    co2 = sum(record["co2_g"] for _, record in rows)
    methods = {record["method"] for _, record in rows}
    comparison = everyday(energy, co2)
    return {
        "id": "footprint",
        "title": t("footprint_title"),
        "text": t(
            "footprint_text",
            wh=t.number(energy * 1000, 2),
            co2=t.number(co2, 2),
            charges=_significant(comparison["phone_charges"], t),
            metres=_significant(comparison["car_km"] * 1000, t),
            method=" / ".join(t(f"footprint_{method}") for method in sorted(methods)),
        ),
        "tables": [
            {
                "headers": [
                    t("footprint_stage"),
                    t("footprint_method"),
                    t("footprint_cpu"),
                    "Wh",
                    "g CO2e",
                ],
                "rows": [
                    (
                        stage,
                        t(f"footprint_{record['method']}"),
                        t.number(record["cpu_s"], 1),
                        t.number(record["energy_kwh"] * 1000, 3),
                        t.number(record["co2_g"], 3),
                    )
                    for stage, record in rows
                ],
            }
        ],
    }


def _model_card(artifacts, train: dict, fairness: dict | None, t) -> dict:
    charter = artifacts.charter
    metric = train["metric"]
    by_group = []
    for audit in (fairness or {}).get("audits", []):
        by_group += [
            f"{audit['attribute']} = {row['group']}: {t('recall')} {t.percent(row['recall'])}"
            for row in audit["groups"]
        ]
    sources = ", ".join(charter["sources"])
    classical = " + ".join(m["family"] for m in train["choice"]["members"])
    model, score = classical, train["scores"].get(f"holdout_{metric}")
    deep = artifacts.get("deep") or {}
    if deep.get("champion"):  # the network serves: the card describes it
        model = t("card_network", classical=classical)
        score = deep["indicators"]["network"][metric]
    rows = [
        (t("card_intended"), f"{charter['project']['question']} {charter['project']['decision']}"),
        (t("card_out_of_scope"), t("card_out_of_scope_text")),
        (
            t("card_data"),
            t(
                "card_data_text",
                train=t.number(train["rows_train"]),
                holdout=t.number(train["rows_holdout"]),
                sources=sources,
            ),
        ),
        (t("card_model"), model),
        (
            t("card_metrics"),
            f"{metric} = {t.number(score, 3)} "
            + (t("card_beats") if beats_baseline(train) else t("card_not_beats")),
        ),
        (t("card_by_group"), "; ".join(by_group) or t("card_no_groups")),
        (t("card_limits"), t("card_limits_text")),
        (
            t("card_ethics"),
            " ".join(risk["description"] for risk in charter.get("risks", []))
            or t("privacy_unset"),
        ),
    ]
    return {
        "id": "model-card",
        "title": t("card_title"),
        "text": t("card_text"),
        "tables": [{"headers": [t("privacy_field"), t("privacy_value")], "rows": rows}],
    }
