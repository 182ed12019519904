"""``atelier train --task clustering``: a customer segmentation, trained and registered.

The same k-means as the exploration (k chosen by silhouette), but as a fitted
scikit-learn Pipeline that assigns new rows to a segment: column typing, one-hot
encoding and scaling, then k-means. It is saved beside the supervised model's
artifacts (``.atelier/artifacts/segments/``) and registered in MLflow as
``<project>_segments`` with the alias ``champion``.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.pipeline import Pipeline

from atelier._artifacts import staged_artifact_dir, write_result
from atelier._naming import snake_case
from atelier._project import Project
from atelier.exceptions import DataError
from atelier.explore._clustering import SILHOUETTE_FLOOR, describe_segments
from atelier.explore._figures import _BLUE, _RED, _figure, _save
from atelier.learn._features import FrameCoercer, infer_roles, make_preprocessor
from atelier.learn._tracking import track

STAGE = "segments"
K_RANGE = range(2, 9)
SAMPLE = 5_000  # rows on which k is chosen (silhouette is quadratic in rows)
SEED = 0


@dataclass(frozen=True)
class SegmentsResult:
    """The segmentation: how many segments, why, and what sets each apart.

    Attributes
    ----------
    table : str
    rows : int
    features : list of str
    dropped : dict of str to str
        Columns left out, and why.
    k : int
    silhouette : dict of int to float
        Mean silhouette for each k tried (on a seeded sample of ``SAMPLE`` rows).
    why : str
    profiles : list of dict
        Per segment: ``segment``, ``rows``, ``summary`` in plain words.
    model_file, model_sha256 : str
    registry : dict
    figures : dict of str to str
    duration_s : float
    """

    table: str
    rows: int
    features: list[str]
    dropped: dict[str, str]
    k: int
    silhouette: dict[int, float]
    why: str
    profiles: list[dict]
    model_file: str
    model_sha256: str
    registry: dict
    figures: dict[str, str]
    duration_s: float


def train_segments(project: Project) -> SegmentsResult:
    """Fit, describe and register the segmentation of the cleaned mart.

    Parameters
    ----------
    project : Project

    Returns
    -------
    SegmentsResult
    """
    from atelier.learn._data import load_mart
    from atelier.learn._stage import MODEL_FILE, save_model

    started_at, clock = datetime.now(UTC), time.monotonic()
    charter = project.charter
    table, frame, _, source_hash, _ = load_mart(project)
    target = charter.target.column
    keys = {snake_case(k) for k in charter.sources[charter.mart.base].key}
    excluded = {target, *keys, charter.target.group_column, charter.target.time_column}
    X = frame[[c for c in frame.columns if c not in excluded]]
    roles = infer_roles(X)
    if not roles.features:
        raise DataError(f"{table}: no column can describe a segment ({roles.dropped})")
    if len(X) < 3 * max(K_RANGE):
        raise DataError(f"{table}: {len(X)} rows are too few to find segments (need 24)")
    encode = Pipeline(
        [
            ("columns", FrameCoercer(roles)),
            ("encode", make_preprocessor(roles, encoding="onehot", impute=True, scale=True)),
        ]
    )
    rng = np.random.default_rng(SEED)
    sample = X.iloc[rng.choice(len(X), min(SAMPLE, len(X)), replace=False)]
    design = encode.fit_transform(sample)
    silhouette = {}
    for k in K_RANGE:
        labels = KMeans(n_clusters=k, n_init=4, random_state=SEED).fit_predict(design)
        silhouette[k] = float(silhouette_score(design, labels, random_state=SEED))
    k = max(silhouette, key=silhouette.get)
    model = Pipeline(
        [*encode.steps, ("segment", KMeans(n_clusters=k, n_init=4, random_state=SEED))]
    )
    labels = model.fit_predict(X)
    positive = charter.target.positive_class
    described = frame.assign(**{target: frame[target].astype(str)})
    profiles = describe_segments(
        described,
        labels,
        roles.numeric,
        roles.categorical,
        target,
        None if positive is None else str(positive),
    )
    why = (
        f"k = {k} has the highest mean silhouette ({silhouette[k]:.3f}) of k = "
        f"{min(K_RANGE)}..{max(K_RANGE)}, on a seeded sample of {len(sample):,} rows"
    )
    if silhouette[k] < SILHOUETTE_FLOOR:
        why += (
            f"; below {SILHOUETTE_FLOOR}, the rows form no distinct groups: these segments "
            "are a partition, not structure found in the data"
        )
    with staged_artifact_dir(project.artifacts_dir, STAGE) as folder:
        sha256 = save_model(model, folder)
        figures = {"silhouette": _draw(silhouette, k, np.bincount(labels), folder)}
        registry = track(
            project.state_dir,
            model_name=f"{snake_case(charter.project.name)}_segments",
            model=model,
            example=X.head(5),
            parameters={"table": table, "k": k, "why": why},
            scores={"silhouette": silhouette[k]},
        )
        result = SegmentsResult(
            table=table,
            rows=len(X),
            features=roles.features,
            dropped=roles.dropped,
            k=k,
            silhouette=silhouette,
            why=why,
            profiles=profiles,
            model_file=MODEL_FILE,
            model_sha256=sha256,
            registry=registry,
            figures={name: path.name for name, path in figures.items()},
            duration_s=round(time.monotonic() - clock, 3),
        )
        write_result(
            folder,
            stage=STAGE,
            result=result,
            inputs={"table": source_hash},
            parameters={"k_range": [min(K_RANGE), max(K_RANGE)], "seed": SEED},
            started_at=started_at,
            duration_s=result.duration_s,
        )
    return result


def _draw(silhouette: dict, k: int, sizes: np.ndarray, folder):
    figure, (score_ax, size_ax) = _figure(11, 4, 2)
    ks = list(silhouette)
    score_ax.bar(ks, [silhouette[i] for i in ks], color=[_RED if i == k else _BLUE for i in ks])
    score_ax.set_xlabel("number of segments (k)")
    score_ax.set_ylabel("mean silhouette (higher: better separated)")
    score_ax.set_title(f"Choosing k: {k} segments")
    size_ax.bar([f"segment {i + 1}" for i in range(len(sizes))], sizes, color=_BLUE)
    size_ax.set_ylabel("rows")
    size_ax.set_title("Size of each segment")
    return _save(figure, folder / "segments.png")
