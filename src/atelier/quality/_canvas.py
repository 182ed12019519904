"""A white canvas for the profile's two charts: fonts, fitted labels and round ticks.

The profile's charts are bars and step outlines at a fixed layout. Drawn with Pillow,
they cost a few hundredths of a second; matplotlib's import and its 24 axes took most
of a small file's profile (issue 17, `docs/benchmarks.md`).
"""

import math
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from atelier._text import Text

INK = "#222222"
FRAME = "#999999"
BAR = "#2f5d8a"


@cache
def font(size: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans at ``size`` pixels: matplotlib's copy, so that every chart reads alike.

    Found without importing matplotlib; Pillow's own font where that copy is missing.
    """
    spec = find_spec("matplotlib")
    if spec is not None and spec.submodule_search_locations:
        folder = Path(spec.submodule_search_locations[0])
        path = folder / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


class Canvas:
    """A white image of ``width`` x ``height`` pixels to draw on, then save as PNG."""

    def __init__(self, width: int, height: int) -> None:
        self.image = Image.new("RGB", (width, height), "white")
        self.draw = ImageDraw.Draw(self.image)

    def text(self, xy, text: str, size: int, anchor: str = "la", fill: str = INK) -> None:
        """``text`` at ``xy``, placed by Pillow's ``anchor`` ("la": left, top of the letters)."""
        self.draw.text(xy, text, font=font(size), anchor=anchor, fill=fill)

    def width_of(self, text: str, size: int) -> float:
        """How many pixels ``text`` takes at ``size``."""
        return self.draw.textlength(text, font=font(size))

    def fitted(self, text: str, size: int, width: float) -> str:
        """``text``, cut and ended with "…" where it is wider than ``width`` pixels."""
        if self.width_of(text, size) <= width:
            return text
        while text and self.width_of(text + "…", size) > width:
            text = text[:-1]
        return text + "…"

    def save(self, path: Path, dpi: int) -> Path:
        """Write the image as PNG, its resolution recorded as ``dpi``."""
        self.image.save(path, format="PNG", dpi=(dpi, dpi))
        return path


def round_ticks(low: float, high: float, most: int = 5) -> list[float]:
    """At most ``most`` round values (1, 2, 2.5 or 5 times a power of ten) from low to high.

    Examples
    --------
    >>> round_ticks(0, 100)
    [0.0, 25.0, 50.0, 75.0, 100.0]
    >>> round_ticks(-1000, 80)
    [-1000.0, -750.0, -500.0, -250.0, 0.0]
    """
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    power = 10.0 ** math.floor(math.log10((high - low) / max(most - 1, 1)))
    for multiple in (1, 2, 2.5, 5, 10, 20):
        step = multiple * power
        first = math.ceil(low / step - 1e-9)
        last = math.floor(high / step + 1e-9)
        if last - first + 1 <= most:
            return [round(k * step, 12) + 0.0 for k in range(first, last + 1)]
    return [low, high]


def tick_labels(ticks: list[float], say: Text) -> list[str]:
    """The ticks written alike: the decimals their step needs, thousands as k, millions as M.

    Examples
    --------
    >>> tick_labels([0.0, 50000.0, 100000.0], Text("en"))
    ['0', '50k', '100k']
    >>> tick_labels([0.0, 2.5, 5.0], Text("fr"))
    ['0,0', '2,5', '5,0']
    """
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    largest = max((abs(t) for t in ticks), default=0.0)
    divisor, suffix = 1.0, ""
    for threshold, unit, name in ((1e9, 1e9, "G"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if largest >= threshold and step >= unit / 10:
            divisor, suffix = unit, name
            break
    digits = _decimals(step / divisor)
    return [say.number(t / divisor, digits) + (suffix if t else "") for t in ticks]


def _decimals(step: float) -> int:
    """The decimals a multiple of ``step`` needs (one more for steps of 2.5, 0.25...)."""
    if step >= 1 and float(step).is_integer():
        return 0
    digits = max(0, -math.floor(math.log10(step)))
    return digits + (0 if round(step * 10**digits, 9).is_integer() else 1)
