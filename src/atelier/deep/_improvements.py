"""From a baseline network to the final one, one measured step at a time.

Every step changes one thing of the network or of its training, is trained on the
fitting rows and scored with the project's metric on the validation rows (which
early stopping never sees), and is kept only when it scores better than the
network it started from. After the errors' treatments (:mod:`atelier.deep._errors`),
:func:`search` tunes the kept network with Optuna. The hold-out is not touched here.
"""

import json
import time
from dataclasses import dataclass, field

import numpy as np

from atelier.learn._metrics import REGRESSION, TRANSCRIPTION, Metric

BASELINE = {
    "architecture": "mlp",
    "layers": [64],
    "activation": "relu",
    "dropout": 0.0,
    "batch_norm": False,
    "numeric_embedding": 0,
    "k": 16,
    "scaling": "standard",
    "learning_rate": 1e-3,
    "weight_decay": 0.0,
    "schedule": "constant",
}
# (name, change): each step's change to the kept network; "range_test" is filled in
STEPS = (
    ("wider_deeper", {"layers": [256, 256, 256]}),
    ("quantile", {"scaling": "quantile"}),
    ("range_test", {}),
    ("cosine", {"schedule": "cosine"}),
    ("dropout", {"dropout": 0.15}),
    ("weight_decay", {"weight_decay": 1e-4}),
    ("periodic", {"numeric_embedding": 16}),
    ("tabm", {"architecture": "tabm", "layers": [256, 256], "k": 16}),
)
# a declared architecture keeps its layers: only its training is improved
TRAINING_STEPS = ("quantile", "range_test", "cosine", "weight_decay")


@dataclass
class Ladder:
    """What the sequence found.

    Attributes
    ----------
    config : dict
        The kept network's parameters.
    steps : list of dict
        One row per step: ``step``, ``change``, ``validation`` (the metric), ``delta``
        (against the network it started from; positive is better), ``kept``,
        ``epochs``, ``best_epoch``, ``stopped_by``, ``parameters``, ``seconds``; or
        ``skipped`` with why.
    range_test : dict or None
    search : dict or None
        The Optuna study: ``trials``, ``best`` and ``importance`` of each parameter.
    score : float or None
        The kept network's validation score.
    """

    config: dict
    steps: list[dict] = field(default_factory=list)
    range_test: dict | None = None
    search: dict | None = None
    score: float | None = None


class Trainer:
    """Fits a network of a given config on the fitting rows and scores it on validation."""

    def __init__(self, make, fit_rows, validation_rows, metric: Metric, task: str, deadline):
        self.make = make  # make(config) -> unfitted estimator
        self.X_fit, self.y_fit = fit_rows
        self.X_valid, self.y_valid = validation_rows
        self.metric = metric
        self.task = task
        self.deadline = deadline
        self.last_seconds = 0.0  # of the last training actually run
        self.seconds = 0.0  # of the network just returned (cached or not)
        self._fitted = {}  # the same config is trained once (training is seeded)

    def score(self, model) -> float:
        if self.task == TRANSCRIPTION:
            return float(self.metric.score(self.y_valid, model.predict(self.X_valid)))
        if self.task == REGRESSION:
            predictions = model.predict(self.X_valid)
            truth = np.asarray(self.y_valid, dtype=np.float64)
        else:
            predictions = model.predict_proba(self.X_valid)
            truth = np.searchsorted(model.classes_, self.y_valid)
        return float(self.metric.score(truth, predictions))

    def fit(self, config: dict):
        """The network of ``config`` trained on the fitting rows, and its validation score."""
        key = json.dumps(config, sort_keys=True)
        if key not in self._fitted:
            started = time.monotonic()
            # no epoch starts after the deadline: a step far costlier than the one before
            # (an ensemble after a small network) cannot overrun the budget
            model = self.make(config | {"deadline": self.deadline}).fit(self.X_fit, self.y_fit)
            self.last_seconds = time.monotonic() - started
            self._fitted[key] = (model, self.score(model), self.last_seconds)
        model, score, seconds = self._fitted[key]
        self.seconds = seconds
        return model, score

    def time_left(self) -> float:
        return self.deadline - time.monotonic()


def better(metric: Metric, new: float, old: float) -> float:
    """How much ``new`` improves on ``old`` in the metric's direction (positive: better)."""
    return new - old if metric.greater_is_better else old - new


def improve(trainer: Trainer, start: dict, *, declared: bool, range_test) -> Ladder:
    """Run the steps from ``start`` within the trainer's deadline.

    Parameters
    ----------
    trainer : Trainer
    start : dict
        The baseline network's parameters.
    declared : bool
        The charter declared the architecture: only training steps run, and the
        search leaves the layers alone.
    range_test : callable
        ``range_test(config) -> dict`` (see :func:`atelier.learn._networks.lr_range_test`).
    """
    model, score = trainer.fit(start)
    ladder = Ladder(config=dict(start))
    ladder.steps.append(step_row("baseline", {}, score, 0.0, True, model, trainer.seconds))
    has_numbers = bool(model.numeric_)
    for name, change in STEPS:
        if declared and name not in TRAINING_STEPS:
            continue
        if name == "periodic" and not has_numbers:
            ladder.steps.append({"step": name, "skipped": "no numeric feature"})
            continue
        if trainer.time_left() < 2.5 * trainer.last_seconds:
            ladder.steps.append({"step": name, "skipped": "time budget"})
            continue
        if name == "range_test":
            ladder.range_test = range_test(ladder.config)
            change = {"learning_rate": ladder.range_test["chosen"]}
        candidate = ladder.config | change
        model, new_score = trainer.fit(candidate)
        delta = better(trainer.metric, new_score, score)
        kept = delta > 0
        ladder.steps.append(step_row(name, change, new_score, delta, kept, model, trainer.seconds))
        if kept:
            ladder.config, score = candidate, new_score
    ladder.score = score
    return ladder


def step_row(step, change, score, delta, kept, model, seconds) -> dict:
    return {
        "step": step,
        "change": change,
        "validation": score,
        "delta": delta,
        "kept": kept,
        "epochs": len(model.history_),
        "best_epoch": model.best_epoch_,
        "stopped_by": model.stopped_by_,
        "parameters": model.n_parameters_,
        "seconds": round(seconds, 2),
    }


def search(trainer: Trainer, ladder: Ladder, trials: int, declared: bool) -> None:
    """Optuna's TPE around the kept network; the best trial replaces it if it is better.

    Adds the ``search`` step to ``ladder.steps`` and sets ``ladder.search``: the
    ``trials`` run, the ``best`` parameters and value, and the ``importance`` of each
    parameter (PED-ANOVA, from three finished trials).
    """
    if not trials:
        return
    score = ladder.score
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    kept = ladder.config
    study = optuna.create_study(
        direction="maximize" if trainer.metric.greater_is_better else "minimize",
        sampler=optuna.samplers.TPESampler(seed=0),
    )
    study.enqueue_trial(_as_trial(kept, declared))
    models = {}

    def objective(trial):
        config = kept | {
            "learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True),
            "weight_decay": trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
            "dropout": trial.suggest_float("dropout", 0.0, 0.4),
        }
        if not declared:
            width = trial.suggest_categorical("width", [64, 128, 256, 512])
            config["layers"] = [width] * trial.suggest_int("depth", 1, 4)
        model, value = trainer.fit(config)
        models[trial.number] = (config, model)
        return value

    for _ in range(trials):
        if trainer.time_left() < 2.5 * trainer.last_seconds:
            break
        study.optimize(objective, n_trials=1)
    finished = [t for t in study.trials if t.value is not None]
    best = study.best_trial if finished else None
    delta = better(trainer.metric, best.value, score) if best else 0.0
    kept_search = best is not None and delta > 0
    if kept_search:
        ladder.config, ladder.score = models[best.number][0], best.value
    model = models[best.number][1] if best else None
    if best is not None:
        ladder.steps.append(
            step_row("search", best.params, best.value, delta, kept_search, model, 0.0)
            | {"seconds": round(sum(t.duration.total_seconds() for t in finished), 2)}
        )
    importance = {}
    if len(finished) >= 3:
        try:
            evaluator = optuna.importance.PedAnovaImportanceEvaluator()
            importance = optuna.importance.get_param_importances(study, evaluator=evaluator)
        except (RuntimeError, ValueError):  # too few distinct trials for the estimate
            importance = {}
    ladder.search = {
        "trials": len(finished),
        "best": best.params if best else None,
        "best_value": best.value if best else None,
        "importance": {name: round(float(value), 4) for name, value in importance.items()},
    }


def _as_trial(config: dict, declared: bool) -> dict:
    """The kept network as the search's first trial."""
    params = {
        "learning_rate": min(max(config["learning_rate"], 1e-4), 1e-2),
        "weight_decay": min(max(config["weight_decay"], 1e-6), 1e-2),
        "dropout": min(config["dropout"], 0.4),
    }
    if not declared and config["layers"][0] in (64, 128, 256, 512) and len(config["layers"]) <= 4:
        params |= {"width": config["layers"][0], "depth": len(config["layers"])}
    return params
