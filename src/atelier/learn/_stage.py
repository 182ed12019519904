"""The train stage: AutoML on the cleaned mart, diagnostics, thresholds, registry.

Reads the cleaned mart (or the mart when it was not cleaned), keeps a hold-out part
untouched, runs the search on the rest within the charter's budget, then writes
``.atelier/artifacts/learn/``: the leaderboard, the choice and why, the threshold
analysis, learning curve, importance, calibration, and the fitted pipeline (the
cleaning transformer followed by the model, so that serving sees what training
saw). The model is tracked and registered in the project's MLflow store.
"""

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import joblib
import numpy as np
import pandas as pd

from atelier._artifacts import (
    CARD_FILE,
    SCHEMA_FILE,
    staged_artifact_dir,
    to_jsonable,
    write_result,
)
from atelier._naming import snake_case
from atelier._project import Project
from atelier._text import Text
from atelier._values import json_value
from atelier.charter import resolve_environment, text_columns
from atelier.exceptions import CharterError, DataError, StageOrderError
from atelier.learn._auto import AutoClassifier, AutoRegressor
from atelier.learn._card import background_keys, background_of, reference_of
from atelier.learn._data import SEED, training_data
from atelier.learn._diagnostics import (
    calibration_of,
    importance_of,
    learning_curve_of,
    metric_scorer,
    overfitting_summary,
    selection_pass,
    subgroup_recall,
)
from atelier.learn._families import FAMILIES, resolve_families
from atelier.learn._figures import (
    draw_calibration,
    draw_importance,
    draw_leaderboard,
    draw_learning_curve,
    draw_refit_curve,
    draw_thresholds,
)
from atelier.learn._metrics import BINARY, REGRESSION, TRANSCRIPTION, get_metric
from atelier.learn._schema import accepted_fields, input_schema
from atelier.learn._thresholds import (
    at,
    best_threshold,
    in_plain_words,
    threshold_table,
    unit_costs,
)
from atelier.learn._tracking import track
from atelier.learn._verdicts import (
    class_codes,
    fold_robustness,
    holdout_comparison,
    metric_reason,
    tuning_gains,
)
from atelier.media import ImagePixels, SoundFeatures, sound_card_input

STAGE = "learn"
MODEL_FILE = "model.joblib"
SEARCH_SHARE = 0.8  # of the budget; the rest goes to diagnostics and the registry
TRACKING_S = 5.0  # kept for MLflow: import, nested runs, model serialisation
NOT_RUN = "not run: the time budget was spent"
# classical models on pixels: linear (the usual baseline), neighbours, boosted trees
IMAGE_FAMILIES = ("linear", "knn", "hist_gb")


@dataclass(frozen=True)
class TrainResult:
    """What the train stage did; ``result.json`` holds the same fields.

    Attributes
    ----------
    table, target, task, metric : str
    greater_is_better : bool
        Whether the metric grows as models improve.
    metric_reason : dict
        Why the metric fits the project (``text``) and what that rests on (``basis``;
        see :func:`atelier.learn._verdicts.metric_reason`).
    rows_train, rows_holdout : int
    validation : str
        The cross-validation used, and why.
    validation_plan : dict
        The facts behind it (see :func:`atelier.learn.validation_plan`).
    holdout : str
        How the hold-out rows were chosen.
    holdout_plan : dict
        The facts behind it: ``kind`` (``time``, ``group`` or ``random``), ``share``,
        ``column`` (time or group), ``stratified``.
    budget_s, search_s, duration_s : float
    notes : list of str
        What was done about the data (columns left out, rows dropped, budget).
    choice : dict
        The final model (single or ensemble), its members and why.
    leaderboard : list of dict
        Every trial (see :func:`atelier.learn._leaderboard.leaderboard`).
    scores : dict
        Cross-validated score of the choice, hold-out scores of the choice and of
        the baseline.
    comparison : dict
        The model against the baseline on the hold-out, with the gain's interval
        (see :func:`atelier.learn._verdicts.holdout_comparison`).
    thresholds : dict or None
        Binary targets: the cost-minimising threshold, compared with 0.5.
    diagnostics : dict
        ``learning_curve``, ``overfitting``, ``importance``, ``selection``,
        ``calibration``.
    model_file, model_sha256 : str
        The fitted pipeline, and its hash (checked before it is ever loaded). Beside
        it, ``input_schema.json`` describes the columns a request may send (see
        :func:`atelier.learn._schema.input_schema`) and ``serving.json`` what serving
        needs besides (threshold, training distributions, background rows; see
        :mod:`atelier.learn._card`); both are logged with the model in the registry.
    registry : dict
        MLflow run and registered model version (alias ``champion``).
    refit : dict or None
        With ``engine: spark``, when a sample of the mart was searched: the best
        family refit on every row (see :class:`atelier.scale._refit.RefitResult`).
    studies : str or None
        With ``training.storage``, the prefix of the search's study names there
        (``<studies>.<family>``).
    figures : dict of str to str
    """

    table: str
    target: str
    task: str
    metric: str
    greater_is_better: bool
    metric_reason: dict
    rows_train: int
    rows_holdout: int
    validation: str
    validation_plan: dict
    holdout: str
    holdout_plan: dict
    budget_s: float
    search_s: float
    notes: list[str]
    choice: dict
    leaderboard: list[dict]
    scores: dict
    comparison: dict
    thresholds: dict | None
    diagnostics: dict
    model_file: str
    model_sha256: str
    registry: dict
    figures: dict[str, str]
    duration_s: float
    refit: dict | None = None
    studies: str | None = None


def train(project: Project, budget: float | None = None) -> TrainResult:
    """Train, diagnose and register the model of ``project``.

    Parameters
    ----------
    project : Project
    budget : float or None
        Seconds for the whole stage; the charter's ``training.budget_s`` when None.

    Returns
    -------
    TrainResult
    """
    started_at, clock = datetime.now(UTC), time.monotonic()
    charter = project.charter
    settings = charter.training
    budget = float(budget if budget is not None else settings.budget_s)
    if budget <= 0:
        raise DataError(f"budget: expected a positive number of seconds, got {budget:g}")
    if charter.target.task == TRANSCRIPTION:
        raise DataError(
            "atelier.yaml: target.task: transcription: the classical families do not write "
            f"transcripts; run `atelier deep -p {project.root}`"
        )
    data = training_data(project)
    table, notes, source_hash, task = data.table, data.notes, data.source_hash, data.task
    target, cleaner = data.target, data.cleaner
    holdout_why, holdout_plan = data.holdout_why, data.holdout_plan
    X_train, y_train, X_test, y_test = data.X_train, data.y_train, data.X_test, data.y_test
    groups, time_column = data.groups, data.time_column
    search_budget = max(1.0, SEARCH_SHARE * budget - TRACKING_S - (time.monotonic() - clock))
    kind = AutoRegressor if task == REGRESSION else AutoClassifier
    families = settings.families
    if data.images is not None:
        # the classical models read the pixels; the networks' turn is the deep stage's
        images = data.images
        cleaner = ImagePixels(str(project.root), images.source, images.size, images.channels)
        families = families or list(IMAGE_FAMILIES)
    elif data.sounds is not None:  # and the spectrograms, pooled over time
        heard = data.sounds
        cleaner = SoundFeatures(
            str(project.root), heard.source, heard.sample_rate, heard.n_mels, heard.frames
        )
        families = families or list(IMAGE_FAMILIES)
    auto = kind(
        time_budget=search_budget,
        metric=settings.metric,
        random_state=SEED,
        families=families,
        ensemble=settings.ensemble,
        cv="time" if time_column else None,
        max_trials=settings.max_trials,
        # fitted inside the search, per fold: no validation or hold-out row informs it
        preprocessor=cleaner,
        text_columns=[c for c in text_columns(charter) if c in data.features] or None,
        storage=_storage(settings),
        parallel=_parallel_trials(charter),
    )
    _check_settings(settings, task)
    auto.fit(X_train, y_train, groups=groups)
    search_s = time.monotonic() - clock
    notes += auto.notes_
    metric = get_metric(auto.metric_, auto.task_)
    classes = getattr(auto, "classes_", None)
    model = auto.best_estimator_
    choice = to_jsonable(auto.choice_)
    refit = None
    if charter.engine == "spark" and data.mart_rows is not None:  # a sample was searched
        from atelier.scale._refit import LEARNER, refit_on_all_rows

        outcome, refitted = refit_on_all_rows(project, auto, data, metric)
        refit = to_jsonable(outcome)
        notes.append(outcome.why)
        if refitted is not None:
            model = refitted
            choice["members"] = [
                {"trial": outcome.trial, "family": outcome.family, "weight": 1.0, "refit": True}
            ]
            choice["why"] += f"; {outcome.why}"
            choice["learner"] = LEARNER
    scores = _scores(model, auto, X_test, y_test, X_train, y_train, metric, classes)
    comparison = holdout_comparison(
        model, X_train, y_train, X_test, y_test, metric, auto.task_, classes, SEED
    )
    scores[f"baseline_holdout_{metric.name}"] = comparison["baseline"]
    positive = _positive_class(classes, charter.target.positive_class) if task == BINARY else None
    reason = metric_reason(settings, task, metric, y_train, charter.costs, positive)
    thresholds = (
        _thresholds(model, auto, X_test, y_test, classes, positive, charter.costs)
        if task == BINARY
        else None
    )
    cleaned_train = auto.preprocessed(X_train)  # the training rows as the model cleans them
    diagnostics = _diagnostics(
        auto,
        model,
        y_train,
        X_test,
        y_test,
        metric,
        classes,
        positive,
        deadline=clock + budget - TRACKING_S,
        threshold=thresholds["chosen"] if thresholds else None,
        cleaned_train=cleaned_train,
    )
    with staged_artifact_dir(project.artifacts_dir, STAGE) as folder:
        sha256 = save_model(model, folder)
        imputed = set(getattr(auto.preprocessor_, "impute_values_", {}))
        text = list(auto.roles_.text)
        schema = input_schema(cleaned_train, imputed, text)
        schema["accepted"] = accepted_fields(schema)  # what the API takes, for the dossier
        (folder / SCHEMA_FILE).write_text(json.dumps(schema, indent=2) + "\n")
        card = {
            "target": target,
            "task": task,
            "classes": None if classes is None else [json_value(c) for c in classes],
            "positive_class": json_value(positive),
            "threshold": thresholds["chosen"] if thresholds else None,
            "metric": metric.name,
            "holdout_score": scores[f"holdout_{metric.name}"],
            "trained_at": started_at.isoformat(timespec="seconds"),
            "rows_train": len(X_train),
            "question": charter.project.question,
            "decision": charter.project.decision,
            "answer": thresholds["in_plain_words"] if thresholds else None,
            "at_threshold": _plain(thresholds["at_chosen"]) if thresholds else None,
            "currency": charter.costs.currency,
            "language": charter.project.language,
            "unit": charter.project.unit,
            "reference": reference_of(cleaned_train, text),
            "background": background_of(cleaned_train, SEED, text),
            "background_keys": background_keys(cleaned_train, SEED, data.key_digests_train),
            "text_columns": text,
        }
        if data.images is not None:
            size, channels = data.images.size, data.images.channels
            card["input"] = {"kind": "image", "size": list(size), "channels": channels}
        elif data.sounds is not None:
            card["input"] = sound_card_input(data.sounds)
        (folder / CARD_FILE).write_text(json.dumps(card, indent=1) + "\n")
        auto.leaderboard_.to_csv(folder / "leaderboard.csv", index=False)
        say = Text(charter.project.language)  # charts in the charter's language
        figures = _figures(auto, thresholds, diagnostics, metric.name, charter.costs, folder, say)
        if refit is not None and refit["curve"]:
            figures["refit_curve"] = draw_refit_curve(refit, folder / "refit_curve.png", say)
        registry = track(
            project.state_dir,
            model_name=snake_case(charter.project.name),
            model=model,
            example=X_test.head(5),
            leaderboard=auto.leaderboard_,
            parameters={
                "table": table,
                "target": target,
                "metric": metric.name,
                "budget_s": budget,
                "validation": auto.validation_,
                "holdout": holdout_why,
                "choice": choice["why"],
            },
            scores={k: v for k, v in scores.items() if isinstance(v, int | float)},
            artifacts_dir=folder,
        )
        result = TrainResult(
            table=table,
            target=target,
            task=task,
            metric=metric.name,
            greater_is_better=metric.greater_is_better,
            metric_reason=reason,
            rows_train=len(X_train),
            rows_holdout=len(X_test),
            validation=auto.validation_,
            validation_plan=auto.validation_plan_,
            holdout=holdout_why,
            holdout_plan=holdout_plan,
            budget_s=budget,
            search_s=round(search_s, 3),
            notes=notes,
            choice=choice,
            leaderboard=_records(auto.leaderboard_),
            scores=scores,
            comparison=comparison,
            thresholds=thresholds,
            diagnostics=diagnostics,
            model_file=MODEL_FILE,
            model_sha256=sha256,
            registry=registry,
            figures={name: path.name for name, path in figures.items()},
            duration_s=round(time.monotonic() - clock, 3),
            refit=refit,
            studies=auto.study_prefix_ if settings.storage else None,
        )
        write_result(
            folder,
            stage=STAGE,
            result=result,
            inputs={"table": source_hash},
            parameters={"budget_s": budget, "metric": metric.name, "seed": SEED},
            started_at=started_at,
            duration_s=result.duration_s,
        )
    return result


def save_model(model, folder) -> str:
    """Write ``model`` to ``folder/MODEL_FILE``; return the file's sha256 for the manifest."""
    joblib.dump(model, folder / MODEL_FILE)
    return hashlib.sha256((folder / MODEL_FILE).read_bytes()).hexdigest()


def load_model(project: Project):
    """The fitted pipeline of the last ``train``, after checking its hash.

    Raises
    ------
    StageOrderError
        If the project was not trained yet.
    DataError
        If the file is not the one the train stage wrote (hash mismatch).
    """
    folder = project.artifact_dir(STAGE)
    result_file = folder / "result.json"
    if not result_file.exists():
        raise StageOrderError(f"{project.root}: no model yet; run `atelier train` first")
    expected = json.loads(result_file.read_text())["model_sha256"]
    path = folder / MODEL_FILE
    if hashlib.sha256(path.read_bytes()).hexdigest() != expected:
        raise DataError(f"{path}: the file changed since `atelier train` wrote it; retrain")
    return joblib.load(path)


# ---- steps ------------------------------------------------------------------------


def _check_settings(settings, task: str) -> None:
    """The charter's metric and families, checked against the task before the search."""
    try:
        get_metric(settings.metric, task if task == REGRESSION else BINARY)
    except ValueError as error:
        raise CharterError(f"atelier.yaml: training.metric: {error}") from None
    try:
        resolve_families(settings.families)
    except ValueError as error:
        raise CharterError(f"atelier.yaml: training.families: {error}") from None


def _storage(settings) -> str | None:
    """The study database's URL, its ``${VAR}`` read from the environment."""
    if settings.storage is None:
        return None
    return resolve_environment(settings.storage, field="atelier.yaml: training.storage")


def _parallel_trials(charter):
    """Spark's workers for the tuned trials, when the charter asks for more than one."""
    if charter.training.workers == 1:
        return None
    from atelier.scale._trials import SparkTrials

    return SparkTrials(charter.spark, charter.training.workers)


def _positive_class(classes, declared):
    labels = [str(c) for c in classes]
    if declared is not None and str(declared) in labels:
        return classes[labels.index(str(declared))]
    return classes[1]


def _scores(model, auto, X_test, y_test, X_train, y_train, metric, classes) -> dict:
    scorer = metric_scorer(metric, auto.task_, classes)
    scores = {
        f"cv_{metric.name}": auto.choice_.cv_score,
        f"holdout_{metric.name}": metric.from_loss(-scorer(model, X_test, y_test)),
    }
    baseline = next(r for r in auto.trials_ if r.family == "dummy")
    if baseline.status == "complete":
        scores[f"baseline_cv_{metric.name}"] = metric.from_loss(baseline.loss)
    if auto.task_ == REGRESSION:
        from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

        predicted = model.predict(X_test)
        y_true = np.asarray(y_test, dtype=np.float64)
        scores |= {
            "holdout_rmse": float(root_mean_squared_error(y_true, predicted)),
            "holdout_mae": float(mean_absolute_error(y_true, predicted)),
            "holdout_r2": float(r2_score(y_true, predicted)),
        }
    else:
        predicted = model.predict(X_test)
        scores["holdout_accuracy"] = float(np.mean(predicted.astype(str) == y_test.astype(str)))
    return scores


def _thresholds(model, auto, X_test, y_test, classes, positive, costs) -> dict:
    code = list(classes).index(positive)
    negative = classes[1 - code]
    unit = unit_costs(costs, str(positive), str(negative))
    oof = auto.oof_predictions_
    covered = ~np.isnan(oof).any(axis=1)
    chosen = best_threshold(
        threshold_table(auto.oof_target_[covered] == code, oof[covered, code], unit)
    )
    proba = model.predict_proba(X_test)[:, code]
    table = threshold_table(y_test.astype(str) == str(positive), proba, unit)
    row, half = at(table, chosen), at(table, 0.5)
    is_positive = y_test.astype(str) == str(positive)
    nobody = float(
        (is_positive * unit["fn"] + ~is_positive * unit["tn"]).sum() / len(y_test) * 1000
    )
    everybody = float(
        (is_positive * unit["tp"] + ~is_positive * unit["fp"]).sum() / len(y_test) * 1000
    )
    return {
        "positive_class": str(positive),
        "chosen": chosen,
        "chosen_on": "out-of-fold predictions of the training rows; reported on the hold-out",
        "at_chosen": row,
        "at_half": half,
        "cost_per_1000_without_model": nobody,
        "cost_per_1000_everybody": everybody,
        "currency": costs.currency,
        "unit_costs": unit,
        "in_plain_words": in_plain_words(row, f"the {positive!s} cases", costs.currency, half),
        "table": _records(table),
    }


def _diagnostics(
    auto,
    model,
    y_train,
    X_test,
    y_test,
    metric,
    classes,
    positive,
    deadline,
    threshold,
    cleaned_train,
):
    """Over-fitting, importance, learning curve, selection and calibration, in the time left.

    Each costly step runs only if its estimated time fits before ``deadline``; what
    was left out says so.
    """
    diagnostics: dict = {}
    diagnostics["overfitting"] = overfitting_summary(
        auto.leaderboard_, {name: family.defaults[0] for name, family in FAMILIES.items()}
    )
    best = auto.best_trial()
    diagnostics["tuning"] = tuning_gains(auto.leaderboard_, metric, folds=len(best.fold_losses))
    diagnostics["robustness"] = fold_robustness(auto.trials_, metric)
    diagnostics["importance"] = importance_of(
        model,
        X_test,
        y_test,
        metric,
        auto.task_,
        classes,
        SEED,
        seconds=0.5 * (deadline - time.monotonic()),
    )
    if diagnostics["importance"] is None:
        diagnostics["importance"] = []
        diagnostics["importance_note"] = NOT_RUN
    codes_train = (
        class_codes(classes, y_train)
        if classes is not None
        else np.asarray(y_train, dtype=np.float64)
    )
    code_classes = None if classes is None else np.arange(len(classes))
    fold_fit = best.fit_time / max(len(best.fit_s), 1)
    curve_cost = fold_fit * 3 * 3  # 5 sizes x 3 folds, at 60% of the rows on average
    diagnostics["learning_curve"] = None
    if deadline - time.monotonic() > curve_cost:
        diagnostics["learning_curve"] = learning_curve_of(
            auto.trial_pipeline(best),
            auto.columns_.transform(cleaned_train),
            codes_train,
            metric,
            auto.task_,
            code_classes,
            SEED,
        )
    if diagnostics["learning_curve"] is not None:
        diagnostics["learning_curve"]["model"] = f"{best.family} (trial {best.number})"
    else:
        diagnostics["learning_curve_note"] = NOT_RUN
    if diagnostics["importance"] and deadline - time.monotonic() > fold_fit * 6:
        diagnostics["selection"] = selection_pass(
            lambda roles: auto.trial_pipeline(best, roles),
            auto.roles_,
            cleaned_train,
            codes_train,
            diagnostics["importance"],
            metric,
            auto.task_,
            code_classes,
            SEED,
        )
    else:
        diagnostics["selection"] = {"why": NOT_RUN}
    if positive is not None:
        code = list(classes).index(positive)
        is_positive = y_test.astype(str) == str(positive)
        proba = model.predict_proba(X_test)[:, code]
        diagnostics["calibration"] = calibration_of(is_positive, proba)
        diagnostics["subgroups"] = subgroup_recall(X_test, is_positive, proba >= threshold)
    else:
        diagnostics["calibration"] = diagnostics["subgroups"] = None
    return diagnostics


def _figures(auto, thresholds, diagnostics, metric, costs, folder, say) -> dict:
    figures = {
        "leaderboard": draw_leaderboard(auto.leaderboard_, metric, folder / "leaderboard.png", say)
    }
    if diagnostics.get("learning_curve"):
        curve = diagnostics["learning_curve"]
        figures["learning_curve"] = draw_learning_curve(
            curve, metric, curve["model"], folder / "learning_curve.png", say
        )
    if diagnostics.get("importance"):
        figures["importance"] = draw_importance(
            diagnostics["importance"], metric, folder / "importance.png", say
        )
    if thresholds is not None:
        figures["thresholds"] = draw_thresholds(
            pd.DataFrame(thresholds["table"]),
            thresholds["chosen"],
            costs.currency,
            folder / "thresholds.png",
            say,
        )
    if diagnostics.get("calibration"):
        figures["calibration"] = draw_calibration(
            diagnostics["calibration"], folder / "calibration.png", say
        )
    return figures


def _plain(row: dict) -> dict:
    """What a reader needs of one threshold's row: recall, precision and cost."""
    return {key: row[key] for key in ("threshold", "recall", "precision", "cost_per_1000")}


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records"))
