"""The search's best family refit on every training row of the mart, on Spark.

When the mart is larger than the search may hold in memory, the search runs on a
stratified sample (:func:`atelier.learn._data.training_data`). With ``engine: spark``
the best trial's family is then refit on every row by a distributed learner:
``xgboost.spark`` for the boosting families (LightGBM, XGBoost, histogram gradient
boosting, CatBoost: their learning rate, leaves or depth and regularisation carried
over; early stopping on a seeded tenth of the rows). The booster comes back to this
process, inside the champion's own preprocessing, so that serving stays in-process.

Which rows: the mart's copy in the lake, without its hold-out rows (by key), split
by a seeded hash of the key into the rows the refit learns from and a check slice
that neither the search nor the refits see (``CHECK_SHARE`` of the rows outside
the sample). The check slice scores the searched champion and the refits on nested
shares of the rows (the learning curve of what the extra rows brought); the refit
on all rows replaces the champion only when it scores better there.
"""

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from atelier.learn._boosting import EarlyStoppedClassifier, EarlyStoppedRegressor
from atelier.learn._ensemble import WeightedClassifier, WeightedRegressor
from atelier.learn._metrics import REGRESSION
from atelier.scale._sql import spark_view

LEARNER = "xgboost.spark"
BOOSTING = ("lightgbm", "xgboost", "hist_gb", "catboost")
CHECK_SHARE = 0.05  # of the rows the search never saw, kept to compare the models
MAX_CHECK_ROWS = 50_000
EARLY_STOPPING_SHARE = 0.1
MAX_ROUNDS = 2_000
PATIENCE = 50
SEED = 0


@dataclass(frozen=True)
class RefitResult:
    """What the refit on all rows did.

    Attributes
    ----------
    learner : str or None
        ``xgboost.spark``, or None when the best family has no distributed learner
        (``why`` says so).
    family : str
    trial : int
        The search's best trial, whose family and parameters were refit.
    metric : str
    rows_searched, rows_refit, rows_check : int
        Rows of the sample's training part, rows the last refit learnt from, rows
        of the check slice.
    curve : list of dict
        ``rows`` and ``score`` (on the check slice) of refits on nested shares of
        the rows, the last on all of them.
    champion_score : float or None
        The searched champion's score on the check slice.
    adopted : bool
        Whether the refit on all rows replaces the champion.
    why : str
    duration_s : float
    """

    learner: str | None
    family: str
    trial: int
    metric: str
    rows_searched: int = 0
    rows_refit: int = 0
    rows_check: int = 0
    curve: list[dict] = field(default_factory=list)
    champion_score: float | None = None
    adopted: bool = False
    why: str = ""
    duration_s: float = 0.0


def refit_on_all_rows(project, auto, data, metric) -> tuple[RefitResult, object | None]:
    """Refit the best family of ``auto``'s search on every training row of the mart.

    Parameters
    ----------
    project : Project
        With ``engine: spark``; its lake holds the mart (``lake/mart/<table>``).
    auto : AutoClassifier or AutoRegressor
        Fitted on ``data``'s sample.
    data : TrainingData
        With ``mart_rows`` set (a sample was searched) and the rows' keys.
    metric : Metric

    Returns
    -------
    result : RefitResult
    model : Pipeline or None
        The champion's pipeline around the refit booster, when it is adopted.
    """
    clock = time.monotonic()
    best = auto.best_trial()
    result = RefitResult(learner=None, family=best.family, trial=best.number, metric=metric.name)
    reason = _not_refit_because(best, auto, data)
    if reason:
        return replace(result, why=reason, duration_s=round(time.monotonic() - clock, 3)), None
    rows = _training_rows(project, data)
    spark = rows.sparkSession
    encode = _fitted_encoder(auto, best, data)
    check = _check_slice(rows, data)
    y_check = _codes(auto, check[data.target])
    known = _known(auto, y_check)  # a number, or a class the search had
    check, y_check = check.loc[known], y_check[known]
    champion = _loss(metric, auto.task_, auto.best_estimator_, check[data.features], y_check)
    encoded = _encoded(spark, rows, auto, encode, data).cache()
    try:
        fitting = encoded.where("_part = 'fit'").groupBy("_searched").count().collect()
        by_kind = {row["_searched"]: row["count"] for row in fitting}
        fit_searched, fit_rest = by_kind.get(True, 0), by_kind.get(False, 0)
        fit_rows = fit_searched + fit_rest
        curve, final = [], None
        for share in _curve_shares(fit_searched, fit_rows):
            rows = _nested_rows(encoded, share, fit_searched, fit_rest)
            booster = _fit_booster(spark, rows, auto.task_, best)
            model = _champion_with(auto, encode, booster, best.params)
            loss = _loss(metric, auto.task_, model, check[data.features], y_check)
            curve.append({"rows": rows.count(), "score": metric.from_loss(loss)})
            final = (model, loss)
    finally:
        encoded.unpersist()
    model, loss = final
    adopted = loss < champion
    result = replace(
        result,
        learner=LEARNER,
        rows_searched=len(data.X_train),
        rows_refit=fit_rows,
        rows_check=len(check),
        curve=curve,
        champion_score=metric.from_loss(champion),
        adopted=adopted,
        why=_why(metric, curve[-1]["score"], metric.from_loss(champion), fit_rows, adopted),
        duration_s=round(time.monotonic() - clock, 3),
    )
    return result, model if adopted else None


# ---- which rows ---------------------------------------------------------------------


def _not_refit_because(best, auto, data) -> str | None:
    if best.family not in BOOSTING:
        return (
            f"{best.family} has no distributed learner here ({LEARNER} refits the boosting "
            "families): the model searched on the sample is kept"
        )
    if best.params.get("target_transform") == "power":
        return "the best trial learns a transformed target: the sample's model is kept"
    if auto.preprocessor_ is not None and not hasattr(auto.preprocessor_, "restricted_to"):
        return "the rows are images or recordings: the sample's model is kept"
    if data.keys_test is None:
        return "the mart has no key to keep the hold-out rows apart: the sample's model is kept"
    if data.holdout_plan["kind"] != "random":
        return (
            f"a {data.holdout_plan['kind']} hold-out is not kept apart by key alone: the "
            "sample's model is kept"
        )
    return None


def _training_rows(project, data):
    """The mart's rows with a target, less the hold-out, each marked ``fit`` or ``check``.

    ``_searched`` marks the sample's training rows; ``_share`` is a seeded uniform
    number per key that draws the nested shares of the learning curve. Decimals and
    dates come typed as DuckDB hands them to pandas, as the search read them.

    Raises
    ------
    StageOrderError
        The lake has no copy of the mart (ingest ran on DuckDB).
    """
    from pyspark.sql import functions as F  # noqa: N812 -- Spark's own convention

    keys = list(data.keys_test.columns)
    connection, view = spark_view(project, "mart", data.table.split(".", 1)[1])
    spark = connection.spark
    mart = _as_duckdb_types(spark.table(view)).where(F.col(data.target).isNotNull())
    for key in keys:
        mart = mart.withColumn(f"_key_{key}", F.col(key).cast("string"))
    joined = [f"_key_{key}" for key in keys]

    def key_frame(frame: pd.DataFrame):
        named = frame.astype(str).rename(columns={key: f"_key_{key}" for key in keys})
        return spark.createDataFrame(named)

    rows = mart.join(key_frame(data.keys_test), joined, "left_anti")
    searched = key_frame(data.keys_train).withColumn("_searched", F.lit(True))
    rows = rows.join(F.broadcast(searched), joined, "left").fillna({"_searched": False})
    uniform = (F.abs(F.xxhash64(*joined, F.lit(SEED))) % 1_000_000) / 1e6
    shares = (F.abs(F.xxhash64(*joined, F.lit(SEED + 1))) % 1_000_000) / 1e6
    outside = ~F.col("_searched")
    return (
        rows.withColumn("_part", F.when(outside & (uniform >= 1 - CHECK_SHARE), "check"))
        .fillna({"_part": "fit"})
        .withColumn("_share", shares)
        .withColumn("_stop", uniform < EARLY_STOPPING_SHARE)
        .drop(*joined)
    )


def _check_slice(rows, data) -> pd.DataFrame:
    """The check slice's features and target, here, as the champion reads them."""
    columns = [*data.features, data.target]
    check = rows.where("_part = 'check'").select(*columns).limit(MAX_CHECK_ROWS)
    return check.toArrow().to_pandas()


def _as_duckdb_types(frame):
    """Decimals as doubles and dates as timestamps, as DuckDB hands them to pandas."""
    from pyspark.sql import functions as F  # noqa: N812
    from pyspark.sql.types import DateType, DecimalType

    for column in frame.schema.fields:
        if isinstance(column.dataType, DecimalType):
            frame = frame.withColumn(column.name, F.col(column.name).cast("double"))
        elif isinstance(column.dataType, DateType):
            frame = frame.withColumn(column.name, F.col(column.name).cast("timestamp"))
    return frame


# ---- features, here and on the executors --------------------------------------------


def _fitted_encoder(auto, best, data):
    """The best trial's own encoding step, fitted on the sample's training rows."""
    pipeline = auto.trial_pipeline(best)
    step = pipeline.named_steps["encode"]
    if step == "passthrough":
        return "passthrough"
    X = auto.columns_.transform(auto.preprocessed(data.X_train))
    y = _codes(auto, pd.Series(data.y_train))
    known = _known(auto, y)
    return clone(step).fit(X[known], y[known])


def _features(auto, encode, frame: pd.DataFrame) -> np.ndarray:
    X = auto.columns_.transform(auto.preprocessed(frame))
    if encode != "passthrough":
        X = encode.transform(X)
    if hasattr(X, "toarray"):
        X = X.toarray()
    return np.asarray(X, dtype=np.float32)


def _known(auto, y: np.ndarray) -> np.ndarray:
    """Rows whose target the search could learn: a number, or one of its classes."""
    return ~np.isnan(y) if auto.task_ == REGRESSION else y >= 0


def _codes(auto, target: pd.Series) -> np.ndarray:
    """The target as the search encoded it: class codes (-1 for a class it left out)."""
    if auto.task_ == REGRESSION:
        return pd.to_numeric(target, errors="coerce").to_numpy(dtype=np.float64)
    labels = [str(c) for c in auto.classes_]
    position = {label: code for code, label in enumerate(labels)}
    return np.array([position.get(str(v), -1) for v in target], dtype=np.int64)


def _encoded(spark, rows, auto, encode, data):
    """The rows as the booster reads them: ``features`` (floats), ``label``, and the marks."""
    import cloudpickle

    payload = spark.sparkContext.broadcast(cloudpickle.dumps((auto, encode)))
    features, target = list(data.features), data.target
    # NaN (a missing number) is the only value not equal to itself; -1 is a class left out
    learnable = "label = label" + ("" if auto.task_ == REGRESSION else " AND label >= 0")
    marks = ["_part", "_searched", "_share", "_stop"]

    def encode_batches(batches):
        import cloudpickle

        fitted, encoder = cloudpickle.loads(payload.value)
        for frame in batches:
            X = _features(fitted, encoder, frame[features])
            labels = _codes(fitted, frame[target]).astype(np.float64)
            out = pd.DataFrame({"features": list(X), "label": labels})
            yield pd.concat([out, frame[marks].reset_index(drop=True)], axis=1)

    schema = (
        "features array<float>, label double, _part string, _searched boolean, "
        "_share double, _stop boolean"
    )
    prepared = rows.select(*features, target, *marks)
    return prepared.mapInPandas(encode_batches, schema).where(learnable)


# ---- the distributed learner --------------------------------------------------------


def _curve_shares(searched: int, fit_rows: int) -> list[float]:
    """Nested shares of the rows: the sample's, their geometric middle, all.

    >>> _curve_shares(1_600, 6_400)
    [0.25, 0.5, 1.0]
    """
    first = min(1.0, searched / max(fit_rows, 1))
    if first >= 1.0:
        return [1.0]
    return [first, math.sqrt(first), 1.0]


def _nested_rows(encoded, share: float, searched: int, rest: int):
    """The fit rows of one point of the curve: the sample's, and a seeded share of the rest.

    ``searched`` and ``rest`` count the fit rows inside and outside the sample. At
    the first share the rows are exactly those the search learnt from; each larger
    share holds the smaller ones.
    """
    from pyspark.sql import functions as F  # noqa: N812

    wanted = share * (searched + rest)
    drawn = min(1.0, max(0.0, (wanted - searched) / max(rest, 1)))
    if share >= 1.0:
        drawn = 1.01  # every share value is below 1
    fit = F.col("_part") == "fit"
    return encoded.where(fit & (F.col("_searched") | (F.col("_share") < drawn)))


def booster_params(family: str, params: dict) -> dict:
    """The xgboost parameters closest to a trial of a boosting family.

    Examples
    --------
    >>> booster_params("lightgbm", {"learning_rate": 0.05, "num_leaves": 31})
    {'learning_rate': 0.05, 'grow_policy': 'lossguide', 'max_depth': 0, 'max_leaves': 31}
    >>> booster_params("catboost", {"learning_rate": 0.08, "depth": 6, "l2_leaf_reg": 3.0})
    {'learning_rate': 0.08, 'max_depth': 6, 'reg_lambda': 3.0}
    """
    kept = {"learning_rate": params.get("learning_rate", 0.1)}
    if family == "xgboost":
        return {**kept, **{k: v for k, v in params.items() if k != "target_transform"}}
    if family in ("lightgbm", "hist_gb"):
        leaves = params.get("num_leaves", params.get("max_leaf_nodes", 31))
        kept |= {"grow_policy": "lossguide", "max_depth": 0, "max_leaves": int(leaves)}
        for ours, theirs in (
            ("subsample", "subsample"),
            ("colsample_bytree", "colsample_bytree"),
            ("reg_lambda", "reg_lambda"),
            ("l2_regularization", "reg_lambda"),
        ):
            if ours in params:
                kept[theirs] = params[ours]
        return kept
    return kept | {
        "max_depth": params.get("depth", 6),
        "reg_lambda": params.get("l2_leaf_reg", 3.0),
    }


def _fit_booster(spark, rows, task: str, best):
    """An xgboost model fitted by ``xgboost.spark`` on ``rows``, brought back here."""
    import logging

    import xgboost
    from xgboost.spark import SparkXGBClassifier, SparkXGBRegressor

    logging.getLogger("XGBoost-PySpark").setLevel(logging.WARNING)
    kind = SparkXGBRegressor if task == REGRESSION else SparkXGBClassifier
    learner = kind(
        features_col="features",
        label_col="label",
        validation_indicator_col="_stop",
        num_workers=max(1, spark.sparkContext.defaultParallelism),
        n_estimators=MAX_ROUNDS,
        early_stopping_rounds=PATIENCE,
        tree_method="hist",
        random_state=SEED,
        verbosity=0,
        **booster_params(best.family, best.params),
    )
    booster = learner.fit(rows).get_booster()
    local = xgboost.XGBRegressor() if task == REGRESSION else xgboost.XGBClassifier()
    local.load_model(bytearray(booster.save_raw("ubj")))
    return local


def _champion_with(auto, encode, booster, params):
    """The champion's pipeline with the refit booster as its one member."""
    wrapper = EarlyStoppedRegressor if auto.task_ == REGRESSION else EarlyStoppedClassifier
    member = Pipeline([("encode", encode), ("model", wrapper.around(booster, params, SEED))])
    if auto.task_ == REGRESSION:
        final = WeightedRegressor([member], [1.0], names=[LEARNER]).fit(None)
    else:
        final = WeightedClassifier([member], [1.0], classes=auto.classes_, names=[LEARNER])
        final = final.fit(None)
    return Pipeline([*auto.best_estimator_.steps[:-1], ("model", final)])


def _loss(metric, task: str, model, X: pd.DataFrame, y: np.ndarray) -> float:
    if task == REGRESSION:
        return metric.loss(y, np.asarray(model.predict(X), dtype=np.float64))
    return metric.loss(y, model.predict_proba(X))


def _why(metric, refit: float, champion: float, rows: int, adopted: bool) -> str:
    verdict = "replaces" if adopted else "does not beat"
    return (
        f"refit on {rows:,} rows by {LEARNER}, {metric.name} {refit:.4f} on the check slice: "
        f"it {verdict} the model searched on the sample ({champion:.4f})"
    )
