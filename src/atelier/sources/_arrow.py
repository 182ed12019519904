"""Turning the pandas frames that Python readers return into Arrow tables."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


def dataframe_to_arrow(frame: "pd.DataFrame") -> "pa.Table":
    """Convert a frame to Arrow, keeping a column of mixed types as text.

    Excel sheets and database drivers hand over object columns that may mix
    numbers and strings; such a column is kept as strings (``None`` stays null),
    so that the profile can report the mix rather than the load failing on it.
    """
    import pyarrow as pa

    from atelier._values import is_missing

    columns = {}
    for name in frame.columns:
        series = frame[name]
        try:
            columns[str(name)] = pa.array(series, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            as_text = [None if is_missing(value) else str(value) for value in series]
            columns[str(name)] = pa.array(as_text, type=pa.string())
    return pa.table(columns)
