"""The time-budgeted search across model families and their hyperparameters.

How the budget is spent, in order:

1. warm start: every family's default configurations, cheapest family first;
2. search: each family has its own Optuna study (TPE sampler, median pruner on the
   fold scores); the next trial goes to whichever of the three best families so far
   has used the least time, so that time follows the evidence;
3. a reserve is kept for the final refit, estimated from the fit times of the best
   trials; a trial whose estimated time does not fit in what is left is not started.

The studies live in memory, or in a database (``storage``, any URL Optuna takes),
where several workers can share them: the search's tuned trials then run in
parallel (``parallel``; see :mod:`atelier.learn._parallel`).

Every trial is cross-validated on the same folds, and its out-of-fold predictions
are kept for ensemble selection.
"""

import logging
import os
import pickle
import time
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import optuna
import pandas as pd
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.preprocessing import PowerTransformer

from atelier.learn._ensemble import aligned_proba
from atelier.learn._families import BuildContext, Family
from atelier.learn._metrics import REGRESSION, Metric

TOP_FAMILIES = 3
KEEP_FOLD_MODELS = 3  # fold models (a fallback when refit time runs out) kept for the best
PREDICT_BATCH = 1_000  # prediction time is measured on one batch of this many rows
PREDICT_REPEATS = 3  # calls timed on that batch while they stay under PREDICT_TIMING_S
PREDICT_TIMING_S = 0.05
TRAIN_SCORE_ROWS = 2_000  # rows of each training fold scored, for the over-fitting gap
PROBE_ROWS = 2_000  # above 5x this, a family's first fit is timed on a sample first
REFIT_SAFETY = 1.3
SKIP_SHARE = 0.3  # a family whose one trial needs more of the budget than this is skipped
SLOW_AFTER_FOLDS = 3  # folds timed before a family's first trial may be found too slow
FIXED_BY_DEFAULTS = ("n_estimators",)  # parameters a default sets and the spaces leave alone

optuna.logging.set_verbosity(optuna.logging.WARNING)
log = logging.getLogger(__name__)


@dataclass
class TrialRecord:
    """One configuration, cross-validated.

    ``status`` is ``complete``, ``pruned`` (stopped by the pruner after some folds),
    ``stopped`` (the budget ran out mid-way), or ``failed`` (the note says why).
    ``origin`` is ``default`` for a family's default configuration (warm start),
    ``tuned`` for a configuration proposed by Optuna.
    Losses are the metric as a loss (lower is better), per fold.
    """

    number: int
    family: str
    params: dict
    origin: str = "tuned"
    status: str = "complete"
    fold_losses: list[float] = field(default_factory=list)
    train_losses: list[float] = field(default_factory=list)
    fit_s: list[float] = field(default_factory=list)
    predict_s_per_1k: float = float("nan")
    size_kb: float = float("nan")
    best_iterations: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    oof: np.ndarray | None = None
    fold_models: list | None = None
    worker: int | None = None  # the parallel worker that ran it
    study_trial: int | None = None  # its number in its family's Optuna study

    @property
    def loss(self) -> float:
        return float(np.mean(self.fold_losses)) if self.fold_losses else float("inf")

    @property
    def fit_time(self) -> float:
        return float(np.sum(self.fit_s))

    def summary(self) -> dict:
        """The record without its predictions and models, as JSON values."""
        return {name: getattr(self, name) for name in SUMMARY_FIELDS}

    @classmethod
    def from_summary(cls, summary: dict) -> "TrialRecord":
        """The record a :meth:`summary` describes (no predictions, no models)."""
        return cls(**{name: summary[name] for name in SUMMARY_FIELDS if name in summary})


SUMMARY_FIELDS = (
    "number", "family", "params", "origin", "status", "fold_losses", "train_losses", "fit_s",
    "predict_s_per_1k", "size_kb", "best_iterations", "notes", "wall_s", "worker",
    "study_trial",
)  # fmt: skip


@dataclass
class SearchSetup:
    """What stays fixed during a search."""

    task: str
    metric: Metric
    families: list[Family]
    context: BuildContext
    splits: list[tuple[np.ndarray, np.ndarray]]
    n_classes: int
    deadline: float
    budget: float
    random_state: int | None
    power_transform_target: bool = False
    max_trials: int | None = None
    storage: object = None  # an Optuna storage the studies are kept in; None: memory
    study_prefix: str = "atelier"  # the studies are named <prefix>.<family>


class Search:
    """Run trials until the budget (minus the refit reserve) is spent.

    Parameters
    ----------
    setup : SearchSetup
    parallel : object or None
        Runs the tuned trials on several workers: ``parallel.tune(search, X, y)``
        returns their records (see :mod:`atelier.learn._parallel`); None runs them
        here, one after the other.
    worker : int or None
        The index of the parallel worker this search runs in; None in the caller.
    """

    def __init__(self, setup: SearchSetup, parallel=None, worker: int | None = None):
        self.setup = setup
        self.parallel = parallel
        self.worker = worker
        self.records: list[TrialRecord] = []
        # each worker draws its own proposals: the same seed everywhere would repeat them
        seed = setup.random_state
        if seed is not None and worker is not None:
            seed += 1_000 * (worker + 1)
        self.studies = {
            family.name: optuna.create_study(
                direction="minimize",
                sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=4),
                pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1),
                storage=setup.storage,
                study_name=f"{setup.study_prefix}.{family.name}" if setup.storage else None,
                load_if_exists=setup.storage is not None,
            )
            for family in setup.families
            if family.space is not None
        }
        self.skipped: dict[str, str] = {}
        self.notes: list[str] = []
        self.fold_frames: list[pd.DataFrame] | None = None

    # ---- budget -------------------------------------------------------------------

    def refit_reserve(self, n_rows: int) -> float:
        """Seconds to keep for refitting the likely ensemble members on all rows.

        The three best trials so far, refit on all rows, plus the longest fold fit
        seen (a fold that starts just before the reserve may run into it).
        """
        complete = sorted(self.complete(), key=lambda r: r.loss)[:TOP_FAMILIES]
        if not complete:
            return 0.0
        fold_rows = np.mean([len(train) for train, _ in self.setup.splits])
        scale = n_rows / fold_rows
        refits = REFIT_SAFETY * sum(np.mean(r.fit_s) * scale for r in complete)
        # a fold started just before the reserve begins may run into it
        longest_fold = max(max(r.fit_s) for r in self.records if r.fit_s)
        return refits + longest_fold

    def time_left(self, n_rows: int) -> float:
        return self.setup.deadline - self.refit_reserve(n_rows) - time.monotonic()

    def estimate(self, family: Family, X: pd.DataFrame, y: np.ndarray) -> float:
        """Seconds a cross-validated trial of ``family`` is expected to take.

        From the family's past trials when it has some. Otherwise, on large data,
        its default is timed on two small samples and the time extrapolated along
        the line through them (fixed costs such as boosting rounds do not grow with
        rows, so scaling one small fit in proportion would overestimate).
        """
        past = [r for r in self.records if r.family == family.name and r.status == "complete"]
        folds = len(self.setup.splits)
        if past:  # whole trials: fits, predictions, scoring
            return float(np.median([r.wall_s for r in past])) * 1.2
        train, _ = self.setup.splits[0]
        if len(train) <= 5 * PROBE_ROWS:
            return 0.0
        rng = np.random.default_rng(0)
        small, large = PROBE_ROWS // 4, PROBE_ROWS
        times = []
        for size in (small, large):
            sample = rng.choice(train, size, replace=False)
            pipeline = self.pipeline(family, family.defaults[0])
            started = time.monotonic()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    pipeline.fit(X.iloc[sample], y[sample])
            except Exception:  # the trial itself will report the failure
                return 0.0
            times.append(time.monotonic() - started)
        slope = max(times[1] - times[0], 0.0) / (large - small)
        return (times[1] + slope * (len(train) - large)) * folds * 1.2

    # ---- trials -------------------------------------------------------------------

    def pipeline(self, family: Family, params: dict):
        return build_pipeline(family, params, self.setup.context)

    def run(
        self, X: pd.DataFrame, y: np.ndarray, fold_frames: list[pd.DataFrame] | None = None
    ) -> list[TrialRecord]:
        """Warm start, then search, until the time left is used.

        ``fold_frames``, when given, holds for each split the rows as prepared by a
        preprocessor fitted on that split's training rows only; each fold is then
        fitted and scored on its own frame, ``X`` serving only to time probes.
        """
        self.fold_frames = fold_frames
        n_rows = len(X)
        for family, params in self._warm_start():
            if family.name in self.skipped:
                continue
            if not self.run_trial(family, params, X, y, n_rows) and family.name != "dummy":
                return self.records
        searchable = [f for f in self.setup.families if f.space is not None]
        if self.parallel is not None and searchable:
            self.records += self.parallel.tune(self, X, y)
            self._forget_fold_models()
            return self.records
        while searchable:
            family = self.next_family(searchable)
            if family is None or not self.run_trial(family, None, X, y, n_rows):
                break
        return self.records

    def _warm_start(self) -> list[tuple[Family, dict]]:
        """Every family's first default, cheapest first, then the second defaults.

        With a skewed regression target, each family's first default is also tried
        on the transformed target, right after the untransformed one.
        """
        queue = []
        rounds = max(len(f.defaults) for f in self.setup.families)
        for index in range(rounds):
            for family in self.setup.families:
                if index >= len(family.defaults):
                    continue
                queue.append((family, dict(family.defaults[index])))
                if index == 0 and self.setup.power_transform_target and family.name != "dummy":
                    queue.append((family, {**family.defaults[0], "target_transform": "power"}))
        return queue

    def next_family(self, searchable: list[Family]) -> Family | None:
        best = {}
        for record in self.complete():
            best[record.family] = min(best.get(record.family, np.inf), record.loss)
        ranked = sorted(
            (f for f in searchable if f.name in best and f.name not in self.skipped),
            key=lambda f: best[f.name],
        )[:TOP_FAMILIES]
        if not ranked:
            return None
        spent = {
            f.name: sum(r.fit_time for r in self.records if r.family == f.name) for f in ranked
        }
        return min(ranked, key=lambda f: spent[f.name])

    def run_trial(self, family: Family, params: dict | None, X, y, n_rows: int) -> bool:
        """Run one trial; False when the budget (of time or trials) is spent."""
        if self.setup.max_trials is not None and len(self.records) >= self.setup.max_trials:
            return False
        if family.name != "dummy":
            left = self.time_left(n_rows)
            if left <= 0:
                return False
            needed = self.estimate(family, X, y)
            if needed > left:
                if needed < SKIP_SHARE * self.setup.budget:
                    return False  # the budget is nearly spent: end the search here
                self._leave_out(family, needed, "not tried")
                return True
        origin = "tuned" if params is None else "default"
        study = self.studies.get(family.name)
        optuna_trial = None
        if study is not None:
            if params is not None:
                study.enqueue_trial(self._with_transform(params))
            optuna_trial = study.ask()
            if self.worker is not None:  # a rerun of this worker finds its unfinished trial
                optuna_trial.set_user_attr("worker", self.worker)
            given = params or {}
            params = family.space(optuna_trial, self.setup.task)
            # a default may fix the number of trees, which no space searches
            params |= {k: given[k] for k in FIXED_BY_DEFAULTS if k in given}
            if self.setup.power_transform_target:
                params["target_transform"] = optuna_trial.suggest_categorical(
                    "target_transform", ["none", "power"]
                )
            if self.worker is not None:  # which process evaluates it
                optuna_trial.set_user_attr("pid", os.getpid())
        started = time.monotonic()
        record = self._evaluate(family, params, X, y, optuna_trial)
        record.origin = origin
        record.wall_s = time.monotonic() - started
        record.worker = self.worker
        if study is not None:
            record.study_trial = optuna_trial.number
            if self.setup.storage is not None:  # the record survives its worker
                optuna_trial.set_user_attr("record", record.summary())
            if record.status == "complete" and np.isfinite(record.loss):
                study.tell(optuna_trial, record.loss)
            elif record.status == "pruned":
                study.tell(optuna_trial, state=optuna.trial.TrialState.PRUNED)
            else:
                study.tell(optuna_trial, state=optuna.trial.TrialState.FAIL)
        self.records.append(record)
        self._forget_fold_models()
        return record.status != "stopped"

    def _with_transform(self, params: dict) -> dict:
        if self.setup.power_transform_target:
            return {**params, "target_transform": params.get("target_transform", "none")}
        return params

    def _evaluate(self, family: Family, params: dict, X, y, optuna_trial) -> TrialRecord:
        setup = self.setup
        record = TrialRecord(number=len(self.records), family=family.name, params=dict(params))
        oof_sum = self._empty_predictions(len(y))
        oof_count = np.zeros(len(y))
        record.fold_models = []
        # boosting stops adding trees at the point where the refit reserve begins
        stop_at = setup.deadline - self.refit_reserve(len(y))
        pipeline = build_pipeline(family, params, replace(setup.context, deadline=stop_at))
        rng = np.random.default_rng(len(self.records))
        # on small data no probe times a family before its first trial: its first folds do
        first_of_family = family.name != "dummy" and not any(
            r.family == family.name for r in self.complete()
        )
        trial_started = time.monotonic()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for fold, (train, valid) in enumerate(setup.splits):
                frame = X if self.fold_frames is None else self.fold_frames[fold]
                if family.name != "dummy" and time.monotonic() > stop_at:
                    record.status = "stopped"
                    record.notes.append("the time budget ran out during this trial")
                    break
                model = clone(pipeline)
                started = time.monotonic()
                try:
                    model.fit(frame.iloc[train], y[train])
                    fitted = time.monotonic()
                    predictions = self._predict(model, frame.iloc[valid])
                    if fold == 0:
                        record.predict_s_per_1k = self._batch_predict_s(model, frame, valid, rng)
                except Exception as error:  # a failing configuration must not end the search
                    record.status = "failed"
                    record.notes.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
                    break
                record.fit_s.append(fitted - started)
                record.fold_losses.append(setup.metric.loss(y[valid], predictions))
                scored = (
                    rng.choice(train, TRAIN_SCORE_ROWS, replace=False)
                    if len(train) > TRAIN_SCORE_ROWS
                    else train
                )
                record.train_losses.append(
                    setup.metric.loss(y[scored], self._predict(model, frame.iloc[scored]))
                )
                iteration = _best_iteration(model)
                if iteration is not None:
                    record.best_iterations.append(iteration)
                oof_sum[valid] += predictions
                oof_count[valid] += 1
                record.fold_models.append(model)
                if first_of_family and self._too_slow(family, fold + 1, trial_started):
                    record.status = "pruned"
                    record.notes.append(self.skipped[family.name])
                    break
                if optuna_trial is not None and fold < len(setup.splits) - 1:
                    optuna_trial.report(record.loss, fold)
                    if optuna_trial.should_prune():
                        record.status = "pruned"
                        break
        record.notes.extend(_warning_lines(caught))
        if record.status == "complete" and not np.isfinite(record.loss):
            record.status = "failed"
            record.notes.append(f"{setup.metric.name} is undefined on some validation folds")
        if record.status == "complete":
            covered = oof_count > 0
            shape = (-1, 1) if oof_sum.ndim == 2 else (-1,)
            oof = np.full_like(oof_sum, np.nan)
            oof[covered] = oof_sum[covered] / oof_count[covered].reshape(shape)
            record.oof = oof
            record.size_kb = len(pickle.dumps(record.fold_models[-1])) / 1024
        else:
            record.fold_models = None
        return record

    def _batch_predict_s(self, model, X, valid, rng) -> float:
        """Seconds to predict one batch of ``PREDICT_BATCH`` rows, as a served model would.

        Timing the whole validation fold would spread each call's fixed cost over
        many rows and make small, cheap-looking models of pipelines that are not.
        """
        batch = X.iloc[rng.choice(valid, PREDICT_BATCH, replace=len(valid) < PREDICT_BATCH)]
        timings = []
        # a quick call is timed again, and the fastest counts: a busy machine only ever adds
        # time, and the choice must not flip on one slow call
        while len(timings) < PREDICT_REPEATS and sum(timings) < PREDICT_TIMING_S:
            started = time.monotonic()
            self._predict(model, batch)
            timings.append(time.monotonic() - started)
        return min(timings)

    def _too_slow(self, family: Family, done: int, trial_started: float) -> bool:
        """Whether the trial, judged by its first ``done`` folds, needs more than ``SKIP_SHARE``.

        Judged from the third fold on: a network's first fold pays for warming up.
        A family found too slow is left out of the rest of the search.
        """
        folds = len(self.setup.splits)
        needed = (time.monotonic() - trial_started) / done * folds
        if done < SLOW_AFTER_FOLDS or done == folds or needed <= SKIP_SHARE * self.setup.budget:
            return False
        self._leave_out(family, needed, f"left out after {done} folds")
        return True

    def _leave_out(self, family: Family, needed: float, when: str) -> None:
        """Leave ``family`` out of the rest of the search, saying why."""
        self.skipped[family.name] = (
            f"{when}: one cross-validated trial would take about {needed:.0f} s, "
            f"more than {SKIP_SHARE:.0%} of the {self.setup.budget:.0f} s budget"
        )

    def _empty_predictions(self, n_rows: int) -> np.ndarray:
        if self.setup.task == REGRESSION:
            return np.zeros(n_rows)
        return np.zeros((n_rows, self.setup.n_classes))

    def _predict(self, model, X) -> np.ndarray:
        if self.setup.task == REGRESSION:
            return np.asarray(model.predict(X), dtype=np.float64).ravel()
        return aligned_proba(model, X, self.setup.n_classes)

    def complete(self) -> list[TrialRecord]:
        return [r for r in self.records if r.status == "complete"]

    def _forget_fold_models(self) -> None:
        kept = {r.number for r in sorted(self.complete(), key=lambda r: r.loss)[:KEEP_FOLD_MODELS]}
        for record in self.records:
            if record.number not in kept:
                record.fold_models = None


class BoundedPowerTransformer(PowerTransformer):
    """Yeo-Johnson transform of the target whose inverse stays near the training range.

    A model's prediction far outside the transformed training range would map back
    to an absurd value (the inverse is exponential), or to none at all: past the
    edge of its domain the inverse is undefined. Predictions are clipped to the
    training range widened by half its width on each side, on both scales.
    """

    def fit(self, X, y=None):
        values = np.asarray(X, dtype=np.float64)
        self.bounds_ = _widened(values)
        super().fit(X, y)
        self.transformed_bounds_ = _widened(self.transform(values))
        return self

    def inverse_transform(self, X):
        X = np.asarray(X, dtype=np.float64)
        if hasattr(self, "transformed_bounds_"):  # models saved before it was kept lack it
            X = np.clip(X, *self.transformed_bounds_)
        X = np.clip(X, *self._domain())
        return np.clip(super().inverse_transform(X), *self.bounds_)

    def _domain(self) -> tuple[np.ndarray, np.ndarray]:
        """Where the inverse is defined, on the (standardised) transformed scale.

        With lambda < 0 the inverse of a positive value exists only below -1/lambda,
        with lambda > 2 that of a negative value only above 1/(2 - lambda).
        """
        lambdas = self.lambdas_
        edge = 1 - 1e-9  # just inside: at the edge itself the inverse is infinite
        with np.errstate(divide="ignore"):
            high = np.where(lambdas < 0, -edge / lambdas, np.inf)
            low = np.where(lambdas > 2, edge / (2 - lambdas), -np.inf)
        if self.standardize:
            high = (high - self._scaler.mean_) / self._scaler.scale_
            low = (low - self._scaler.mean_) / self._scaler.scale_
        return low, high


def _widened(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
    return low - 0.5 * (high - low), high + 0.5 * (high - low)


class MeanCorrectedTargetRegressor(TransformedTargetRegressor):
    """A regressor of a transformed target whose predictions keep the target's mean.

    Mapping a prediction back through the inverse transform gives something near
    the conditional median, not the mean, and a squared error punishes the
    difference. The predictions are scaled by the ratio of the target's mean to
    theirs on the training rows (Snowdon's ratio estimator of the retransformation
    bias), so that on those rows they are right on average, as a least-squares fit
    of the untransformed target is; a target that is not positive is shifted instead.
    On flexible models the training rows' predictions are close to the truth and the
    correction small; the cross-validation that compares this candidate with the
    untransformed target decides whether it is kept.

    Duan's smearing estimate was measured too and left out: over a Yeo-Johnson
    transform that does not make the errors normal, its heavy upper residuals
    overshoot the mean (by 18% on a log-normal target with unit noise).
    """

    def fit(self, X, y, **fit_params):
        super().fit(X, y, **fit_params)
        y, fitted = np.asarray(y, dtype=np.float64), super().predict(X)
        # a positive target is scaled; one that is not (a ratio could explode) is shifted
        self.scale_, self.shift_ = 1.0, 0.0
        if y.min() > 0 and fitted.mean() > 0:
            self.scale_ = float(y.mean() / fitted.mean())
        else:
            self.shift_ = float(y.mean() - fitted.mean())
        return self

    def predict(self, X, **predict_params):
        return super().predict(X, **predict_params) * self.scale_ + self.shift_


def build_pipeline(family: Family, params: dict, context: BuildContext):
    """The unfitted pipeline of ``family`` with ``params``, target transform included."""
    # the transform wraps the model; a booster handed it as a parameter would warn
    # (LightGBM, XGBoost) or refuse it (CatBoost)
    model_params = {k: v for k, v in params.items() if k != "target_transform"}
    model = family.pipeline(model_params, context)
    if context.task == REGRESSION and params.get("target_transform") == "power":
        return MeanCorrectedTargetRegressor(regressor=model, transformer=BoundedPowerTransformer())
    return model


def _best_iteration(model) -> int | None:
    estimator = model
    if isinstance(estimator, TransformedTargetRegressor):
        estimator = estimator.regressor_
    final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    if hasattr(final, "best_iteration_"):
        return int(final.best_iteration_)
    if isinstance(final, HistGradientBoostingClassifier | HistGradientBoostingRegressor):
        return int(final.n_iter_)
    return None


def _warning_lines(caught) -> list[str]:
    lines = []
    for warning in caught:
        line = f"{warning.category.__name__}: {str(warning.message).splitlines()[0][:160]}"
        if line not in lines:
            lines.append(line)
    return lines[:3]
