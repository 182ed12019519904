"""The deep stage: a neural network on the project's mart, with everything that explains it.

Reads the same rows as the train stage (the same hold-out, cleaned by the same
plan), builds a network step by step from a small baseline (each step measured on
validation rows and kept only if it helps), looks at its errors and tries what
they call for, trains the final network on all training rows, and compares it
with the classical champion on the hold-out. It writes
``.atelier/artifacts/deep/``: the architecture (table and diagram), the training
method, the curves per epoch, the indicators, the improvements, the errors, the
ONNX network (checked against torch) and the served pipeline; the run is tracked
in MLflow and the network becomes the ``champion`` only if it beats the classical
model on the hold-out beyond the hold-out's noise.
"""

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import joblib
import numpy as np
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from atelier._artifacts import CARD_FILE, SCHEMA_FILE, staged_artifact_dir, write_result
from atelier._naming import snake_case
from atelier._project import Project
from atelier._text import Text
from atelier._values import json_value
from atelier.charter import text_columns
from atelier.deep import _errors, _figures, _perception
from atelier.deep._improvements import BASELINE, Trainer, improve, search
from atelier.deep._indicators import at_threshold, holdout_indicators
from atelier.deep._records import VALIDATION_SHARE, diagnose, method_record
from atelier.exceptions import CharterError, DataError, StageOrderError
from atelier.learn._card import background_keys, background_of, reference_of
from atelier.learn._data import SEED, training_data
from atelier.learn._features import FrameCoercer, categorical_positions, make_preprocessor
from atelier.learn._metrics import BINARY, REGRESSION, TRANSCRIPTION, get_metric
from atelier.learn._schema import accepted_fields, input_schema
from atelier.learn._thresholds import (
    best_threshold,
    threshold_table,
    unit_costs,
)
from atelier.sources._snapshot import hash_bytes

STAGE = "deep"
DEEP_LIBRARIES = {"torch", "tabm", "rtdl_num_embeddings", "onnx"}  # the deep extra's
MODEL_FILE = "model.joblib"
ONNX_FILE = "network.onnx"
PATIENCE = 12
ONNX_TOLERANCE = 1e-4
# shares of the budget by the end of each phase: the steps, the treatments of the
# errors, the search; the rest is for the final training and the records
IMPROVED_BY, TREATED_BY, SEARCHED_BY = 0.35, 0.55, 0.75


@dataclass(frozen=True)
class DeepResult:
    """What the deep stage did; ``result.json`` holds the same fields.

    Attributes
    ----------
    table, target, task, metric : str
    rows_fit, rows_validation, rows_holdout : int
        The rows each step trains on, the rows that score the steps, and the
        hold-out (the train stage's).
    architecture : dict
        ``kind``, ``config``, ``layers`` (one row per layer), ``parameters``,
        ``inputs`` (numeric and categorical inputs, embeddings), ``declared``.
    method : dict
        Loss, optimiser, schedule, learning rate (and the range test), batch size,
        epochs and early stopping, regularisation, split, seed, device, seconds per
        epoch.
    curves : dict
        ``history`` (one row per epoch), ``best_epoch``, ``stopped_by`` and the
        ``diagnosis`` read from them.
    indicators : dict
        Hold-out scores of the network and of the classical champion on the same
        rows, the paired gain, and per task: calibration, confusion matrix and
        per-class recall, or residuals.
    improvements : dict
        ``steps`` (see :mod:`atelier.deep._improvements`) and ``search``.
    errors : dict
        ``validation`` and ``holdout`` analyses, and ``treatments``.
    onnx : dict
        ``file``, ``rows`` compared, ``max_abs_difference``, ``equal``.
    champion : bool
        Whether the network became the served model.
    model_file, model_sha256 : str
    registry : dict
    figures : dict of str to str
    notes : list of str
    budget_s, duration_s : float
    """

    table: str
    target: str
    task: str
    metric: str
    greater_is_better: bool
    rows_fit: int
    rows_validation: int
    rows_holdout: int
    architecture: dict
    method: dict
    curves: dict
    indicators: dict
    improvements: dict
    errors: dict
    onnx: dict
    champion: bool
    model_file: str
    model_sha256: str
    registry: dict
    figures: dict
    notes: list
    budget_s: float
    duration_s: float


def deep(project: Project, budget: float | None = None) -> DeepResult:
    """Train, explain and register the neural network of ``project``.

    Parameters
    ----------
    project : Project
    budget : float or None
        Seconds for the whole stage; the charter's ``deep.budget_s`` when None.

    Returns
    -------
    DeepResult

    Raises
    ------
    StageOrderError
        Before ``atelier train``.
    CharterError
        When torch (or another library of the ``deep`` extra) is not installed.
    DataError
        When the budget is too small for one epoch, or no column is usable.
    """
    started_at, clock = datetime.now(UTC), time.monotonic()
    charter = project.charter
    settings = charter.deep
    budget = float(budget if budget is not None else settings.budget_s)
    if budget <= 0:
        raise DataError(f"budget: expected a positive number of seconds, got {budget:g}")
    try:
        from atelier.learn._networks import embedding_size
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in DEEP_LIBRARIES:
            raise
        from atelier.learn._neural import torch_missing_message

        raise CharterError(torch_missing_message("atelier deep")) from None
    if charter.target.task == TRANSCRIPTION:  # no classical model: the constant answer
        return _deep_transcription(project, budget, started_at, clock)
    train_file = project.artifact_dir("learn") / "result.json"
    if not train_file.exists():
        raise StageOrderError(
            f"{project.root}: no classical model to compare with; run `atelier train` first"
        )
    trained = json.loads(train_file.read_text())
    data = training_data(project)
    modality = _modality(project, data)
    if modality is not None:
        return _deep_perception(
            project, data, trained, budget, train_file, started_at, clock, modality
        )
    task = data.task
    metric = get_metric(trained["metric"], task)
    preparation, roles = _preparation(data)
    X_train = np.asarray(preparation.transform(data.X_train), dtype=np.float64)
    X_test = np.asarray(preparation.transform(data.X_test), dtype=np.float64)
    categorical = categorical_positions(roles)
    stratify = data.y_train if task != REGRESSION else None
    fit_rows, validation_rows = train_test_split(
        np.arange(len(data.y_train)),
        test_size=VALIDATION_SHARE,
        stratify=stratify,
        random_state=SEED,
    )
    deadline = clock + budget

    def make(config):
        return _estimator(task, config, categorical)

    trainer = Trainer(
        make,
        (X_train[fit_rows], data.y_train[fit_rows]),
        (X_train[validation_rows], data.y_train[validation_rows]),
        metric,
        task,
        deadline=clock + IMPROVED_BY * budget,
    )
    declared = settings.architecture
    start = _start(settings, declared)
    prepared_s = time.monotonic() - clock
    ladder = improve(
        trainer,
        start,
        declared=declared is not None,
        range_test=lambda config: _range_test(make, config, trainer, categorical, task),
    )
    first = ladder.steps[0]
    if prepared_s + first["seconds"] > budget:
        raise DataError(
            f"atelier.yaml: deep.budget_s: {budget:g} s is too small: the baseline network "
            f"alone took {first['seconds']:.1f} s ({first['epochs']} epochs); give it at least "
            f"{4 * first['seconds'] + 10:.0f} s"
        )
    kept_model, kept_score = trainer.fit(ladder.config)
    validation_errors = _errors.analyse(
        data.X_train.iloc[validation_rows],
        _row_errors(kept_model, trainer.X_valid, trainer.y_valid, task),
        trainer.y_valid,
        kept_model.predict(trainer.X_valid),
    )
    trainer.deadline = clock + TREATED_BY * budget
    treated = _errors.treatments(trainer, ladder.config, kept_model, kept_score, task)
    # the search tunes the network the steps and the treatments kept
    ladder.config, ladder.score = treated["config"], treated["score"]
    trainer.deadline = clock + SEARCHED_BY * budget
    search(trainer, ladder, settings.trials, declared is not None)
    final_config = ladder.config
    # the final training may not outlast the budget: no new epoch after its deadline
    network = make(final_config | {"deadline": deadline}).fit(X_train, data.y_train)
    positive, threshold = _decision(trained, network, trainer, final_config, charter)
    holdout = holdout_indicators(project, data, network, X_test, metric, task, positive)
    holdout_errors = _errors.analyse(
        data.X_test,
        _row_errors(network, X_test, data.y_test, task),
        data.y_test,
        network.predict(X_test),
    )
    layers = _layer_table(network, categorical)
    reference = network.predict_proba(X_test) if task != REGRESSION else network.predict(X_test)
    network.freeze()
    served = network.predict_proba(X_test) if task != REGRESSION else network.predict(X_test)
    onnx = _onnx_check(reference, served)
    pipeline = Pipeline([*preparation.steps, ("model", network)])
    champion = holdout["comparison"]["better"]
    history = network.history_
    curves = _curves(history, network)
    architecture = {
        "kind": final_config["architecture"],
        "declared": declared is not None,
        "config": final_config,
        "layers": layers,
        "parameters": network.n_parameters_,
        "inputs": {
            "embedding_widths": [embedding_size(c + 1) for c in network.cardinalities_],
            "numeric": len(network.numeric_),
            "missing_indicators": len(network.indicated_),
            "categorical": len(categorical),
            "cardinalities": network.cardinalities_,
            "rows": len(X_train),
            "outputs": network.n_outputs_,
        },
    }
    method = method_record(network, final_config, ladder, task, len(fit_rows), len(validation_rows))
    improvements = {"steps": ladder.steps, "search": ladder.search}
    errors = {
        "validation": validation_errors,
        "treatments": treated["tried"],
        "holdout": holdout_errors,
    }
    notes = list(data.notes)
    with staged_artifact_dir(project.artifacts_dir, STAGE) as folder:
        (folder / ONNX_FILE).write_bytes(network.onnx_)
        joblib.dump(pipeline, folder / MODEL_FILE)
        sha256 = hashlib.sha256((folder / MODEL_FILE).read_bytes()).hexdigest()
        cleaner = preparation.named_steps.get("preprocess")
        cleaned_train = data.X_train if cleaner is None else cleaner.transform(data.X_train)
        schema = input_schema(cleaned_train, set(getattr(cleaner, "impute_values_", {})))
        schema["accepted"] = accepted_fields(schema)
        (folder / SCHEMA_FILE).write_text(json.dumps(schema, indent=2) + "\n")
        card = _card(charter, trained, data, network, holdout, positive, threshold, cleaned_train)
        card["trained_at"] = started_at.isoformat(timespec="seconds")
        if positive is not None:
            card |= at_threshold(
                served[:, list(network.classes_).index(positive)],
                data.y_test,
                positive,
                threshold,
                charter.costs,
                next(c for c in network.classes_ if c != positive),
            )
        (folder / CARD_FILE).write_text(json.dumps(card, indent=1) + "\n")
        (folder / "architecture.json").write_text(json.dumps(architecture, indent=1) + "\n")
        say = Text(charter.project.language)
        figures = _draw(folder, say, curves, ladder, layers, holdout, metric.name, architecture)
        registry = _register(
            project,
            pipeline,
            data.X_test.head(5),
            data,
            metric,
            budget,
            final_config,
            holdout,
            folder,
            champion,
        )
        return _publish(
            folder,
            data,
            metric,
            train_file,
            budget,
            started_at,
            clock,
            rows_fit=len(fit_rows),
            rows_validation=len(validation_rows),
            rows_holdout=len(X_test),
            architecture=architecture,
            method=method,
            curves=curves,
            indicators=holdout,
            improvements=improvements,
            errors=errors,
            onnx=onnx,
            champion=champion,
            model_sha256=sha256,
            registry=registry,
            figures={name: path.name for name, path in figures.items()},
            notes=notes,
        )


def _deep_perception(
    project, data, trained, budget, train_file, started_at, clock, modality
) -> DeepResult:
    """The deep stage on images or texts: see :mod:`atelier.deep._perception`."""
    charter, settings = project.charter, project.charter.deep
    metric = get_metric(trained["metric"], data.task)
    X_train, X_test = modality.inputs(project, data)
    trainer, config, steps, tested, (rows_fit, rows_validation) = _perception.climb(
        modality,
        data,
        X_train,
        metric,
        data.task,
        settings.max_epochs,
        clock + TREATED_BY * budget,  # the steps; then the treatments, up to SEARCHED_BY
    )
    if time.monotonic() - clock > budget and len(steps) > 1 and "skipped" in steps[1]:
        raise DataError(
            f"atelier.yaml: deep.budget_s: {budget:g} s is too small: the first network alone "
            f"took {steps[0]['seconds']:.1f} s; "
            f"give it at least {3 * steps[0]['seconds'] + 10:.0f} s"
        )
    kept_model, kept_score = trainer.fit(config)
    # what the validation errors call for (class weights, regularisation, more epochs)
    no_columns = data.X_train.iloc[:, :0]  # pixels and words: no column to group errors by
    validation_rows = trainer.y_valid
    validation_errors = _errors.analyse(
        no_columns.iloc[: len(validation_rows)],
        _row_errors(kept_model, trainer.X_valid, validation_rows, data.task),
        validation_rows,
        kept_model.predict(trainer.X_valid),
    )
    trainer.deadline = clock + SEARCHED_BY * budget
    treated = _errors.treatments(trainer, config, kept_model, kept_score, data.task)
    config = treated["config"]
    network, _ = trainer.fit(config)
    holdout = holdout_indicators(project, data, network, X_test, metric, data.task, None)
    reference = network.predict_proba(X_test)
    layers = network.layer_table()
    network.freeze()
    served = network.predict_proba(X_test)
    onnx = _onnx_check(reference, served)
    classes = [json_value(c) for c in network.classes_]
    analysed = _errors.analyse(
        data.X_test.iloc[:, :0],
        _errors.row_errors(data.task, data.y_test, served, network.classes_),
        data.y_test,
        network.classes_[served.argmax(axis=1)],
    )
    errors = {
        "validation": validation_errors,
        "treatments": treated["tried"],
        "holdout": analysed
        | {
            "confused_pairs": _perception.confused_pairs(holdout["confusion"], classes),
            **modality.errors(project, data, network, served),
        },
    }
    history = network.history_
    curves = _curves(history, network)
    architecture = {
        "kind": modality.kind,
        "declared": False,
        "config": config,
        "layers": layers,
        "parameters": network.n_parameters_,
        "inputs": modality.described_inputs(data, network)
        | {"rows": len(data.y_train), "outputs": len(classes)},
    }
    champion = holdout["comparison"]["better"]
    method = _perception.method_of(
        network, config, rows_fit, rows_validation, tested, modality.method_extras(config)
    )
    with staged_artifact_dir(project.artifacts_dir, STAGE) as folder:
        (folder / ONNX_FILE).write_bytes(network.onnx_)
        joblib.dump(network, folder / MODEL_FILE)
        sha256 = hashlib.sha256((folder / MODEL_FILE).read_bytes()).hexdigest()
        card = _media_card(
            charter,
            data,
            started_at,
            classes=classes,
            metric=metric.name,
            holdout_score=holdout["network"][metric.name],
            model=f"{modality.title} network (ONNX)",
        )
        described = modality.card_input(data)
        if described is not None:
            card["input"] = described
        else:  # records of columns: the classical model's schema and reference serve it too
            learn = project.artifact_dir("learn")
            (folder / SCHEMA_FILE).write_bytes((learn / SCHEMA_FILE).read_bytes())
            kept = json.loads((learn / CARD_FILE).read_text())
            copied = ("reference", "background", "background_keys", "text_columns")
            card |= {k: kept.get(k) for k in copied}
        (folder / CARD_FILE).write_text(json.dumps(card, indent=1) + "\n")
        (folder / "architecture.json").write_text(json.dumps(architecture, indent=1) + "\n")
        say = Text(charter.project.language)
        figures = {
            "curves": _figures.draw_curves(
                history, network.best_epoch_, "accuracy", folder / "curves.png", say
            ),
            "architecture": _figures.draw_architecture(
                layers,
                say("fig_architecture", kind=modality.title, n=f"{network.n_parameters_:,}"),
                folder / "architecture.png",
                say,
            ),
            "improvements": _figures.draw_improvements(
                steps, metric.name, folder / "improvements.png", say
            ),
            "confusion": _figures.draw_confusion(
                holdout["confusion"], classes, folder / "confusion.png", say
            ),
        }
        if tested is not None:
            figures["range_test"] = _figures.draw_range_test(tested, folder / "range_test.png", say)
        figures |= modality.figures(project, data, errors["holdout"], folder, say)
        registry = _register(
            project,
            network,
            X_test[:5],
            data,
            metric,
            budget,
            config,
            holdout,
            folder,
            champion,
        )
        return _publish(
            folder,
            data,
            metric,
            train_file,
            budget,
            started_at,
            clock,
            rows_fit=rows_fit,
            rows_validation=rows_validation,
            rows_holdout=len(data.y_test),
            architecture=architecture,
            method=method,
            curves=curves,
            indicators=holdout,
            improvements={"steps": steps, "search": None},
            errors=errors,
            onnx=onnx,
            champion=champion,
            model_sha256=sha256,
            registry=registry,
            figures={name: path.name for name, path in figures.items()},
            notes=[*data.notes, *([modality.note] if modality.note else [])],
        )


def _deep_transcription(project, budget, started_at, clock) -> DeepResult:
    """The deep stage on recordings and what they say (see :mod:`atelier.deep._transcription`)."""
    from atelier.deep import _transcription
    from atelier.deep._transcribe import error_rates

    charter = project.charter
    group = charter.target.group_column
    data = training_data(project, extra=[group] if group else [])
    modality = _transcription.Transcripts()
    X_train, X_test = modality.inputs(project, data)
    metric = _transcription.CER
    trainer, config, steps, tested, (rows_fit, rows_validation) = _perception.climb(
        modality,
        data,
        X_train,
        metric,
        data.task,
        charter.deep.max_epochs,
        clock + TREATED_BY * budget,
    )
    if time.monotonic() - clock > budget and len(steps) > 1 and "skipped" in steps[1]:
        raise DataError(
            f"atelier.yaml: deep.budget_s: {budget:g} s is too small: the first network alone "
            f"took {steps[0]['seconds']:.1f} s; "
            f"give it at least {3 * steps[0]['seconds'] + 10:.0f} s"
        )
    model, score = trainer.fit(config)
    validation_said = model.predict(trainer.X_valid)
    validation_errors = {
        "rates": error_rates(list(trainer.y_valid), list(validation_said)),
        "largest": _transcription.worst(list(trainer.y_valid), list(validation_said)),
    }
    trainer.deadline = clock + SEARCHED_BY * budget
    treated = _transcription.treatments(trainer, config, model, score)
    config, network = treated["config"], treated["model"]
    layers = network.layer_table()
    reference = network.step_probabilities(X_test)
    network.freeze()
    onnx = _onnx_check(reference, network.step_probabilities(X_test))
    said = list(network.predict(X_test))
    truth = [str(t) for t in data.y_test]
    holdout = _transcription.indicators(truth, said, data.y_train)
    errors = {
        "validation": validation_errors,
        "treatments": treated["tried"],
        "holdout": _transcription.holdout_errors(
            truth, said, list(data.X_test["item"]), data.extra_test, group
        ),
    }
    history = [row | {"validation_score": row["validation_cer"]} for row in network.history_]
    curves = _curves(history, network)
    architecture = {
        "kind": modality.kind,
        "declared": False,
        "config": config,
        "layers": layers,
        "parameters": network.n_parameters_,
        "inputs": modality.described_inputs(data, network)
        | {
            "rows": len(data.y_train),
            "outputs": len(network.alphabet_) + 1,
            "alphabet": network.alphabet_,
        },
    }
    champion = holdout["comparison"]["better"]
    method = _perception.method_of(
        network, config, rows_fit, rows_validation, tested, modality.method_extras(config)
    )
    with staged_artifact_dir(project.artifacts_dir, STAGE) as folder:
        (folder / ONNX_FILE).write_bytes(network.onnx_)
        joblib.dump(network, folder / MODEL_FILE)
        sha256 = hashlib.sha256((folder / MODEL_FILE).read_bytes()).hexdigest()
        card = _media_card(
            charter,
            data,
            started_at,
            classes=None,
            metric=metric.name,
            holdout_score=holdout["network"]["cer"],
            model=f"{modality.title} (ONNX)",
            alphabet=network.alphabet_,
            input=modality.card_input(data),
        )
        (folder / CARD_FILE).write_text(json.dumps(card, indent=1) + "\n")
        (folder / "architecture.json").write_text(json.dumps(architecture, indent=1) + "\n")
        say = Text(charter.project.language)
        rate = say("fig_character_error_rate")
        figures = {
            "curves": _figures.draw_curves(
                history, network.best_epoch_, rate, folder / "curves.png", say
            ),
            "architecture": _figures.draw_architecture(
                layers,
                say("fig_architecture", kind=modality.title, n=f"{network.n_parameters_:,}"),
                folder / "architecture.png",
                say,
            ),
            "improvements": _figures.draw_improvements(
                steps, rate, folder / "improvements.png", say
            ),
        }
        if tested is not None:
            figures["range_test"] = _figures.draw_range_test(tested, folder / "range_test.png", say)
        shown = errors["holdout"]["mistranscribed"]
        if shown:
            spectrograms = modality._heard(project, data, [row["item"] for row in shown])
            figures["misclassified"] = _figures.draw_misclassified(
                spectrograms, shown, folder / "misclassified.png", say, True, transcripts=True
            )
        registry = _register(
            project, network, X_test[:5], data, metric, budget, config, holdout, folder, champion
        )
        return _publish(
            folder,
            data,
            metric,
            None,
            budget,
            started_at,
            clock,
            rows_fit=rows_fit,
            rows_validation=rows_validation,
            rows_holdout=len(data.y_test),
            architecture=architecture,
            method=method,
            curves=curves,
            indicators=holdout,
            improvements={"steps": steps, "search": None},
            errors=errors,
            onnx=onnx,
            champion=champion,
            model_sha256=sha256,
            registry=registry,
            figures={name: path.name for name, path in figures.items()},
            notes=data.notes,
        )


def _curves(history: list[dict], network) -> dict:
    """The curves' record: each epoch, the best one, why training stopped, and the diagnosis."""
    return {
        "history": history,
        "best_epoch": network.best_epoch_,
        "stopped_by": network.stopped_by_,
        "diagnosis": diagnose(history, network.best_epoch_, network.stopped_by_),
    }


def _media_card(charter, data, started_at, **facts) -> dict:
    """The serving card of a network of images, sounds or texts (no threshold: no decision)."""
    return {
        "target": data.target,
        "task": data.task,
        "positive_class": None,
        "threshold": None,
        "rows_train": len(data.y_train),
        "question": charter.project.question,
        "decision": charter.project.decision,
        "answer": None,
        "at_threshold": None,
        "currency": charter.costs.currency,
        "language": charter.project.language,
        "unit": charter.project.unit,
        "trained_at": started_at.isoformat(timespec="seconds"),
    } | facts


def _publish(folder, data, metric, train_file, budget, started_at, clock, **fields):
    """The stage's result, written with its manifest; ``fields`` are the network's own.

    ``train_file`` is the train stage's result, an input; None where it did not run
    (a transcriber has no classical model to compare with).
    """
    result = DeepResult(
        table=data.table,
        target=data.target,
        task=data.task,
        metric=metric.name,
        greater_is_better=metric.greater_is_better,
        model_file=MODEL_FILE,
        budget_s=budget,
        duration_s=round(time.monotonic() - clock, 3),
        **fields,
    )
    write_result(
        folder,
        stage=STAGE,
        result=result,
        inputs={"table": data.source_hash}
        | ({} if train_file is None else {"train": hash_bytes(train_file.read_bytes())}),
        parameters={"budget_s": budget, "seed": SEED},
        started_at=started_at,
        duration_s=result.duration_s,
    )
    return result


# ---- steps ------------------------------------------------------------------------


def _register(project, model, example, data, metric, budget, config, holdout, folder, champion):
    """Track the network's run in MLflow and register it (the champion when it won)."""
    from atelier.learn._tracking import track

    history = model.history_ if hasattr(model, "history_") else model[-1].history_
    return track(
        project.state_dir,
        model_name=snake_case(project.charter.project.name),
        model=model,
        example=example,
        parameters={
            "table": data.table,
            "target": data.target,
            "metric": metric.name,
            "budget_s": budget,
            "architecture": json.dumps(config),
        },
        scores={
            f"holdout_{metric.name}": holdout["network"][metric.name],
            f"classical_holdout_{metric.name}": holdout["classical"][metric.name],
        },
        artifacts_dir=folder,
        stage=STAGE,
        champion=champion,
        curves=[
            {k: row[k] for k in ("epoch", "train_loss", "validation_loss", "learning_rate")}
            for row in history
        ],
    )


def _onnx_check(reference: np.ndarray, served: np.ndarray) -> dict:
    """The ONNX network's predictions against torch's; an error when they differ."""
    difference = float(np.max(np.abs(reference - served))) if len(reference) else 0.0
    if difference > ONNX_TOLERANCE:
        raise DataError(
            f"{ONNX_FILE}: the ONNX network differs from torch's by {difference:.2e} "
            f"(tolerance {ONNX_TOLERANCE:g}); it is not served"
        )
    return {
        "file": ONNX_FILE,
        "rows": len(reference),
        "max_abs_difference": difference,
        "tolerance": ONNX_TOLERANCE,
        "equal": True,
    }


def _modality(project, data):
    """Images or texts, which their own networks read; None for a table's columns."""
    if data.images is not None:
        from atelier.deep._images import Images

        return Images()
    if data.sounds is not None:
        from atelier.deep._sounds import Sounds

        return Sounds()
    from atelier.learn._features import infer_roles

    declared = [c for c in text_columns(project.charter) if c in data.features]
    roles = infer_roles(data.X_train[data.features], declared)
    if roles.text and set(roles.features) == set(roles.text):  # words only: the text network
        from atelier.deep._texts import Texts

        return Texts(roles.text[0], data)
    return None


def _preparation(data) -> tuple[Pipeline, object]:
    """The cleaning plan, the column coder and the encoder, fitted on the training rows."""
    steps = [] if data.cleaner is None else [("preprocess", clone(data.cleaner))]
    steps.append(("columns", FrameCoercer()))
    partial = Pipeline(steps).fit(data.X_train)
    roles = partial[-1].roles_
    if roles.text:  # words are the classical model's (TF-IDF) or the text network's
        for column in roles.text:
            roles.dropped[column] = "free text: this network reads numbers and categories"
        roles.text = []
        steps[-1] = ("columns", FrameCoercer(roles))
        partial = Pipeline(steps).fit(data.X_train)
    if not roles.features:
        raise DataError(
            f"{data.table}: no usable feature column: "
            + "; ".join(f"{c}: {why}" for c, why in roles.dropped.items())
        )
    encoder = make_preprocessor(roles, encoding="ordinal", impute=False, scale=False)
    steps.append(("encode", encoder.fit(partial.transform(data.X_train), data.y_train)))
    return Pipeline(steps), roles


def _estimator(task: str, config: dict, categorical: list[int]):
    from atelier.learn._neural import NeuralClassifier, NeuralRegressor

    kind = NeuralRegressor if task == REGRESSION else NeuralClassifier
    return kind(**config, categorical=categorical, random_state=SEED)


def _start(settings, declared) -> dict:
    start = BASELINE | {"max_epochs": settings.max_epochs, "patience": PATIENCE}
    if declared is not None:
        start |= {
            "architecture": declared.kind,
            "layers": list(declared.layers),
            "activation": declared.activation,
            "dropout": declared.dropout,
            "numeric_embedding": declared.numeric_embedding,
            "k": declared.k,
        }
    return start


def _range_test(make, config, trainer: Trainer, categorical, task) -> dict:
    """The learning-rate range test on the fitting rows, for ``config``'s network."""
    import torch

    from atelier.learn import _networks

    # one epoch fits the preprocessing the sweep reads; the sweep itself starts from an
    # untrained network, as Smith's test does: on the probe's trained one, the loss was
    # often lowest at the first, smallest rate, and the "chosen" rate was 1e-6
    probe = make(config | {"max_epochs": 1}).fit(trainer.X_fit, trainer.y_fit)
    x_num, x_cat = probe.network_inputs(trainer.X_fit)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        network = _networks.build_network(
            probe.network_config(), x_num.shape[1], probe.cardinalities_, probe.n_outputs_
        )
    test = _networks.lr_range_test(
        network,
        (x_num, x_cat, probe.network_targets(trainer.y_fit)),
        classification=task != REGRESSION,
        config=probe.network_config(),
        seed=SEED,
    )
    return {k: (round(v, 8) if isinstance(v, float) else v) for k, v in test.items()}


def _row_errors(model, X, y, task):
    if task == REGRESSION:
        return _errors.row_errors(task, y, model.predict(X))
    return _errors.row_errors(task, y, model.predict_proba(X), model.classes_)


def _decision(trained, network, trainer, config, charter):
    """Binary targets: the positive class, and the cost threshold on validation rows.

    The threshold is chosen on the validation rows' predictions by a network trained
    on the fitting rows (the hold-out stays unseen), as train chooses it out of fold.
    """
    if trained["task"] != BINARY:
        return None, None
    positive = trained["thresholds"]["positive_class"]
    labels = [str(c) for c in network.classes_]
    code = labels.index(str(positive))
    positive = network.classes_[code]
    negative = network.classes_[1 - code]
    model, _ = trainer.fit(config)  # trained already by the steps, unless time ran out
    proba = model.predict_proba(trainer.X_valid)[:, code]
    unit = unit_costs(charter.costs, str(positive), str(negative))
    table = threshold_table(np.asarray(trainer.y_valid).astype(str) == str(positive), proba, unit)
    return positive, best_threshold(table)


def _layer_table(network, categorical) -> list[dict]:
    from atelier.learn import _networks

    return _networks.architecture_table(
        network.predictor(), network.n_numeric_inputs_, len(categorical)
    )


def _card(charter, trained, data, network, holdout, positive, threshold, cleaned_train) -> dict:
    """The serving card of the network, as train writes one for its model."""
    metric = trained["metric"]
    classes = getattr(network, "classes_", None)
    return {
        "target": data.target,
        "task": data.task,
        "classes": None if classes is None else [json_value(c) for c in classes],
        "positive_class": json_value(positive),
        "threshold": threshold,
        "metric": metric,
        "holdout_score": holdout["network"][metric],
        "rows_train": len(data.X_train),
        "question": charter.project.question,
        "decision": charter.project.decision,
        "answer": None,
        "at_threshold": None,
        "currency": charter.costs.currency,
        "language": charter.project.language,
        "unit": charter.project.unit,
        "reference": reference_of(cleaned_train),
        "background": background_of(cleaned_train, SEED),
        "background_keys": background_keys(cleaned_train, SEED, data.key_digests_train),
        "model": "neural network (ONNX)",
    }


def _draw(folder, say, curves, ladder, layers, holdout, metric, architecture) -> dict:
    figures = {
        "curves": _figures.draw_curves(
            curves["history"], curves["best_epoch"], metric, folder / "curves.png", say
        ),
        "architecture": _figures.draw_architecture(
            layers,
            say(
                "fig_architecture",
                kind={"mlp": "MLP", "tabm": "TabM"}[architecture["kind"]],
                n=f"{architecture['parameters']:,}",
            ),
            folder / "architecture.png",
            say,
        ),
        "improvements": _figures.draw_improvements(
            ladder.steps, metric, folder / "improvements.png", say
        ),
    }
    if ladder.range_test is not None:
        figures["range_test"] = _figures.draw_range_test(
            ladder.range_test, folder / "range_test.png", say
        )
    if "confusion" in holdout:
        figures["confusion"] = _figures.draw_confusion(
            holdout["confusion"], holdout["classes"], folder / "confusion.png", say
        )
    else:
        figures["residuals"] = _figures.draw_residuals(
            np.asarray(holdout["truth"]),
            np.asarray(holdout["predicted"]),
            folder / "residuals.png",
            say,
        )
    return figures
