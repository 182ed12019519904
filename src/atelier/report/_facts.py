"""Facts read off the train stage's result, shared by the first page, observations and matrix."""

METRIC_LABELS = {
    "roc_auc": "ROC AUC",
    "log_loss": "log loss",
    "rmse": "RMSE",
    "cer": "CER",  # character error rate
    "wer": "WER",  # word error rate
}


def metric_label(name: str) -> str:
    """A metric's name as a reader writes it."""
    return METRIC_LABELS.get(name, name.replace("_", " "))


def higher_is_better(train: dict) -> bool:
    """Whether the train stage's metric grows as models improve."""
    return bool(train["greater_is_better"])


def scores(train: dict) -> tuple[float | None, float | None, float | None]:
    """Cross-validated and hold-out scores of the chosen model; the baseline's on the hold-out."""
    metric, values = train["metric"], train["scores"]
    return (
        values.get(f"cv_{metric}"),
        values.get(f"holdout_{metric}"),
        values.get(f"baseline_holdout_{metric}"),
    )


def beats_baseline(train: dict) -> bool:
    """Whether the model beats the baseline on the same hold-out rows beyond their noise.

    The gain's whole 90% bootstrap interval must be above zero (see the train
    stage's ``comparison``).
    """
    return bool((train.get("comparison") or {}).get("beats_baseline"))


def money(train: dict) -> dict | None:
    """Cost per 1,000 cases without the model, at 0.5 and at the chosen threshold."""
    thresholds = train.get("thresholds")
    if not thresholds:
        return None
    nobody = thresholds["cost_per_1000_without_model"]
    everybody = thresholds["cost_per_1000_everybody"]
    chosen = thresholds["at_chosen"]
    return {
        "nobody": nobody,
        "everybody": everybody,
        "best_without_model": min(nobody, everybody),
        "policy": "nobody" if nobody <= everybody else "everybody",
        "half": thresholds["at_half"]["cost_per_1000"],
        "chosen": chosen["cost_per_1000"],
        "saved": min(nobody, everybody) - chosen["cost_per_1000"],
        "threshold": thresholds["chosen"],
        "recall": chosen["recall"],
        "precision": chosen["precision"],
        "currency": thresholds["currency"],
        "positive": thresholds["positive_class"],
    }


def flagged_groups(train: dict) -> list[dict]:
    """Groups of customers whose recall is far from the overall one, largest gap first."""
    subgroups = (train.get("diagnostics") or {}).get("subgroups") or {}
    flagged, seen = [], set()
    for group in subgroups.get("groups", []):
        same_rows = (group["rows"], group["positives"], round(group["recall"], 6))
        if group["flagged"] and same_rows not in seen:  # plan_id P04 and its list price
            flagged.append(group)
            seen.add(same_rows)
    return flagged


def chosen_overfits(train: dict) -> bool:
    """Whether the chosen model's trials were flagged as over-fitting."""
    members = {m["family"] for m in (train.get("choice") or {}).get("members", [])}
    summary = (train.get("diagnostics") or {}).get("overfitting") or []
    return any(row["overfit"] for row in summary if row["model"] in members)
