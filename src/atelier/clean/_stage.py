"""The clean stage: apply the charter's cleaning plan to the mart, and log every change."""

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from atelier._artifacts import staged_artifact_dir, write_result
from atelier._naming import quote_identifier, snake_case
from atelier._project import Project
from atelier.charter import CleaningPlan, append_section, kept_text_columns
from atelier.clean._cleaner import Cleaner
from atelier.clean._plan import plan_yaml, propose_plan
from atelier.exceptions import DataError, StageOrderError
from atelier.sources._snapshot import hash_bytes
from atelier.warehouse._catalog import drop_relation

STAGE = "clean"
CLEANER_FILE = "cleaner.json"


@dataclass(frozen=True)
class CleanResult:
    """What the clean stage did.

    Attributes
    ----------
    table, cleaned_table : str
        The mart table read, and the cleaned table written beside it.
    plan_proposed : bool
        Whether the plan was proposed in this run and written into the charter.
    plan : dict
        The plan as applied.
    rows_before, rows_after : int
        Row counts before and after.
    kept_columns : list of str
        Key columns carried into the cleaned table as they are, never as features.
    actions : list of dict
        One entry per action and column: ``action``, ``column``, ``rows`` changed,
        ``before`` and ``after`` summaries.
    duration_s : float
    """

    table: str
    cleaned_table: str
    plan_proposed: bool
    plan: dict
    rows_before: int
    rows_after: int
    kept_columns: list[str]
    actions: list[dict]
    duration_s: float


def clean(project: Project) -> tuple[Project, CleanResult]:
    """Apply the charter's cleaning plan to the mart, proposing the plan first if none.

    Parameters
    ----------
    project : Project

    Returns
    -------
    project : Project
        The project, reloaded if the plan was written into its charter.
    result : CleanResult
    """
    started_at, clock = datetime.now(UTC), time.perf_counter()
    profile_file = project.artifact_dir("profile") / "result.json"
    if not profile_file.exists():
        raise StageOrderError(
            f"{project.root}: no profile yet; run `atelier profile -p {project.root}` first"
        )
    profile = json.loads(profile_file.read_text())
    charter = project.charter
    table = f"mart.{charter.mart.table}"
    if profile["table"] != table:
        raise StageOrderError(
            f"the profile is of {profile['table']}, not {table}; "
            f"run `atelier profile -p {project.root}` first"
        )
    proposed = charter.cleaning is None
    if proposed:
        plan, reasons = propose_plan(
            profile, target=charter.target.column, kept_text=set(kept_text_columns(charter))
        )
        append_section(project.charter_path, plan_yaml(plan, reasons, table))
        project = Project.load(project.root)
    plan: CleaningPlan = project.charter.cleaning
    key = [snake_case(k) for k in charter.sources[charter.mart.base].key]
    with project.connect() as connection:
        frame = connection.execute(
            f"SELECT * FROM mart.{quote_identifier(charter.mart.table)}"
        ).df()
    rows_before = len(frame)
    actions = []
    if plan.drop_duplicate_rows:
        frame = frame.drop_duplicates(ignore_index=True)
        actions.append(
            {
                "action": "drop_duplicate_rows",
                "column": None,
                "rows": rows_before - len(frame),
                "before": {"rows": rows_before},
                "after": {"rows": len(frame)},
            }
        )
    cleaner = cleaner_from_plan(plan)
    try:
        cleaner.fit(frame)
    except ValueError as error:
        raise DataError(f"atelier.yaml: cleaning: {error}") from None
    actions += cleaner.explain(frame)
    cleaned = cleaner.transform(frame)
    kept = [column for column in key if column in frame.columns and column not in cleaned.columns]
    cleaned = frame[kept].join(cleaned) if kept else cleaned
    cleaned_table = f"{charter.mart.table}_clean"
    with project.connect(read_only=False) as connection:
        connection.execute("BEGIN TRANSACTION")
        drop_relation(connection, "mart", cleaned_table)
        connection.register("cleaned_frame", cleaned)
        connection.execute(
            f"CREATE TABLE mart.{quote_identifier(cleaned_table)} AS SELECT * FROM cleaned_frame"
        )
        connection.execute("COMMIT")
    result = CleanResult(
        table=table,
        cleaned_table=f"mart.{cleaned_table}",
        plan_proposed=proposed,
        plan=plan.model_dump(),
        rows_before=rows_before,
        rows_after=len(cleaned),
        kept_columns=kept,
        actions=actions,
        duration_s=round(time.perf_counter() - clock, 3),
    )
    with staged_artifact_dir(project.artifacts_dir, STAGE) as folder:
        (folder / CLEANER_FILE).write_text(json.dumps(cleaner_state(cleaner), indent=2) + "\n")
        write_result(
            folder,
            stage=STAGE,
            result=result,
            inputs={"profile": hash_bytes(profile_file.read_bytes())},
            parameters=plan.model_dump(),
            started_at=started_at,
            duration_s=result.duration_s,
        )
    return project, result


def cleaner_from_plan(plan: CleaningPlan) -> Cleaner:
    """The unfitted Cleaner that carries out ``plan`` (all but its row-level step).

    Parameters
    ----------
    plan : CleaningPlan
        The charter's ``cleaning`` section. Dropping duplicate rows is not the
        Cleaner's: it changes rows, not values, and is applied before any split.

    Returns
    -------
    Cleaner
    """
    values = {k: v for k, v in plan.model_dump().items() if k != "drop_duplicate_rows"}
    return Cleaner(**values | {"drop_columns": list(plan.drop_columns)})


def cleaner_state(cleaner: Cleaner) -> dict:
    """A fitted Cleaner as plain JSON: its parameters and what it learned."""
    return {
        "params": cleaner.get_params(),
        "feature_names_in": list(cleaner.feature_names_in_),
        "spelling_maps": cleaner.spelling_maps_,
        "caps": {column: list(bounds) for column, bounds in cleaner.caps_.items()},
        "impute_values": cleaner.impute_values_,
    }


def load_cleaner(state: dict) -> Cleaner:
    """Rebuild a fitted Cleaner from :func:`cleaner_state`'s JSON, without pickle."""
    import numpy as np

    cleaner = Cleaner(**state["params"])
    cleaner.feature_names_in_ = np.asarray(state["feature_names_in"], dtype=object)
    cleaner.n_features_in_ = len(cleaner.feature_names_in_)
    cleaner.spelling_maps_ = state["spelling_maps"]
    cleaner.caps_ = {column: tuple(bounds) for column, bounds in state["caps"].items()}
    cleaner.impute_values_ = state["impute_values"]
    return cleaner
