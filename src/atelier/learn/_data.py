"""The rows the models learn from: the mart, its target, and the hold-out kept aside.

The train stage and the deep stage both call :func:`training_data`, so that the
networks and the classical models are compared on the same hold-out rows, and
cleaned by the same plan.
"""

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupShuffleSplit, train_test_split

from atelier._footprint import machine_memory_bytes
from atelier._naming import quote_identifier, snake_case
from atelier._project import Project
from atelier.charter import is_media_source, kept_text_columns, text_columns
from atelier.clean import cleaner_from_plan
from atelier.exceptions import DataError, StageOrderError
from atelier.learn._metrics import BINARY, REGRESSION, TRANSCRIPTION
from atelier.media import usable_images, usable_sounds
from atelier.sources._snapshot import hash_bytes
from atelier.warehouse._privacy import key_digests

MAX_ROWS = 2_000_000
# The search holds the training rows several times over (folds, models, predictions):
# they may take this share of the machine's memory.
MEMORY_SHARE = 0.05
_MEASURED_ROWS = 10_000  # rows read to measure what one row takes in memory
MAX_STRATA = 50  # a target with more values is a number, sampled by deciles
DECILES = 10
MAX_CLASSES_FOR_NUMBERS = 10  # a numeric target with at most this many values is a class
SEED = 0


@dataclass(frozen=True)
class TrainingData:
    """The prepared mart, split into training rows and the untouched hold-out.

    Attributes
    ----------
    table, target, task : str
    features : list of str
        The columns the models may use (keys, groups, personal data and the plan's
        dropped columns left out).
    X_train, X_test : DataFrame
    y_train, y_test : ndarray
    groups : ndarray or None
        The training rows' groups (``target.group_column``).
    time_column : str or None
    cleaner : Cleaner or None
        The cleaning plan's transformer, unfitted, restricted to ``features``.
    holdout_why : str
    holdout_plan : dict
    notes : list of str
    source_hash : str
        Hash of the profile the rows were read after.
    """

    table: str
    target: str
    task: str
    features: list
    X_train: pd.DataFrame
    y_train: np.ndarray
    X_test: pd.DataFrame
    y_test: np.ndarray
    groups: np.ndarray | None
    time_column: str | None
    cleaner: object
    holdout_why: str
    holdout_plan: dict
    notes: list
    source_hash: str
    key_digests_train: list[str] | None = None
    images: object = None  # ImageInput, when the rows are images
    sounds: object = None  # SoundInput, when the rows are recordings
    extra_train: pd.DataFrame | None = None
    extra_test: pd.DataFrame | None = None
    keys_train: pd.DataFrame | None = None  # the base source's key columns, per row
    keys_test: pd.DataFrame | None = None
    mart_rows: int | None = None  # the mart's rows when a sample of them was searched


def warehouse_salt(project: Project) -> str:
    """The warehouse's salt for key digests (see :mod:`atelier.warehouse._privacy`)."""
    with project.connect() as connection:
        return connection.execute("SELECT salt FROM audit.salt").fetchone()[0]


def training_data(project: Project, extra: list[str] | tuple[str, ...] = ()) -> TrainingData:
    """Read and split the mart of ``project`` as the charter says.

    ``extra`` names mart columns to return beside the features, split the same way
    (``extra_train``, ``extra_test``), whether or not they are features: the
    attributes a fairness audit groups by.

    Raises
    ------
    StageOrderError
        If the project was not profiled yet.
    DataError
        For a missing target column, a single-valued target, or a time or group
        column that does not exist.
    """
    charter = project.charter
    settings = charter.training
    table, frame, notes, source_hash, mart_rows = load_mart(project)
    target = charter.target.column
    cleaner = cleaner_from_plan(charter.cleaning) if charter.cleaning is not None else None
    if cleaner is not None and target in frame.columns:
        # the target's own cleaning (missing tokens, spellings of a label) comes before any split
        frame[target] = cleaner.restricted_to([target]).fit_transform(frame[[target]])[target]
    keys = [snake_case(k) for k in charter.sources[charter.mart.base].key]
    missing_target = frame[target].isna()
    if missing_target.any():
        notes.append(f"{int(missing_target.sum()):,} rows without a {target!r} value left out")
        frame = frame.loc[~missing_target].reset_index(drop=True)
    transcribed = charter.target.task == TRANSCRIPTION
    if transcribed:
        frame, note = _said(frame, target)
        notes += [note] if note else []
    if frame[target].nunique() < 2:
        raise DataError(
            f"{table}: the target {target!r} has a single value; there is nothing to learn"
        )
    time_column, group_column = charter.target.time_column, charter.target.group_column
    for role, column in (("time_column", time_column), ("group_column", group_column)):
        if column is not None and column not in frame.columns:
            raise DataError(f"atelier.yaml: target.{role}: {column!r} is not a column of {table}")
    if time_column is not None:
        frame = frame.sort_values(time_column, kind="stable").reset_index(drop=True)
    task = TRANSCRIPTION if transcribed else _task_of(frame[target])
    dropped = set(charter.cleaning.drop_columns) if charter.cleaning is not None else set()
    features = [c for c in frame.columns if c not in {target, *keys, group_column, *dropped}]
    texts = [c for c in text_columns(charter) if c in features]
    if texts:
        frame, note = _unique_texts(frame, texts)
        notes += [note] if note else []
    images = None
    sounds = None
    if charter.sources[charter.mart.base].kind == "audio":
        # the features are the recordings, which the models hear from their items
        frame, sounds, found = usable_sounds(frame, charter.mart.base, whole=transcribed)
        notes += found
        features, cleaner = ["item"], None
    elif is_media_source(charter.sources[charter.mart.base]):
        # the features are the images themselves, which the models decode from their items
        frame, images, found = usable_images(frame, charter.mart.base)
        notes += found
        features, cleaner = ["item"], None
    train_rows, holdout_rows, holdout_why = _holdout(
        frame, target, task, settings.holdout, time_column, group_column
    )
    holdout_plan = {
        "kind": "time" if time_column else "group" if group_column else "random",
        "share": settings.holdout,
        "column": time_column or group_column,
        "stratified": "stratified" in holdout_why,
    }
    unknown = [column for column in extra if column not in frame.columns]
    if unknown:
        raise DataError(
            f"atelier.yaml: fairness.attributes: {unknown[0]!r} is not a column of {table}"
        )
    X, y = frame[features], frame[target].to_numpy()
    X_train, y_train = X.iloc[train_rows].reset_index(drop=True), y[train_rows]
    X_test, y_test = X.iloc[holdout_rows].reset_index(drop=True), y[holdout_rows]
    groups = frame[group_column].to_numpy()[train_rows] if group_column else None
    keyed = bool(keys) and all(key in frame.columns for key in keys)
    digests = None
    if len(keys) == 1 and keys[0] in frame.columns:
        digests = key_digests(warehouse_salt(project), frame[keys[0]].tolist())
        digests = [digests[row] for row in train_rows]
    return TrainingData(
        table=table,
        target=target,
        task=task,
        features=features,
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        groups=groups,
        time_column=time_column,
        cleaner=None if cleaner is None else cleaner.restricted_to(features),
        holdout_why=holdout_why,
        holdout_plan=holdout_plan,
        notes=notes,
        source_hash=source_hash,
        key_digests_train=digests,
        images=images,
        sounds=sounds,
        extra_train=frame[list(extra)].iloc[train_rows].reset_index(drop=True) if extra else None,
        extra_test=frame[list(extra)].iloc[holdout_rows].reset_index(drop=True) if extra else None,
        keys_train=frame[keys].iloc[train_rows].reset_index(drop=True) if keyed else None,
        keys_test=frame[keys].iloc[holdout_rows].reset_index(drop=True) if keyed else None,
        mart_rows=mart_rows,
    )


def load_mart(project: Project) -> tuple[str, pd.DataFrame, list[str], str, int | None]:
    """The mart as ingest built it: ``(table, frame, notes, source_hash, mart_rows)``.

    ``mart_rows`` is the mart's row count when only a sample of it fits in memory
    (see :func:`_rows_that_fit`), else None.
    """
    profile_file = project.artifact_dir("profile") / "result.json"
    if not profile_file.exists():
        raise StageOrderError(
            f"{project.root}: no profile yet; run `atelier profile -p {project.root}` first"
        )
    charter = project.charter
    notes: list[str] = []
    # The mart as ingest built it: the cleaning plan's values are learned inside the model
    # pipeline, on training rows only; the cleaned table is exploration's.
    table = f"mart.{charter.mart.table}"
    source_hash = hash_bytes(profile_file.read_bytes())
    if charter.cleaning is None:
        notes.append(f"{table} has no cleaning plan (`atelier clean`); it is used as it is")
    relation = f"mart.{quote_identifier(charter.mart.table)}"
    with project.connect() as connection:
        columns = [row[0] for row in connection.execute(f"DESCRIBE {relation}").fetchall()]
        if charter.target.column not in columns:
            raise DataError(
                f"{table}: the target column {charter.target.column!r} does not exist "
                f"(columns: {columns}); fix `target.column` in atelier.yaml"
            )
        frame, note, mart_rows = _rows_that_fit(connection, relation, charter.target.column)
        if note:
            notes.append(note)
    if charter.cleaning is not None and charter.cleaning.drop_duplicate_rows:
        before = len(frame)
        frame = frame.drop_duplicates(ignore_index=True)
        if len(frame) < before:
            notes.append(f"{before - len(frame):,} duplicate rows dropped before the split")
    profile = json.loads(profile_file.read_text())
    personal = {f["columns"][0] for f in profile["findings"] if f["kind"] == "personal_data"}
    # free text the policy keeps for a purpose is read as words: that is its purpose
    purposed = kept_text_columns(charter)
    for column in sorted(set(purposed) & personal & set(frame.columns)):
        notes.append(
            f"{column}: free text with personal data, kept by the policy "
            f"({purposed[column]}); the models read its words"
        )
    present = sorted((personal - set(purposed)) & set(frame.columns))
    if present:
        frame = frame.drop(columns=present)
        notes.append(f"personal data never used as features: {', '.join(present)}")
    return table, frame, notes, source_hash, mart_rows


def _rows_that_fit(connection, relation: str, target: str):
    """The mart's rows, or a stratified sample of them sized from the machine's memory.

    Returns ``(frame, note, mart_rows)``: the note and the mart's row count are None
    when every row fits.

    A row's size is measured on the first rows as pandas holds them; the sample keeps
    each target value's share of the rows (to the row), drawn in a seeded order, so
    that a search past the machine's memory still sees every class as it is.
    """
    total = connection.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
    head = connection.execute(f"SELECT * FROM {relation} LIMIT {_MEASURED_ROWS}").df()
    row_bytes = max(head.memory_usage(deep=True).sum() / max(len(head), 1), 1.0)
    budget = machine_memory_bytes() * MEMORY_SHARE
    fitting = int(min(MAX_ROWS, budget / row_bytes)) if budget else MAX_ROWS
    if total <= fitting:
        return connection.execute(f"SELECT * FROM {relation}").df(), None, None
    share = fitting / total
    label = quote_identifier(target)
    values = connection.execute(f"SELECT approx_count_distinct({label}) FROM {relation}")
    classes = values.fetchone()[0] <= MAX_STRATA
    # a class is its own stratum; a number is cut into deciles of its values
    stratum = label if classes else f"ntile({DECILES}) OVER (ORDER BY {label})"
    # a seeded order, the same on every run: the hash of the whole row (as one struct)
    frame = connection.execute(
        f"SELECT * EXCLUDE (_atelier_stratum, _atelier_order, _atelier_rank, _atelier_size) "
        f"FROM ("
        f"  SELECT *, row_number() OVER strata AS _atelier_rank, "
        f"  count(*) OVER (PARTITION BY _atelier_stratum) AS _atelier_size "
        f"  FROM (SELECT *, {stratum} AS _atelier_stratum, "
        f"        hash(_atelier_row, {SEED}) AS _atelier_order "
        f"        FROM {relation} AS _atelier_row) "
        f"  WINDOW strata AS (PARTITION BY _atelier_stratum ORDER BY _atelier_order)) "
        f"WHERE _atelier_rank <= ceil(_atelier_size * {share!r})"
    ).df()
    memory = f"{row_bytes * len(frame) / 2**20:,.0f} MB"
    kept = f"each value of {target}" if classes else f"each decile of {target}"
    note = (
        f"{total:,} rows: a stratified sample of {len(frame):,} ({share:.1%} of {kept}) "
        f"is searched: {memory} in memory, within {MEMORY_SHARE:.0%} of the machine's "
        f"{machine_memory_bytes() / 2**30:,.0f} GB"
    )
    return frame, note, total


def _unique_texts(frame: pd.DataFrame, texts: list[str]) -> tuple[pd.DataFrame, str | None]:
    """The rows whose texts no earlier row repeats (case and spaces aside).

    A copy on each side of the hold-out would inflate its score: the model would be
    judged on texts it learnt by heart.
    """
    normal = frame[texts].astype("string").fillna("")
    for column in texts:
        normal[column] = normal[column].str.lower().str.split().str.join(" ")
    copies = normal.duplicated()
    if not copies.any():
        return frame, None
    note = (
        f"{int(copies.sum()):,} rows repeating an earlier row's {', '.join(texts)} left out "
        "before the split (the first kept)"
    )
    return frame.loc[~copies].reset_index(drop=True), note


def _said(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, str | None]:
    """Transcripts as text without outer spaces; recordings with an empty one left out."""
    said = frame[target].astype(str).str.strip()
    empty = said == ""
    frame = frame.assign(**{target: said}).loc[~empty].reset_index(drop=True)
    note = (
        f"{int(empty.sum()):,} recordings with an empty {target!r} left out"
        if empty.any()
        else None
    )
    return frame, note


def _task_of(target: pd.Series) -> str:
    values = target.dropna()
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and values.nunique() > MAX_CLASSES_FOR_NUMBERS:
        return REGRESSION
    return BINARY if values.nunique() == 2 else "multiclass"


def _holdout(frame, target, task, share, time_column, group_column):
    rows = np.arange(len(frame))
    if time_column is not None:
        cut = round(len(frame) * (1 - share))
        return (
            rows[:cut],
            rows[cut:],
            (f"the last {share:.0%} of rows in {time_column!r} order, untouched by the search"),
        )
    if group_column is not None:
        splitter = GroupShuffleSplit(n_splits=1, test_size=share, random_state=SEED)
        train, test = next(splitter.split(rows, groups=frame[group_column]))
        return train, test, (f"{share:.0%} of the {group_column!r} groups, untouched by the search")
    counts = frame[target].value_counts()
    classes = task not in (REGRESSION, TRANSCRIPTION)
    stratify = frame[target] if classes and counts.min() >= 2 else None
    train, test = train_test_split(rows, test_size=share, stratify=stratify, random_state=SEED)
    how = "stratified " if stratify is not None else ""
    return train, test, f"a {how}random {share:.0%} of rows, untouched by the search"
