"""The first page: the question, the answer, what it is worth, and its limits, in plain words."""

import io

from atelier.report._artifacts import Artifacts
from atelier.report._facts import chosen_overfits, flagged_groups, metric_label, money, scores
from atelier.report._text import Text

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
    if train is None:
        return page
    _, holdout, baseline = scores(train)
    label = metric_label(train["metric"])
    costs = money(train)
    if costs is not None:
        page["answer"] = text(
            "answer_binary",
            positive=costs["positive"],
            metric=label,
            score=text.score(holdout),
            baseline=text.score(baseline),
        )
        page["value"] = _value(costs, text)
        page["chart"] = cost_chart(costs, text)
    else:
        page["answer"] = text(
            "answer_other", metric=label, score=text.score(holdout), baseline=text.score(baseline)
        )
    page["limits"] = _limits(train, costs, text)
    return page


def alarms(precision, text: Text) -> str:
    """How often an alert is a false alarm, in words."""
    if precision is None or precision != precision:
        return text("alarms_none")
    if precision >= 0.995:
        return text("alarms_right")
    return text("alarms_some", n=max(1, round(1 / (1 - precision))))


def _value(costs: dict, text: Text) -> list[str]:
    values = {
        "threshold": text.number(costs["threshold"], 2),
        "cost": text.number(costs["chosen"]),
        "nobody": text.number(costs["nobody"]),
        "saved": text.number(costs["saved"]),
        "currency": costs["currency"],
    }
    if costs["saved"] > 0:
        sentences = [
            text(
                "money_saved",
                recall=text.percent(costs["recall"]),
                positive=costs["positive"],
                alarms=alarms(costs["precision"], text),
                **values,
            )
        ]
    else:
        sentences = [text("money_lost", **values)]
    sentences.append(
        text("against_half", half=text.number(costs["half"]), currency=costs["currency"])
    )
    return sentences


def _limits(train: dict, costs: dict | None, text: Text) -> list[str]:
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
    limits.append(text("limit_past"))
    return limits


def cost_chart(costs: dict, text: Text) -> bytes:
    """Three bars a decision maker reads at a glance: cost without the model, at 0.5, chosen."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [
        text("chart_without"),
        text("chart_half"),
        text("chart_chosen", threshold=text.number(costs["threshold"], 2)),
    ]
    values = [costs["nobody"], costs["half"], costs["chosen"]]
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
