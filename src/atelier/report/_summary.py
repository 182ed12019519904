"""The first page: the question, the answer, what it is worth, and its limits, in plain words."""

import io

from atelier._text import Text
from atelier.report._artifacts import Artifacts
from atelier.report._facts import (
    beats_baseline,
    chosen_overfits,
    flagged_groups,
    higher_is_better,
    metric_label,
    money,
    scores,
)

SMALL_HOLDOUT = 1_000  # rows: below this, the hold-out figures may move by a few points
LIMIT_GROUPS = 2


def summary(artifacts: Artifacts, text: Text) -> dict:
    """The decision maker's page.

    Returns
    -------
    dict
        ``question``, ``decision``, ``answer`` (or None before training), ``value``
        (sentences), ``chart`` (PNG bytes or None) and ``limits`` (sentences).
    """
    project = artifacts.charter["project"]
    page = {
        "question": project["question"],
        "decision": project["decision"],
        "answer": None,
        "value": [],
        "chart": None,
        "limits": [],
    }
    train = artifacts.get("train")
    deep = artifacts.get("deep") or {}
    if train is None and deep.get("task") == "transcription":
        page["answer"] = _transcribed(deep, text, unit_of(artifacts, text))
        return page
    if train is None:
        return page
    _, holdout, baseline = scores(train)
    comparison = train["comparison"]
    values = {
        "metric": metric_label(train["metric"]),
        "score": text.score(holdout),
        "baseline": text.score(baseline),
        "n": text.number(train["rows_holdout"]),
        "unit": unit_of(artifacts, text),
        "low": text.score(comparison["gain_low"]),
        "high": text.score(comparison["gain_high"]),
        "direction": text("higher_better" if higher_is_better(train) else "lower_better"),
    }
    costs = money(train)
    if not beats_baseline(train):
        page["answer"] = text("answer_no", **values)
    elif costs is not None and train["metric"] == "roc_auc":
        page["answer"] = text("answer_binary", positive=costs["positive"], **values)
    else:
        page["answer"] = text("answer_other", **values)
    if costs is not None:
        page["value"] = _value(costs, text)
        page["chart"] = cost_chart(costs, text)
    page["limits"] = _limits(train, costs, text, values["unit"])
    return page


def _transcribed(deep: dict, text: Text, unit: str) -> str:
    """A transcriber's answer: its error rates on unseen recordings, against knowing nothing."""
    indicators = deep["indicators"]
    network, constant = indicators["network"], indicators["classical"]
    return text(
        "answer_transcription",
        n=text.number(deep["rows_holdout"]),
        unit=unit,
        cer=text.percent(network["cer"], 1),
        right=text.percent(1 - network["sentence_error_rate"]),
        constant=text.percent(constant["cer"], 1),
        verdict=text(
            "answer_transcription_served" if deep["champion"] else "answer_transcription_not"
        ),
    )


def unit_of(artifacts: Artifacts, text: Text) -> str:
    """What the rows are, in the plural: the charter's ``project.unit``, or "rows"."""
    return artifacts.charter["project"].get("unit") or text("unit_default")


def _value(costs: dict, text: Text) -> list[str]:
    values = {
        "threshold": text.number(costs["threshold"], 2),
        "cost": text.number(costs["chosen"]),
        "nobody": text.number(costs["best_without_model"]),
        "policy": text(f"policy_{costs['policy']}"),
        "saved": text.number(costs["saved"]),
        "currency": costs["currency"],
    }
    if costs["saved"] > 0:
        sentences = [
            text(
                "money_saved",
                recall=text.percent(costs["recall"]),
                positive=costs["positive"],
                alarms=text.alarms(costs["precision"]),
                **values,
            )
        ]
    else:
        sentences = [text("money_lost", **values)]
    sentences.append(
        text("against_half", half=text.number(costs["half"]), currency=costs["currency"])
    )
    return sentences


def _limits(train: dict, costs: dict | None, text: Text, unit: str) -> list[str]:
    rows = train["rows_holdout"]
    key = "limit_holdout" if rows < SMALL_HOLDOUT else "limit_holdout_ok"
    limits = [text(key, rows=text.number(rows))]
    if costs is not None:
        overall = (train["diagnostics"].get("subgroups") or {}).get("recall")
        for group in [g for g in flagged_groups(train) if g["gap"] < 0][:LIMIT_GROUPS]:
            limits.append(
                text(
                    "limit_subgroup",
                    group_recall=text.percent(group["recall"]),
                    positive=costs["positive"],
                    column=group["column"],
                    value=group["value"],
                    recall=text.percent(overall),
                )
            )
    if chosen_overfits(train):
        limits.append(text("limit_overfit"))
    limits.append(text("limit_past", unit=unit))
    return limits


def cost_chart(costs: dict, text: Text) -> bytes:
    """Three bars a decision maker reads at a glance: cost without the model, at 0.5, chosen."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [
        text("chart_without", policy=text(f"policy_{costs['policy']}")),
        text("chart_half"),
        text("chart_chosen", threshold=text.number(costs["threshold"], 2)),
    ]
    values = [costs["best_without_model"], costs["half"], costs["chosen"]]
    colours = ["#9e9e9e", "#90caf9", "#1565c0"]
    figure, axes = plt.subplots(figsize=(7.5, 2.6), dpi=110)
    bars = axes.barh(labels[::-1], values[::-1], color=colours[::-1])
    for bar, value in zip(bars, values[::-1], strict=True):
        axes.text(
            bar.get_width(),
            bar.get_y() + bar.get_height() / 2,
            f" {text.number(value)} {costs['currency']}",
            va="center",
            fontsize=10,
        )
    axes.set_title(text("chart_title", currency=costs["currency"]), fontsize=11, loc="left")
    axes.set_xlim(min(0, *values) * 1.1, max(values) * 1.35)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(axis="x", labelsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
