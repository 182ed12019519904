"""The training stage's charts: each titled, with labelled axes, readable at report size."""

from pathlib import Path

import numpy as np
import pandas as pd

from atelier._text import Text
from atelier.explore._figures import _BLUE, _GREY, _RED, _figure, _save


def draw_leaderboard(board: pd.DataFrame, metric: str, path: Path, say: Text) -> Path:
    """Best cross-validated score of each family, with its spread across folds."""
    complete = board[board["status"] == "complete"]
    best = complete.groupby("model", sort=False).head(1).iloc[::-1]
    figure, (ax,) = _figure(7, 0.45 * len(best) + 1.6)
    ax.barh(best["model"], best["cv_mean"], xerr=best["cv_std"].fillna(0), color=_BLUE)
    final = board.iloc[0]
    ax.axvline(final["cv_mean"], color=_RED, linestyle="--", label=f"{final['model']}")
    low = min(best["cv_mean"].min(), final["cv_mean"])
    high = max(best["cv_mean"].max(), final["cv_mean"])
    margin = 0.1 * (high - low) or 0.01
    ax.set_xlim(low - margin, high + margin)
    ax.set_xlabel(say("fig_cv_metric", metric=metric))
    ax.set_title(say("fig_best_of_family"))
    ax.legend(loc="lower right")
    return _save(figure, path)


def draw_learning_curve(curve: dict, metric: str, model: str, path: Path, say: Text) -> Path:
    """Training and validation score as the training set grows."""
    figure, (ax,) = _figure(6.5, 4)
    sizes = np.asarray(curve["train_sizes"])
    for key, label, color in (
        ("train", say("fig_training_rows"), _GREY),
        ("valid", say("fig_validation"), _BLUE),
    ):
        mean = np.asarray(curve[f"{key}_mean"])
        std = np.asarray(curve[f"{key}_std"])
        ax.plot(sizes, mean, marker="o", color=color, label=label)
        ax.fill_between(sizes, mean - std, mean + std, color=color, alpha=0.15)
    ax.set_xlabel(say("fig_training_rows"))
    ax.set_ylabel(metric)
    ax.set_title(say("fig_learning_curve", model=model))
    ax.legend()
    return _save(figure, path)


def draw_refit_curve(refit: dict, path: Path, say: Text) -> Path:
    """Check-slice score of the refits on more and more rows, beside the searched champion."""
    figure, (ax,) = _figure(6.5, 4)
    rows = [point["rows"] for point in refit["curve"]]
    scores = [point["score"] for point in refit["curve"]]
    ax.plot(rows, scores, marker="o", color=_BLUE, label=say("fig_refit_points"))
    ax.axhline(
        refit["champion_score"], color=_GREY, linestyle="--", label=say("fig_searched_champion")
    )
    ax.set_xscale("log")
    ax.set_xticks(rows, [say.number(n) for n in rows], minor=False)
    ax.set_xticks([], minor=True)
    ax.set_xlabel(say("fig_refit_rows"))
    ax.set_ylabel(
        say("fig_refit_score", metric=refit["metric"], rows=say.number(refit["rows_check"]))
    )
    ax.set_title(say("fig_refit_curve", learner=refit["learner"]))
    ax.legend()
    return _save(figure, path)


def draw_thresholds(
    table: pd.DataFrame, chosen: float, currency: str, path: Path, say: Text
) -> Path:
    """Business cost, precision and recall at every threshold, the chosen one marked."""
    figure, (cost_ax, rate_ax) = _figure(11, 4, 2)
    cost_ax.plot(table["threshold"], table["cost_per_1000"], color=_BLUE)
    cost_ax.axvline(
        chosen, color=_RED, linestyle="--", label=say("fig_chosen", threshold=say.number(chosen, 2))
    )
    cost_ax.axvline(0.5, color=_GREY, linestyle=":", label=say.number(0.5, 2))
    cost_ax.set_xlabel(say("fig_threshold"))
    cost_ax.set_ylabel(say("fig_cost_per_1000", currency=currency))
    cost_ax.set_title(say("fig_cost_title"))
    cost_ax.legend()
    rate_ax.plot(table["threshold"], 100 * table["recall"], color=_BLUE, label=say("fig_recall"))
    rate_ax.plot(
        table["threshold"], 100 * table["precision"], color=_RED, label=say("fig_precision")
    )
    rate_ax.axvline(chosen, color=_GREY, linestyle="--")
    rate_ax.set_xlabel(say("fig_threshold"))
    rate_ax.set_ylabel("%")
    rate_ax.set_title(say("fig_rates_title"))
    rate_ax.legend()
    return _save(figure, path)


def draw_calibration(calibration: dict, path: Path, say: Text) -> Path:
    """Predicted probability against the observed rate, per bin."""
    figure, (ax,) = _figure(5, 5)
    ax.plot([0, 1], [0, 1], color=_GREY, linestyle=":", label=say("fig_calibrated"))
    ax.plot(
        calibration["predicted"],
        calibration["observed"],
        marker="o",
        color=_BLUE,
        label=say("fig_model_brier", brier=say.number(calibration["brier"], 3)),
    )
    ax.set_xlabel(say("fig_predicted"))
    ax.set_ylabel(say("fig_observed"))
    ax.set_title(say("fig_calibration_title"))
    ax.legend()
    return _save(figure, path)


def draw_importance(importance: list[dict], metric: str, path: Path, say: Text) -> Path:
    """Permutation importance of the 15 most important features."""
    shown = importance[:15][::-1]
    figure, (ax,) = _figure(7, 0.35 * len(shown) + 1.6)
    ax.barh(
        [r["feature"][:30] for r in shown],
        [r["mean"] for r in shown],
        xerr=[r["std"] for r in shown],
        color=_BLUE,
    )
    ax.axvline(0, color=_GREY, linewidth=0.8)
    ax.set_xlabel(say("fig_importance", metric=metric))
    ax.set_title(say("fig_importance_title"))
    return _save(figure, path)
