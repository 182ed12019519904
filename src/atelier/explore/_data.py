"""The table explored: which columns are features of which kind, and the target."""

from dataclasses import dataclass

import pandas as pd

from atelier._naming import quote_identifier

MAX_ROWS = 50_000  # statistics beyond this are estimated on a seeded sample
MAX_CATEGORIES = 30
SEED = 0


@dataclass(frozen=True)
class AnalysisFrame:
    """Rows to analyse and the role of each column.

    Attributes
    ----------
    frame : pandas.DataFrame
        The rows (all of them, or a seeded sample of ``MAX_ROWS``).
    table : str
        Where they come from.
    total_rows : int
        Rows in the table.
    numeric, categorical : list of str
        Feature columns by kind.
    target : str or None
        The target column.
    target_kind : str or None
        ``binary``, ``multiclass`` or ``numeric``.
    excluded : dict of str to str
        Columns left out, and why.
    """

    frame: pd.DataFrame
    table: str
    total_rows: int
    numeric: list[str]
    categorical: list[str]
    target: str | None
    target_kind: str | None
    excluded: dict[str, str]

    @property
    def features(self) -> list[str]:
        return self.numeric + self.categorical

    @property
    def sampled(self) -> bool:
        return len(self.frame) < self.total_rows


def load_frame(
    connection, table: str, profile: dict, target: str | None, keys: list[str]
) -> AnalysisFrame:
    """Read ``table`` (sampled beyond ``MAX_ROWS``) and sort its columns into roles.

    Roles come from the profile's semantic types: identifiers, constants, free text,
    dates and personal data are left out, and so are categories with more than
    ``MAX_CATEGORIES`` values.
    """
    schema, _, name = table.rpartition(".")
    relation = f"{schema}.{quote_identifier(name)}"
    total = connection.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
    sample = (
        f" USING SAMPLE reservoir({MAX_ROWS} ROWS) REPEATABLE ({SEED})" if total > MAX_ROWS else ""
    )
    frame = connection.execute(f"SELECT * FROM {relation}{sample}").df()
    semantic = {column["name"]: column["semantic_type"] for column in profile["columns"]}
    personal = {f["columns"][0] for f in profile["findings"] if f["kind"] == "personal_data"}
    numeric, categorical, excluded = [], [], {}
    for column in frame.columns:
        kind = semantic.get(column)
        if column == target:
            continue
        if column in keys or kind == "identifier":
            excluded[column] = "identifier"
        elif column in personal:
            excluded[column] = "personal data"
        elif kind == "numeric" and pd.api.types.is_numeric_dtype(frame[column]):
            numeric.append(column)
        elif kind in {"categorical", "boolean"} and frame[column].nunique() <= MAX_CATEGORIES:
            categorical.append(column)
        else:
            excluded[column] = (
                f"{kind or 'unknown'} column"
                if kind != "categorical"
                else (f"more than {MAX_CATEGORIES} categories")
            )
    for column in categorical:
        frame[column] = frame[column].astype("string").astype(object)
    target_kind = None
    if target is not None:
        frame = frame[frame[target].notna()].reset_index(drop=True)
        classes = frame[target].nunique()
        if semantic.get(target) == "numeric" and classes > 10:
            target_kind = "numeric"
        else:
            frame[target] = frame[target].astype("string").astype(object)
            target_kind = "binary" if classes == 2 else "multiclass"
    return AnalysisFrame(frame, table, total, numeric, categorical, target, target_kind, excluded)
