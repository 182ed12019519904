"""The training stage's charts: each titled, with labelled axes, readable at report size."""

from pathlib import Path

import numpy as np
import pandas as pd

from atelier.explore._figures import _BLUE, _GREY, _RED, _figure, _save


def draw_leaderboard(board: pd.DataFrame, metric: str, path: Path) -> Path:
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
    ax.set_xlabel(f"cross-validated {metric} (bar: mean, line: one standard deviation)")
    ax.set_title("Best trial of each model family")
    ax.legend(loc="lower right")
    return _save(figure, path)


def draw_learning_curve(curve: dict, metric: str, model: str, path: Path) -> Path:
    """Training and validation score as the training set grows."""
    figure, (ax,) = _figure(6.5, 4)
    sizes = np.asarray(curve["train_sizes"])
    for key, label, color in (("train", "training rows", _GREY), ("valid", "validation", _BLUE)):
        mean = np.asarray(curve[f"{key}_mean"])
        std = np.asarray(curve[f"{key}_std"])
        ax.plot(sizes, mean, marker="o", color=color, label=label)
        ax.fill_between(sizes, mean - std, mean + std, color=color, alpha=0.15)
    ax.set_xlabel("training rows")
    ax.set_ylabel(metric)
    ax.set_title(f"Learning curve of {model}")
    ax.legend()
    return _save(figure, path)


def draw_thresholds(table: pd.DataFrame, chosen: float, currency: str, path: Path) -> Path:
    """Business cost, precision and recall at every threshold, the chosen one marked."""
    figure, (cost_ax, rate_ax) = _figure(11, 4, 2)
    cost_ax.plot(table["threshold"], table["cost_per_1000"], color=_BLUE)
    cost_ax.axvline(chosen, color=_RED, linestyle="--", label=f"chosen: {chosen:.2f}")
    cost_ax.axvline(0.5, color=_GREY, linestyle=":", label="0.50")
    cost_ax.set_xlabel("decision threshold (probability)")
    cost_ax.set_ylabel(f"cost per 1,000 rows ({currency})")
    cost_ax.set_title("Business cost by threshold")
    cost_ax.legend()
    rate_ax.plot(table["threshold"], 100 * table["recall"], color=_BLUE, label="recall (found)")
    rate_ax.plot(
        table["threshold"], 100 * table["precision"], color=_RED, label="precision (alerts right)"
    )
    rate_ax.axvline(chosen, color=_GREY, linestyle="--")
    rate_ax.set_xlabel("decision threshold (probability)")
    rate_ax.set_ylabel("%")
    rate_ax.set_title("What the model finds, and how often it is right")
    rate_ax.legend()
    return _save(figure, path)


def draw_calibration(calibration: dict, path: Path) -> Path:
    """Predicted probability against the observed rate, per bin."""
    figure, (ax,) = _figure(5, 5)
    ax.plot([0, 1], [0, 1], color=_GREY, linestyle=":", label="perfectly calibrated")
    ax.plot(
        calibration["predicted"],
        calibration["observed"],
        marker="o",
        color=_BLUE,
        label=f"model (Brier {calibration['brier']:.3f})",
    )
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed share of positives")
    ax.set_title("Calibration on the hold-out rows")
    ax.legend()
    return _save(figure, path)


def draw_importance(importance: list[dict], metric: str, path: Path) -> Path:
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
    ax.set_xlabel(f"drop in {metric} when the feature is shuffled")
    ax.set_title("What the model relies on (hold-out rows)")
    return _save(figure, path)
