"""The profile's figures: missing values, and the distribution of each column."""

import math
from pathlib import Path

from atelier._text import Text
from atelier.quality._result import ProfileResult

MAX_DISTRIBUTIONS = 24
_SHOWN_TYPES = ("numeric", "categorical", "boolean")
_BAR = "#2f5d8a"


def draw_missing(result: ProfileResult, path: Path, say: Text) -> Path:
    """A bar per column with missing values: the share of rows missing."""
    from matplotlib.figure import Figure

    columns = sorted((c for c in result.columns if c.missing), key=lambda c: c.missing_rate)
    figure = Figure(figsize=(8, max(2.2, 0.32 * len(columns) + 1.4)))
    axes = figure.subplots()
    if columns:
        axes.barh(
            [_shortened(c.name) for c in columns],
            [100 * c.missing_rate for c in columns],
            color=_BAR,
        )
        for index, column in enumerate(columns):
            axes.text(
                100 * column.missing_rate, index, f"  {column.missing:,}", va="center", fontsize=8
            )
        axes.set_xlim(0, max(100 * columns[-1].missing_rate * 1.25, 1))
    else:
        axes.text(
            0.5,
            0.5,
            say("fig_no_missing"),
            ha="center",
            va="center",
            fontsize=12,
            transform=axes.transAxes,
        )
        axes.set_yticks([])
    axes.set_xlabel(say("fig_missing"))
    axes.set_title(
        say("fig_missing_title", table=result.table, rows=say.number(result.rows)), loc="left"
    )
    # the margin for the longest column name, computed rather than measured by a
    # "tight" bounding box, which draws the figure twice
    longest = max((len(_shortened(c.name)) for c in columns), default=0)
    height = figure.get_figheight()
    figure.subplots_adjust(
        left=(0.4 + 0.085 * longest) / 8,
        right=0.97,
        bottom=0.55 / height,
        top=1 - 0.4 / height,
    )
    figure.savefig(path, dpi=100, facecolor="white")
    return path


def _shortened(name: str, most: int = 40) -> str:
    return name if len(name) <= most else name[: most - 1] + "…"


def draw_distributions(result: ProfileResult, path: Path, hidden: set[str], say: Text) -> Path:
    """Small multiples: a histogram per numeric column, top categories otherwise.

    Columns in ``hidden`` (personal data) are never drawn.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator, NullLocator

    columns = [
        c for c in result.columns if c.semantic_type in _SHOWN_TYPES and c.name not in hidden
    ][:MAX_DISTRIBUTIONS]
    per_row = 4
    n_rows = max(1, math.ceil(len(columns) / per_row))
    figure = Figure(figsize=(4 * per_row, 2.6 * n_rows + 0.6))
    grid = figure.subplots(n_rows, per_row, squeeze=False)
    for axes, column in zip(grid.flat, columns, strict=False):
        # Counts are written on the category bars and left off the histograms, whose
        # shape is what they show: a count axis per panel cost a quarter of the figure.
        if column.semantic_type == "numeric" and column.histogram is not None:
            # one filled step outline, not a rectangle per bin: a tenth of the artists
            axes.stairs(column.histogram.counts, column.histogram.edges, fill=True, color=_BAR)
            axes.xaxis.set_major_locator(MaxNLocator(nbins=5))
            axes.yaxis.set_major_locator(NullLocator())
        else:
            shown = column.top_values[:8][::-1]
            bars = axes.barh(
                [str(v.value)[:22] for v in shown], [v.count for v in shown], color=_BAR
            )
            axes.bar_label(bars, labels=[f"{v.count:,}" for v in shown], fontsize=7, padding=2)
            axes.set_xlim(0, max((v.count for v in shown), default=1) * 1.25)
            axes.xaxis.set_major_locator(NullLocator())
        axes.set_title(f"{column.name} ({column.semantic_type})", fontsize=9, loc="left")
        axes.tick_params(labelsize=7)
    for axes in list(grid.flat)[len(columns) :]:
        axes.axis("off")
    figure.suptitle(say("fig_distributions_title", table=result.table), x=0.01, ha="left")
    # Fixed margins, wide enough for category labels of 22 characters: tight_layout
    # measured every tick label of every panel and took most of a small table's profile.
    # The margins are inches turned into shares of the figure; between rows, a share of
    # a panel's height (about 0.63, set by eye on 6-row figures) leaves room for a
    # panel's tick labels and the next panel's title.
    height = figure.get_figheight()
    figure.subplots_adjust(
        left=0.085, right=0.99, bottom=0.45 / height, top=1 - 0.75 / height, wspace=0.55,
        hspace=0.75 / 2.6 * 2.2,
    )  # fmt: skip
    figure.savefig(path, dpi=90, facecolor="white")
    return path
