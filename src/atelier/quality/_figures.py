"""The profile's figures: missing values, and the distribution of each column."""

import math
from pathlib import Path

from atelier._text import Text
from atelier.quality._canvas import BAR, FRAME, Canvas, round_ticks, tick_labels
from atelier.quality._result import ColumnProfile, ProfileResult

MAX_DISTRIBUTIONS = 24
_SHOWN_TYPES = ("numeric", "categorical", "boolean")

# the distributions: 4 panels a row, each 360 x 234 pixels
_PER_ROW = 4
_PANEL_WIDTH = 360
_PANEL_HEIGHT = 234
_LABELS_WIDTH = 118  # category labels of 22 characters, left of every panel's plot
_TOP = 56


def draw_missing(result: ProfileResult, path: Path, say: Text) -> Path:
    """A bar per column with missing values, longest first: the share of rows missing."""
    columns = sorted((c for c in result.columns if c.missing), key=lambda c: -c.missing_rate)
    row, top, bottom = 32, 48, 64
    width = 800
    canvas = Canvas(width, top + (len(columns) or 2) * row + bottom)
    canvas.text(
        (16, 14), say("fig_missing_title", table=result.table, rows=say.number(result.rows)), 16
    )
    names = [canvas.fitted(c.name, 13, 260) for c in columns]
    left = 24 + max((canvas.width_of(name, 13) for name in names), default=0)
    right, plot_bottom = width - 24, canvas.image.height - bottom
    canvas.draw.rectangle((left, top, right, plot_bottom), outline=FRAME)
    if not columns:
        canvas.text(((left + right) / 2, (top + plot_bottom) / 2), say("fig_no_missing"), 15, "mm")
    most = max((100 * c.missing_rate * 1.25 for c in columns), default=1.0)
    scale = (right - left) / max(most, 1.0)
    for index, (column, name) in enumerate(zip(columns, names, strict=True)):
        middle = top + (index + 0.5) * row
        end = left + 100 * column.missing_rate * scale
        canvas.draw.rectangle((left, middle - 0.4 * row, end, middle + 0.4 * row), fill=BAR)
        canvas.text((left - 8, middle), name, 13, "rm")
        canvas.text((end + 6, middle), say.number(column.missing), 11, "lm")
    ticks = round_ticks(0.0, max(most, 1.0), most=8)
    for tick, label in zip(ticks, tick_labels(ticks, say), strict=True):
        x = left + tick * scale
        canvas.draw.line((x, plot_bottom, x, plot_bottom + 4), fill=FRAME)
        canvas.text((x, plot_bottom + 7), label, 12, "mt")
    canvas.text(((left + right) / 2, plot_bottom + 30), say("fig_missing"), 13, "mt")
    return canvas.save(path, dpi=100)


def draw_distributions(result: ProfileResult, path: Path, hidden: set[str], say: Text) -> Path:
    """Small multiples: a histogram per numeric column, top categories otherwise.

    Columns in ``hidden`` (personal data) are never drawn.
    """
    columns = [
        c for c in result.columns if c.semantic_type in _SHOWN_TYPES and c.name not in hidden
    ][:MAX_DISTRIBUTIONS]
    n_rows = max(1, math.ceil(len(columns) / _PER_ROW))
    canvas = Canvas(_PER_ROW * _PANEL_WIDTH, _TOP + n_rows * _PANEL_HEIGHT)
    canvas.text((12, 16), say("fig_distributions_title", table=result.table), 17)
    for index, column in enumerate(columns):
        x = (index % _PER_ROW) * _PANEL_WIDTH
        y = _TOP + (index // _PER_ROW) * _PANEL_HEIGHT
        plot = (x + _LABELS_WIDTH, y + 24, x + _PANEL_WIDTH - 22, y + _PANEL_HEIGHT - 40)
        title = f"{column.name} ({say('fig_type_' + column.semantic_type)})"
        canvas.text((plot[0], y + 4), canvas.fitted(title, 12, plot[2] - plot[0]), 12)
        canvas.draw.rectangle(plot, outline=FRAME)
        if column.semantic_type == "numeric" and column.histogram is not None:
            _draw_histogram(canvas, plot, column, say)
        else:
            _draw_top_values(canvas, plot, column, say)
    return canvas.save(path, dpi=90)


def _draw_histogram(canvas: Canvas, plot, column: ColumnProfile, say: Text) -> None:
    """The histogram as one filled step outline, round values under it; no count axis.

    A histogram's shape is what it shows: its counts are left off.
    """
    left, top, right, bottom = plot
    counts, edges = column.histogram.counts, column.histogram.edges
    low, high = edges[0], edges[-1]
    span = (high - low) or 1.0
    tallest = max(max(counts, default=0), 1) * 1.05

    def x_of(value: float) -> float:
        return left + 4 + (value - low) / span * (right - left - 8)

    outline = [(x_of(low), bottom)]
    for count, start, end in zip(counts, edges[:-1], edges[1:], strict=True):
        height = bottom - count / tallest * (bottom - top)
        outline += [(x_of(start), height), (x_of(end), height)]
    outline.append((x_of(high), bottom))
    canvas.draw.polygon(outline, fill=BAR)
    ticks = round_ticks(low, high, most=4)
    labels = tick_labels(ticks, say)
    for tick, label in zip(ticks, labels, strict=True):
        canvas.draw.line((x_of(tick), bottom, x_of(tick), bottom + 4), fill=FRAME)
        canvas.text((x_of(tick), bottom + 6), label, 11, "mt")


def _draw_top_values(canvas: Canvas, plot, column: ColumnProfile, say: Text) -> None:
    """The eight most frequent values as bars, most frequent on top, their counts at the end."""
    left, top, right, bottom = plot
    shown = column.top_values[:8]
    if not shown:
        return
    most = max(v.count for v in shown) * 1.25
    row = (bottom - top) / len(shown)
    thickness = min(0.75 * row, 28)
    for index, value in enumerate(shown):
        middle = top + (index + 0.5) * row
        end = left + value.count / most * (right - left)
        canvas.draw.rectangle((left, middle - thickness / 2, end, middle + thickness / 2), fill=BAR)
        label = canvas.fitted(str(value.value)[:22], 11, _LABELS_WIDTH - 10)
        canvas.text((left - 5, middle), label, 11, "rm")
        canvas.text((end + 4, middle), say.number(value.count), 10, "lm")
