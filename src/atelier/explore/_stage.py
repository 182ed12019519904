"""The explore stage: statistics and charts that show the relations in the data."""

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from atelier._artifacts import staged_artifact_dir, write_result
from atelier._naming import snake_case
from atelier._project import Project
from atelier._text import Text
from atelier.exceptions import DataError, StageOrderError
from atelier.explore._bivariate import all_against_target
from atelier.explore._clustering import segments
from atelier.explore._data import load_frame
from atelier.explore._figures import (
    draw_associations,
    draw_by_target,
    draw_clustering,
    draw_effects,
    draw_pca,
    draw_ranking,
)
from atelier.explore._multivariate import association_matrix, crude_and_adjusted, variance_inflation
from atelier.explore._reduction import (
    feature_ranking,
    principal_components,
    selection_gain,
    standardised_design,
)
from atelier.explore._univariate import summarise_categorical, summarise_numeric
from atelier.sources._snapshot import hash_bytes

STAGE = "explore"


@dataclass(frozen=True)
class ExploreResult:
    """What the explore stage found; ``result.json`` holds the same fields.

    The sections are plain JSON-ready mappings and lists, documented where they
    are computed: ``univariate`` (:mod:`._univariate`), ``against_target``
    (:mod:`._bivariate`), ``associations``, ``vif`` and ``regression``
    (:mod:`._multivariate`), ``pca``, ``feature_ranking`` and ``selection``
    (:mod:`._reduction`), ``clustering`` (:mod:`._clustering`).
    """

    table: str
    rows: int
    rows_analysed: int
    sampled: bool
    target: str
    target_kind: str
    positive_class: str | None
    numeric_features: list[str]
    categorical_features: list[str]
    excluded: dict[str, str]
    univariate: list[dict]
    against_target: list[dict]
    associations: dict
    vif: list[dict]
    regression: dict
    pca: dict
    feature_ranking: list[dict]
    selection: dict
    clustering: dict
    figures: dict[str, str]
    duration_s: float


def explore(project: Project) -> ExploreResult:
    """Explore the cleaned mart (or the mart, if it was not cleaned) and write the charts.

    Parameters
    ----------
    project : Project

    Returns
    -------
    ExploreResult
    """
    started_at, clock = datetime.now(UTC), time.perf_counter()
    profile_file = project.artifact_dir("profile") / "result.json"
    if not profile_file.exists():
        raise StageOrderError(
            f"{project.root}: no profile yet; run `atelier profile -p {project.root}` first"
        )
    profile = json.loads(profile_file.read_text())
    charter = project.charter
    clean_file = project.artifact_dir("clean") / "result.json"
    table = (
        json.loads(clean_file.read_text())["cleaned_table"]
        if clean_file.exists()
        else (f"mart.{charter.mart.table}")
    )
    keys = [snake_case(k) for k in charter.sources[charter.mart.base].key]
    target = charter.target.column
    with project.connect() as connection:
        columns = [row[0] for row in connection.execute(f"DESCRIBE {table}").fetchall()]
        if target not in columns:
            raise DataError(
                f"{table}: the target column {target!r} does not exist "
                f"(columns: {columns}); fix `target.column` in atelier.yaml"
            )
        data = load_frame(connection, table, profile, target, keys)
    frame = data.frame
    if frame[target].nunique() < 2:
        raise DataError(
            f"{table}: the target {target!r} has a single value; there is no relation to explore"
        )
    if len(frame) < 10 or not data.features:
        raise DataError(
            f"{table}: {len(frame)} rows and {len(data.features)} usable features; "
            "exploration needs at least 10 rows and one feature"
        )
    positive = _positive_class(frame[target], charter.target.positive_class, data.target_kind)
    result: dict = {
        "table": table,
        "rows": data.total_rows,
        "rows_analysed": len(frame),
        "sampled": data.sampled,
        "target": target,
        "target_kind": data.target_kind,
        "positive_class": positive,
        "numeric_features": data.numeric,
        "categorical_features": data.categorical,
        "excluded": data.excluded,
    }
    result["univariate"] = [summarise_numeric(frame[c]) for c in data.numeric] + [
        summarise_categorical(frame[c]) for c in [*data.categorical, target]
    ]
    tests = all_against_target(frame, data.numeric, data.categorical, target, data.target_kind)
    result["against_target"] = tests
    result["associations"] = association_matrix(frame, data.numeric, data.categorical)
    result["vif"] = variance_inflation(frame, data.numeric)
    result["regression"] = crude_and_adjusted(
        frame, data.numeric, data.categorical, target, data.target_kind, positive
    )
    design = standardised_design(frame, data.numeric, data.categorical)
    pca = principal_components(design)
    ranking = feature_ranking(frame, data.numeric, data.categorical, target, data.target_kind)
    result["feature_ranking"] = ranking
    result["selection"] = selection_gain(
        frame, ranking, data.numeric, data.categorical, target, data.target_kind
    )
    clustering = segments(design, frame, data.numeric, data.categorical, target, positive)
    say = Text(project.charter.project.language)  # charts in the charter's language
    with staged_artifact_dir(project.artifacts_dir, STAGE) as folder:
        figures = {
            "by_target": draw_by_target(
                frame,
                tests,
                data.numeric,
                target,
                data.target_kind,
                positive,
                folder / "by_target.png",
                say,
            ),
            "associations": draw_associations(
                result["associations"], folder / "associations.png", say
            ),
            "pca": draw_pca(
                pca,
                frame[target] if data.target_kind != "numeric" else None,
                folder / "pca.png",
                say,
            ),
            "ranking": draw_ranking(ranking, target, folder / "ranking.png", say),
        }
        if clustering:
            figures["clustering"] = draw_clustering(clustering, folder / "clustering.png", say)
        if result["regression"].get("terms"):
            figures["effects"] = draw_effects(result["regression"], folder / "effects.png", say)
        result["pca"] = {k: v for k, v in pca.items() if k != "projection"}
        result["clustering"] = {k: v for k, v in clustering.items() if k != "labels"}
        result["figures"] = {name: path.name for name, path in figures.items()}
        result["duration_s"] = round(time.perf_counter() - clock, 3)
        explored = ExploreResult(**_jsonable(result))
        write_result(
            folder,
            stage=STAGE,
            result=explored,
            inputs={"profile": hash_bytes(profile_file.read_bytes())},
            parameters={"table": table},
            started_at=started_at,
            duration_s=result["duration_s"],
        )
    return explored


def _positive_class(target, declared, target_kind: str):
    if target_kind == "numeric":
        return None
    values = set(target.dropna())
    if declared is not None and str(declared) in values:
        return str(declared)
    counts = target.value_counts()
    return counts.index[-1]  # the rarer class is usually the one that matters


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
