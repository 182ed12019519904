"""Facts read off the train stage's result, shared by the first page, observations and matrix."""

from atelier.learn._metrics import get_metric

METRIC_LABELS = {"roc_auc": "ROC AUC", "log_loss": "log loss", "rmse": "RMSE"}


def metric_label(name: str) -> str:
    """A metric's name as a reader writes it."""
    return METRIC_LABELS.get(name, name.replace("_", " "))


def higher_is_better(train: dict) -> bool:
    """Whether the train stage's metric grows as models improve."""
    return get_metric(train["metric"], train["task"]).greater_is_better


def scores(train: dict) -> tuple[float | None, float | None, float | None]:
    """Cross-validated and hold-out scores of the chosen model, and the baseline's."""
    metric, values = train["metric"], train["scores"]
    return (
        values.get(f"cv_{metric}"),
        values.get(f"holdout_{metric}"),
        values.get(f"baseline_cv_{metric}"),
    )


def beats_baseline(train: dict, margin: float = 0.0) -> bool:
    """Whether the hold-out score beats the dummy baseline by more than ``margin`` (relative)."""
    _, holdout, baseline = scores(train)
    if holdout is None or baseline is None:
        return False
    room = margin * max(abs(baseline), 1e-12)
    return holdout > baseline + room if higher_is_better(train) else holdout < baseline - room


def money(train: dict) -> dict | None:
    """Cost per 1,000 cases without the model, at 0.5 and at the chosen threshold."""
    thresholds = train.get("thresholds")
    if not thresholds:
        return None
    nobody = thresholds["cost_per_1000_without_model"]
    chosen = thresholds["at_chosen"]
    return {
        "nobody": nobody,
        "half": thresholds["at_half"]["cost_per_1000"],
        "chosen": chosen["cost_per_1000"],
        "saved": nobody - chosen["cost_per_1000"],
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
