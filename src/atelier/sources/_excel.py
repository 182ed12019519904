"""Sheets of Excel workbooks, read with openpyxl."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from atelier.charter import ExcelSource
from atelier.exceptions import SourceError
from atelier.sources._arrow import dataframe_to_arrow
from atelier.sources._snapshot import SourceSnapshot, existing_file, hash_file

if TYPE_CHECKING:
    import pyarrow as pa


def snapshot_excel(name: str, spec: ExcelSource, path: Path) -> SourceSnapshot:
    """Fingerprint a workbook; its sheet is read only if the source must be loaded."""
    existing_file(name, path)
    return SourceSnapshot(
        name=name,
        kind=spec.kind,
        location=f"{path} [{spec.sheet}]",
        content_hash=hash_file(path),
        load_arrow=lambda: read_sheet(name, path, spec.sheet),
        details={"sheet": spec.sheet},
    )


def read_sheet(name: str, path: Path, sheet: str | int) -> pa.Table:
    """Read one sheet of a workbook as an Arrow table."""
    import openpyxl
    import pandas as pd

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError) as error:
        raise SourceError(f"source {name!r}: {path} is not an Excel .xlsx workbook") from error
    try:
        sheets = workbook.sheetnames
        if isinstance(sheet, int) and not 0 <= sheet < len(sheets):
            raise SourceError(
                f"source {name!r}: {path} has no sheet number {sheet} (it has {len(sheets)})"
            )
        if isinstance(sheet, str) and sheet not in sheets:
            raise SourceError(f"source {name!r}: {path} has no sheet {sheet!r} (sheets: {sheets})")
        # dtype=object keeps each cell as Excel stored it: without it pandas parses
        # text cells, and the code "007" would become the number 7.
        frame = pd.read_excel(workbook, sheet_name=sheet, engine="openpyxl", dtype=object)
    finally:
        workbook.close()
    return dataframe_to_arrow(frame)
