"""Experiment tracking and model registry with MLflow, stored inside the project.

Every trial of the search is a nested run (its family, parameters and scores); the
parent run holds the final scores and the model, which is registered under the
project's name with the alias ``champion``. The backend is a SQLite file
(``.atelier/mlflow.db``) and artifacts go to ``.atelier/mlruns/``, so
``mlflow ui --backend-store-uri sqlite:///.atelier/mlflow.db`` shows everything.
"""

import contextlib
import io
import json
import math
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

CHAMPION = "champion"
STAGE_TAG = "atelier.stage"  # which stage's artifacts folder holds the serving card
_TRUSTED_MODULES = (
    "atelier.",
    "sklearn.",
    "lightgbm.",
    "xgboost.",
    "catboost.",
    "numpy.",
    "scipy.",
    "collections.",
    "builtins.",
)
# scikit-learn's HistGradientBoosting keeps a partial of its own check_array for category
# columns; skops lists the function a partial wraps on its own, so that is still vetted
_TRUSTED_NAMES = ("functools.partial",)
_REQUIREMENTS = (
    "scikit-learn",
    "pandas",
    "numpy",
    "scipy",
    "lightgbm",
    "xgboost",
    "catboost",
    "onnxruntime",
)


def tracking_uri(state_dir: Path) -> str:
    """The MLflow tracking URI of a project (its SQLite file)."""
    return f"sqlite:///{(state_dir / 'mlflow.db').as_posix()}"


def _requirements() -> list[str]:
    pins = []
    for name in ("atelier", *_REQUIREMENTS):
        try:
            pins.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            continue
    return pins


def _finite(values: dict) -> dict:
    return {k: float(v) for k, v in values.items() if v is not None and math.isfinite(float(v))}


def track(
    state_dir: Path,
    *,
    model_name: str,
    model,
    example,
    parameters: dict,
    scores: dict,
    leaderboard=None,
    artifacts_dir: Path | None = None,
    stage: str = "learn",
    champion: bool = True,
    curves: list[dict] | None = None,
) -> dict:
    """Log the search and the final model, register it, and make it the champion.

    Parameters
    ----------
    state_dir : Path
        The project's ``.atelier`` folder.
    model_name : str
        Registered model name.
    model : estimator
        The fitted pipeline to register.
    example : DataFrame
        A few input rows: the model's input schema is inferred from them.
    leaderboard : DataFrame or None
        One nested run per trial; None for a model without a search.
    parameters : dict
        Parameters of the training run (budget, metric, validation).
    scores : dict
        Final scores (cross-validated and hold-out).
    artifacts_dir : Path or None
        Files to attach to the run (the stage's figures and tables), under ``stage``.
    stage : str, default="learn"
        The stage that trained the model: the run's name, its tag ``atelier.stage``
        and the folder of its artifacts (serving reads the card from there).
    champion : bool, default=True
        Give the new version the alias ``champion`` (what serving loads); when
        False the version is registered beside the current champion.
    curves : list of dict or None
        One row per epoch (``epoch`` and metrics), logged as the run's metric history.

    Returns
    -------
    dict
        ``run_id``, ``model_uri``, ``registered_model``, ``version``, ``alias``
        (None when the version is not the champion).
    """
    with warnings.catch_warnings():
        # MLflow's own notices (its SQLAlchemy use, pip inference, deprecations) are
        # not the user's concern, and must not fail a run where warnings are errors
        warnings.simplefilter("ignore")
        return _track(
            state_dir,
            model_name=model_name,
            model=model,
            example=example,
            leaderboard=leaderboard,
            parameters=parameters,
            scores=scores,
            artifacts_dir=artifacts_dir,
            stage=stage,
            champion=champion,
            curves=curves,
        )


def _track(
    state_dir,
    *,
    model_name,
    model,
    example,
    leaderboard,
    parameters,
    scores,
    artifacts_dir,
    stage,
    champion,
    curves,
) -> dict:
    import logging

    import mlflow
    from mlflow.models import infer_signature
    from mlflow.tracking import MlflowClient

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    mlflow.set_tracking_uri(tracking_uri(state_dir))
    experiment = mlflow.get_experiment_by_name(model_name)
    if experiment is None:
        experiment_id = mlflow.create_experiment(
            model_name, artifact_location=(state_dir / "mlruns").resolve().as_uri()
        )
    else:
        experiment_id = experiment.experiment_id
    client = MlflowClient()
    with mlflow.start_run(
        experiment_id=experiment_id, run_name=stage, tags={STAGE_TAG: stage}
    ) as parent:
        mlflow.log_params({k: str(v)[:500] for k, v in parameters.items()})
        mlflow.log_metrics(_finite(scores))
        for row in curves or []:
            mlflow.log_metrics(
                _finite({k: v for k, v in row.items() if k != "epoch"}), step=row["epoch"]
            )
        for row in [] if leaderboard is None else leaderboard.to_dict("records"):
            if row["trial"] < 0:
                continue
            child = client.create_run(
                experiment_id,
                run_name=f"{row['model']}-{row['trial']}",
                tags={"mlflow.parentRunId": parent.info.run_id, "status": row["status"]},
            )
            params = {"family": row["model"], **json.loads(row["params"] or "{}")}
            metrics = _finite(
                {
                    "cv_mean": row["cv_mean"],
                    "cv_median": row["cv_median"],
                    "cv_std": row["cv_std"],
                    "train_score": row["train_score"],
                    "fit_s": row["fit_s"],
                    "predict_ms_per_1k": row["predict_ms_per_1k"],
                }
            )
            client.log_batch(
                child.info.run_id,
                params=[mlflow.entities.Param(k, str(v)[:500]) for k, v in params.items()],
                metrics=[mlflow.entities.Metric(k, v, 0, 0) for k, v in metrics.items()],
            )
            terminal = "FINISHED" if row["status"] == "complete" else "KILLED"
            client.set_terminated(child.info.run_id, status=terminal)
        if artifacts_dir is not None:
            mlflow.log_artifacts(str(artifacts_dir), artifact_path=stage)
        signature = infer_signature(example, _predictions(model, example))
        # MLflow prints "Successfully registered model ..." straight to stderr, across the
        # progress display; the stage reports the registration itself
        with contextlib.redirect_stderr(io.StringIO()):
            info = mlflow.sklearn.log_model(
                model,
                name="model",
                signature=signature,
                registered_model_name=model_name,
                pip_requirements=_requirements(),
                serialization_format="skops",
                skops_trusted_types=trusted_types(model),
            )
    version_number = info.registered_model_version
    if champion:
        client.set_registered_model_alias(model_name, CHAMPION, version_number)
    return {
        "run_id": parent.info.run_id,
        "model_uri": f"models:/{model_name}/{version_number}",
        "registered_model": model_name,
        "version": int(version_number),
        "alias": CHAMPION if champion else None,
        "tracking_uri": tracking_uri(state_dir),
    }


def trusted_types(model) -> list[str]:
    """The types skops must be told to trust to load ``model``, from known modules only.

    The registry stores models with skops rather than pickle, so that loading one
    never runs arbitrary code; skops asks for every type it does not know. Those of
    atelier and of the libraries it builds models from are trusted by name; any
    other type makes the registration fail loudly.
    """
    import skops.io

    found = skops.io.get_untrusted_types(data=skops.io.dumps(model))
    unknown = [
        name
        for name in found
        if not name.startswith(_TRUSTED_MODULES) and name not in _TRUSTED_NAMES
    ]
    if unknown:
        raise ValueError(f"the model holds types outside the trusted libraries: {unknown}")
    return found


def _predictions(model, example):
    if hasattr(model, "predict_proba"):
        return model.predict_proba(example)
    return model.predict(example)
