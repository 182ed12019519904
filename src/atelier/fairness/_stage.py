"""The fairness stage: the champion's decisions compared across the charter's groups.

For each attribute of ``fairness.attributes`` (a mart column, a feature or not), the
hold-out rows are grouped by its values (numbers with many values by quartile), the
champion decides at the threshold the business costs chose, and fairlearn measures
each group; then reweighting is measured against the same model without it.
Binary decisions only: for another task the stage says so and measures nothing.
"""

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import joblib
import numpy as np
import pandas as pd

from atelier._artifacts import CARD_FILE, staged_artifact_dir, write_result
from atelier._project import Project
from atelier.exceptions import DataError, StageOrderError
from atelier.fairness._audit import GAP_LIMIT, RATIO_LIMIT, group_metrics
from atelier.fairness._mitigation import compare_reweighting

STAGE = "fairness"
MANY_VALUES = 10  # a numeric attribute with more distinct values is grouped by quartile


@dataclass(frozen=True)
class FairnessResult:
    """What the fairness stage writes as its ``result.json``.

    Attributes
    ----------
    attributes : list of str
    audits : list of dict
        Per attribute: ``groups``, the two summary gaps, ``flags`` and ``mitigation``.
    threshold : float or None
        The champion's decision threshold.
    limits : dict
        The flags' limits (``ratio`` 0.8, ``gap`` 0.10).
    note : str or None
        Why nothing was measured, when nothing was.
    model : str or None
        The stage whose model was audited: ``learn``, or ``deep`` when the network
        serves.
    """

    attributes: list[str]
    audits: list[dict] = field(default_factory=list)
    threshold: float | None = None
    limits: dict = field(default_factory=dict)
    note: str | None = None
    model: str | None = None
    duration_s: float = 0.0


def fairness(project: Project) -> FairnessResult:
    """Audit the champion's decisions across the groups of ``fairness.attributes``.

    Raises
    ------
    StageOrderError
        The project was not trained yet.
    DataError
        An attribute is not a column of the mart, or has a single value in the
        hold-out.
    """
    started_at, clock = datetime.now(UTC), time.perf_counter()
    charter = project.charter
    attributes = charter.fairness.attributes if charter.fairness else []
    train_file = project.artifact_dir("learn") / "result.json"
    if attributes and not train_file.exists():
        raise StageOrderError(f"{project.root}: no model yet; run `atelier train` first")
    trained = json.loads(train_file.read_text()) if train_file.exists() else {}
    if not attributes:
        result = FairnessResult([], note="no_attributes")
    elif not trained.get("thresholds"):
        result = FairnessResult(attributes, note="not_binary")
    else:
        result = _audit(project, attributes, trained, clock)
    with staged_artifact_dir(project.artifacts_dir, STAGE) as folder:
        write_result(
            folder,
            stage=STAGE,
            result=result,
            inputs={"model": trained.get("model_sha256", "")},
            parameters={},
            started_at=started_at,
            duration_s=time.perf_counter() - clock,
        )
    return result


def _audit(project: Project, attributes: list[str], trained: dict, clock: float):
    from atelier.learn._data import training_data

    data = training_data(project, extra=attributes)
    thresholds = trained["thresholds"]
    stage, model, card = _champion(project)
    positive, threshold = card["positive_class"], card["threshold"]
    classes = [str(c) for c in card["classes"]]
    scores = model.predict_proba(data.X_test)[:, classes.index(str(positive))]
    y_test = (data.y_test.astype(str) == str(positive)).astype(int)
    y_train = (data.y_train.astype(str) == str(positive)).astype(int)
    decided = (scores >= threshold).astype(int)
    cleaned_train, cleaned_test = _cleaned(model, data.X_train), _cleaned(model, data.X_test)
    audits = []
    for attribute in attributes:
        groups_test = _grouped(data.extra_test[attribute], data.extra_train[attribute])
        groups_train = _grouped(data.extra_train[attribute], data.extra_train[attribute])
        if groups_test.nunique(dropna=False) < 2:
            raise DataError(
                f"atelier.yaml: fairness.attributes: {attribute!r} has a single value in the "
                "hold-out; there are no groups to compare"
            )
        audit = group_metrics(y_test, decided, groups_test)
        audit["attribute"] = attribute
        audit["mitigation"] = compare_reweighting(
            cleaned_train,
            y_train,
            groups_train.astype("string").fillna("missing").to_numpy(),
            cleaned_test,
            y_test,
            groups_test,
            thresholds["unit_costs"],
        )
        audits.append(audit)
    return FairnessResult(
        attributes,
        audits,
        float(threshold),
        {"ratio": RATIO_LIMIT, "gap": GAP_LIMIT},
        model=stage,
        duration_s=round(time.perf_counter() - clock, 3),
    )


def _champion(project: Project) -> tuple[str, object, dict]:
    """The served model's stage, the model as it saved it (hash checked), and its card.

    Raises
    ------
    DataError
        The model file changed since its stage wrote it.
    """
    deep = project.artifact_dir("deep") / "result.json"
    stage = "deep" if deep.exists() and json.loads(deep.read_text()).get("champion") else "learn"
    folder = project.artifact_dir(stage)
    result = json.loads((folder / "result.json").read_text())
    path = folder / result["model_file"]
    if hashlib.sha256(path.read_bytes()).hexdigest() != result["model_sha256"]:
        raise DataError(f"{path}: the file changed since `atelier {stage}` wrote it; rerun it")
    card = json.loads((folder / CARD_FILE).read_text())
    return stage, joblib.load(path), card


def _cleaned(model, X: pd.DataFrame) -> pd.DataFrame:
    """The features as the champion's own fitted cleaning leaves them."""
    steps = dict(model.steps)
    return steps["preprocess"].transform(X) if "preprocess" in steps else X


def _grouped(values: pd.Series, reference: pd.Series) -> pd.Series:
    """Groups of an attribute: its values, or quartiles of the training rows for numbers."""
    numeric = pd.api.types.is_numeric_dtype(values) and values.dtype != bool
    if not numeric or reference.nunique() <= MANY_VALUES:
        return values.astype("string")
    edges = np.unique(np.nanquantile(reference.astype(float), [0, 0.25, 0.5, 0.75, 1]))
    edges[0], edges[-1] = -np.inf, np.inf
    return pd.cut(values.astype(float), edges).astype("string")
