"""The profile's two charts: what they draw is read back from their pixels."""

import duckdb
import numpy as np
from PIL import Image

from atelier._text import Text
from atelier.quality import profile_relation
from atelier.quality._canvas import BAR
from atelier.quality._figures import draw_distributions, draw_missing

_BAR_RGB = tuple(int(BAR[i : i + 2], 16) for i in (1, 3, 5))


def _bar_lengths(path) -> list[int]:
    """The length of each horizontal bar, top to bottom: the longest run of bar pixels
    on each band of rows that holds some."""
    pixels = np.asarray(Image.open(path).convert("RGB"))
    is_bar = (pixels == _BAR_RGB).all(axis=2)
    widths = is_bar.sum(axis=1)
    lengths, band = [], []
    for width in widths:
        if width:
            band.append(int(width))
        elif band:
            lengths.append(max(band))
            band = []
    return lengths


def _profile(rows: str):
    connection = duckdb.connect()
    connection.execute(f"CREATE TABLE t AS SELECT * FROM (VALUES {rows}) AS t(city, amount)")
    return profile_relation(connection, "t", table="t")


def test_missing_bars_are_as_long_as_the_share_missing(tmp_path):
    # city: 1 of 8 missing; amount: 4 of 8
    result = _profile(
        "(NULL, NULL), ('Lyon', NULL), ('Lyon', NULL), ('Paris', NULL), "
        "('Paris', 1.0), ('Lyon', 2.0), ('Lyon', 3.0), ('Paris', 4.0)"
    )
    lengths = _bar_lengths(draw_missing(result, tmp_path / "missing.png", Text("en")))
    assert len(lengths) == 2
    longest, shortest = lengths  # the longest share first
    assert abs(longest / shortest - 4) < 0.1


def test_no_missing_value_draws_no_bar(tmp_path):
    result = _profile("('Lyon', 1.0), ('Paris', 2.0)")
    assert _bar_lengths(draw_missing(result, tmp_path / "missing.png", Text("fr"))) == []


def test_category_bars_are_as_long_as_their_counts_and_hidden_columns_stay_out(tmp_path):
    result = _profile(", ".join(["('Lyon', 1.0)"] * 30 + ["('Paris', 2.0)"] * 10))
    drawn = draw_distributions(result, tmp_path / "shown.png", hidden={"amount"}, say=Text("en"))
    lengths = _bar_lengths(drawn)
    assert len(lengths) == 2
    assert abs(lengths[0] / lengths[1] - 3) < 0.1
    # the amount column (hidden) would add its histogram's bar pixels beside the city's
    both = draw_distributions(result, tmp_path / "both.png", hidden=set(), say=Text("en"))
    hidden_pixels = (np.asarray(Image.open(drawn).convert("RGB")) == _BAR_RGB).all(axis=2).sum()
    shown_pixels = (np.asarray(Image.open(both).convert("RGB")) == _BAR_RGB).all(axis=2).sum()
    assert shown_pixels > hidden_pixels
