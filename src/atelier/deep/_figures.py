"""The deep stage's charts, in the charter's language: curves, learning rates, layers, errors."""

import textwrap
from pathlib import Path

import numpy as np

from atelier._text import Text
from atelier.explore._figures import _BLUE, _GREY, _RED, _figure, _save


def draw_curves(
    history: list[dict],
    best_epoch: int,
    metric: str,
    path: Path,
    say: Text,
    score_key: str = "validation_score",
) -> Path:
    """Loss (training and validation), validation score and learning rate per epoch."""
    epochs = [row["epoch"] for row in history]
    figure, (loss_ax, score_ax, rate_ax) = _figure(12, 3.6, panels=3)
    loss_ax.plot(epochs, [r["train_loss"] for r in history], color=_GREY, label=say("fig_train"))
    loss_ax.plot(
        epochs, [r["validation_loss"] for r in history], color=_BLUE, label=say("fig_validation")
    )
    score_ax.plot(epochs, [r[score_key] for r in history], color=_BLUE)
    rate_ax.plot(epochs, [r["learning_rate"] for r in history], color=_GREY)
    for ax in (loss_ax, score_ax):
        ax.axvline(
            best_epoch, color=_RED, linestyle="--", label=say("fig_best_epoch", n=best_epoch)
        )
    loss_ax.set_title(say("fig_loss_per_epoch"))
    loss_ax.set_ylabel(say("fig_loss"))
    score_ax.set_title(say("fig_validation_score", metric=metric))
    rate_ax.set_title(say("fig_learning_rate"))
    rate_ax.set_yscale("log")
    for ax in (loss_ax, score_ax, rate_ax):
        ax.set_xlabel(say("fig_epoch"))
    loss_ax.legend()
    return _save(figure, path)


def draw_range_test(test: dict, path: Path, say: Text) -> Path:
    """The range test's loss against the learning rate, with the rate chosen."""
    figure, (ax,) = _figure(6.5, 3.8)
    ax.plot(test["learning_rates"], test["losses"], color=_BLUE)
    ax.axvline(
        test["chosen"],
        color=_RED,
        linestyle="--",
        label=say("fig_rate_chosen", rate=test["chosen"]),
    )
    ax.set_xscale("log")
    ax.set_xlabel(say("fig_learning_rate"))
    ax.set_ylabel(say("fig_loss"))
    ax.set_title(say("fig_range_test"))
    ax.legend()
    return _save(figure, path)


def draw_architecture(layers: list[dict], title: str, path: Path, say: Text) -> Path:
    """The network as a column of boxes, input at the top, each with its shape."""
    shown = [row for row in layers if row["kind"] not in {"Dropout"}]
    figure, (ax,) = _figure(7, 0.55 * len(shown) + 1.4)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.5, len(shown) - 0.5)
    ax.invert_yaxis()
    ax.axis("off")
    for position, row in enumerate(shown):
        shape = " x ".join(str(size) for size in row["output_shape"][1:]) or "-"
        colour = _RED if row["activation"] else _BLUE
        ax.add_patch(
            _box(0.08, position - 0.35, 0.84, 0.7, colour, alpha=0.18 if row["activation"] else 0.3)
        )
        label = f"{row['kind']}  →  {shape}"
        if row["parameters"]:
            label += "   " + say("fig_parameters", n=f"{row['parameters']:,}")
        ax.text(0.5, position, label, ha="center", va="center", fontsize=9)
        if position:
            ax.annotate(
                "",
                xy=(0.5, position - 0.35),
                xytext=(0.5, position - 0.65),
                arrowprops={"arrowstyle": "->", "color": _GREY},
            )
    ax.set_title(title)
    return _save(figure, path)


def _box(x, y, width, height, colour, alpha):
    from matplotlib.patches import FancyBboxPatch

    return FancyBboxPatch(
        (x, y), width, height, boxstyle="round,pad=0.02", facecolor=colour, alpha=alpha
    )


def draw_improvements(steps: list[dict], metric: str, path: Path, say: Text) -> Path:
    """Validation score after each step, kept steps in colour."""
    measured = [s for s in steps if s.get("validation") is not None]
    names = [say(f"step_{s['step']}") for s in measured][::-1]
    # the bars keep 4.5 inches whatever the length of the steps' names beside them
    figure, (ax,) = _figure(4.5 + 0.075 * max(map(len, names)), 0.42 * len(measured) + 1.6)
    values = [s["validation"] for s in measured][::-1]
    colours = [_BLUE if s["kept"] else _GREY for s in measured][::-1]
    ax.barh(names, values, color=colours)
    low, high = min(values), max(values)
    margin = 0.15 * (high - low) or 0.01
    ax.set_xlim(low - margin, high + margin)
    ax.set_xlabel(textwrap.fill(say("fig_validation_metric", metric=metric), 60))
    ax.set_title(say("fig_improvements"))
    return _save(figure, path)


def draw_confusion(matrix: list[list[int]], classes: list, path: Path, say: Text) -> Path:
    """The hold-out's confusion matrix, counts in each cell."""
    counts = np.asarray(matrix)
    figure, (ax,) = _figure(4.8, 4.2)
    ax.imshow(counts, cmap="Blues")
    labels = [str(c) for c in classes]
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    for (row, column), value in np.ndenumerate(counts):
        dark = value > counts.max() / 2
        ax.text(column, row, f"{value:,}", ha="center", va="center", color="white" if dark else "k")
    ax.set_xlabel(say("fig_predicted_value"))
    ax.set_ylabel(say("fig_actual"))
    ax.set_title(say("fig_confusion"))
    return _save(figure, path)


def draw_residuals(truth: np.ndarray, predicted: np.ndarray, path: Path, say: Text) -> Path:
    """Residuals against predictions on the hold-out."""
    figure, (ax,) = _figure(6.5, 4)
    ax.scatter(predicted, truth - predicted, s=8, color=_BLUE, alpha=0.5)
    ax.axhline(0, color=_RED, linestyle="--")
    ax.set_xlabel(say("fig_predicted_value"))
    ax.set_ylabel(say("fig_residual"))
    ax.set_title(say("fig_residuals"))
    return _save(figure, path)


def draw_misclassified(
    pixels: np.ndarray,
    rows: list[dict],
    path: Path,
    say: Text,
    spectrograms: bool = False,
    transcripts: bool = False,
) -> Path:
    """The images (or spectrograms) the network got most confidently wrong, with labels.

    With ``transcripts``, the spectrograms of the recordings it transcribed worst,
    each with what it says and what the network wrote.
    """
    from matplotlib.figure import Figure

    columns = min(4, len(rows))
    lines = -(-len(rows) // columns)
    figure = Figure(figsize=(2.4 * columns, 2.5 * lines))
    axes = figure.subplots(lines, columns, squeeze=False)
    for ax in np.ravel(axes):
        ax.axis("off")
    for ax, image, row in zip(np.ravel(axes), pixels, rows, strict=False):
        shown = image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)
        if spectrograms:  # mel bands upwards, time to the right
            ax.imshow(shown, cmap="magma", origin="lower", aspect="auto")
        else:
            ax.imshow(shown, cmap="gray" if image.shape[0] == 1 else None, vmin=0, vmax=1)
        if transcripts:
            title = say(
                "fig_transcript_label",
                actual=row["actual"],
                predicted=row["predicted"] or "∅",
                cer=f"{row['cer']:.0%}",
            )
        else:
            title = say(
                "fig_misclassified_label",
                actual=row["actual"],
                predicted=row["predicted"],
                confidence=f"{row['confidence']:.0%}",
            )
        ax.set_title(title, fontsize=8)
    suptitle = "fig_misclassified_sounds" if spectrograms else "fig_misclassified"
    figure.suptitle(say("fig_mistranscribed" if transcripts else suptitle))
    return _save(figure, path)
