"""The "rapport d'étonnement": strengths, weaknesses and next steps, read off the diagnostics."""

import math

from atelier._text import Text
from atelier.report._artifacts import Artifacts
from atelier.report._facts import (
    beats_baseline,
    flagged_groups,
    higher_is_better,
    metric_label,
    money,
    scores,
)

CALIBRATION_ERROR = 0.05  # mean gap between predicted and observed rates worth a warning


def observations(artifacts: Artifacts, text: Text) -> dict[str, list[str]]:
    """Strengths, weaknesses and next steps of the project as it stands.

    Returns
    -------
    dict
        ``strengths``, ``weaknesses``, ``next_steps``: lists of sentences.
    """
    found = {"strengths": [], "weaknesses": [], "next_steps": []}
    _data(artifacts, text, found)
    train = artifacts.get("train")
    if train is not None:
        _model(train, text, found)
        _diagnostics(train, text, found)
    found["next_steps"].append(text("obs_later_blocks"))
    return found


def _data(artifacts: Artifacts, text: Text, found: dict) -> None:
    profile, clean = artifacts.get("profile"), artifacts.get("clean")
    if profile is not None and clean is not None:
        found["strengths"].append(
            text(
                "obs_quality",
                n=text.number(len(profile["findings"])),
                actions=text.number(len(clean["actions"])),
            )
        )


def _model(train: dict, text: Text, found: dict) -> None:
    cv, holdout, baseline = scores(train)
    values = {
        "metric": metric_label(train["metric"]),
        "score": text.score(holdout),
        "baseline": text.score(baseline),
    }
    if beats_baseline(train):
        found["strengths"].append(text("obs_beats_baseline", **values))
    else:
        found["weaknesses"].append(text("obs_within_noise", **values))
    costs = money(train)
    if costs is not None and costs["saved"] > 0:
        found["strengths"].append(
            text("obs_saves", saved=text.number(costs["saved"]), currency=costs["currency"])
        )
    if cv is not None and holdout is not None:
        spread = _chosen_spread(train)
        shortfall = (cv - holdout) if higher_is_better(train) else (holdout - cv)
        key = "obs_unstable" if shortfall > max(2 * spread, 0.02 * abs(cv)) else "obs_stable"
        target = "weaknesses" if key == "obs_unstable" else "strengths"
        found[target].append(text(key, holdout=text.score(holdout), cv=text.score(cv)))


def _chosen_spread(train: dict) -> float:
    """Fold-to-fold spread of the best trial of the chosen family."""
    members = {m["trial"] for m in train["choice"].get("members", [])}
    spreads = [
        r["cv_std"]
        for r in train["leaderboard"]
        if r.get("trial") in members and r.get("cv_std") is not None and math.isfinite(r["cv_std"])
    ]
    return max(spreads) if spreads else 0.0


def _diagnostics(train: dict, text: Text, found: dict) -> None:
    diagnostics = train.get("diagnostics") or {}
    subgroups = diagnostics.get("subgroups") or {}
    for group in flagged_groups(train)[:3]:
        found["weaknesses"].append(
            text(
                "obs_subgroup",
                column=group["column"],
                value=group["value"],
                points=text.number(abs(group["gap"]) * 100),
                direction=text("lower") if group["gap"] < 0 else text("higher"),
                group_recall=text.percent(group["recall"]),
                recall=text.percent(subgroups["recall"]),
            )
        )
    lowest = [g for g in flagged_groups(train) if g["gap"] < 0]
    if lowest:
        found["next_steps"].append(
            text("obs_subgroup_step", column=lowest[0]["column"], value=lowest[0]["value"])
        )
    overfit = [row["model"] for row in diagnostics.get("overfitting") or [] if row["overfit"]]
    if overfit:
        found["weaknesses"].append(text("obs_overfit", models=", ".join(overfit)))
    calibration = diagnostics.get("calibration")
    if calibration:
        pairs = zip(calibration["predicted"], calibration["observed"], strict=True)
        error = sum(abs(p - o) for p, o in pairs) / max(len(calibration["predicted"]), 1)
        if error > CALIBRATION_ERROR:
            found["weaknesses"].append(text("obs_calibration", error=text.number(100 * error)))
    _learning_curve(diagnostics.get("learning_curve"), text, found)
    selection = diagnostics.get("selection") or {}
    if selection.get("dropped") and "score_selected" in selection:
        better = (
            selection["score_selected"] >= selection["score_all"]
            if higher_is_better(train)
            else selection["score_selected"] <= selection["score_all"]
        )
        if better:
            found["next_steps"].append(
                text(
                    "obs_selection",
                    kept=len(selection["kept"]),
                    total=len(selection["kept"]) + len(selection["dropped"]),
                    metric=metric_label(train["metric"]),
                    selected=text.score(selection["score_selected"]),
                    all=text.score(selection["score_all"]),
                    dropped=", ".join(selection["dropped"]),
                )
            )
    if any(r["status"] == "stopped" for r in train["leaderboard"]):
        found["next_steps"].append(text("obs_budget", seconds=text.number(train["search_s"])))


def _learning_curve(curve: dict | None, text: Text, found: dict) -> None:
    """More data, or better features: where the validation curve stops rising."""
    if not curve:
        return
    valid, spread = curve["valid_mean"], curve["valid_std"][-1]
    sizes = curve["train_sizes"]
    if curve.get("more_data_helps"):
        found["next_steps"].append(text("obs_more_data", rows=text.number(sizes[-1])))
        return
    plateau = next(
        (
            size
            for size, value in zip(sizes, valid, strict=True)
            if abs(value - valid[-1]) <= spread
        ),
        sizes[-1],
    )
    found["next_steps"].append(text("obs_better_features", rows=text.number(plateau)))
