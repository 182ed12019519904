"""AutoClassifier and AutoRegressor: a time-budgeted search as a scikit-learn estimator."""

import time
import uuid
import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import joblib
import numpy as np
import pandas as pd
from scipy.stats import skew
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.exceptions import DataConversionWarning
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from atelier.exceptions import DataError
from atelier.learn._ensemble import (
    WeightedClassifier,
    WeightedRegressor,
    best_smoothing,
    greedy_selection,
)
from atelier.learn._families import (
    FAMILIES,
    BuildContext,
    resolve_families,
    unavailable_neural_note,
)
from atelier.learn._features import FrameCoercer, as_frame, infer_roles
from atelier.learn._leaderboard import leaderboard
from atelier.learn._leakage import leaking_features
from atelier.learn._metrics import (
    BINARY,
    CLASSIFICATION_METRICS,
    MULTICLASS,
    REGRESSION,
    REGRESSION_METRICS,
    get_metric,
)
from atelier.learn._parallel import open_storage
from atelier.learn._search import Search, SearchSetup, TrialRecord, build_pipeline
from atelier.learn._validation import planned_splits

ENSEMBLE_CANDIDATES = 10
TEXT_FAMILIES = ("dummy", "linear")  # the families that read a sparse TF-IDF
PREDICT_COST_FACTOR = 1.5  # an ensemble predicts at most 1.5x slower than its best member
ENSEMBLE_MIN_GAIN = 0.001  # each member of an ensemble beyond the first: 0.1% of the score
FASTER = 2.0  # a near-equal trial replaces the best when it predicts this many times faster
# Below this (seconds per 1,000 rows: 25 us a row) prediction time is no concern, and one
# timed call is mostly noise: costs are floored to it, so that the choice stays
# reproducible. On a loaded machine a linear model's 1,000 rows took from 2 to 11 ms.
PREDICT_FLOOR_S = 0.025
REFIT_SAFETY = 1.2  # refit time = mean fold fit time x rows ratio x this
SKEWED_TARGET = 1.0
MIN_ROWS = 5
MIN_CLASS_MEMBERS = 2


@dataclass(frozen=True)
class Choice:
    """The final model: which trials, with which weights, and why.

    Attributes
    ----------
    kind : str
        ``"ensemble"`` or ``"single"``.
    members : list of dict
        ``trial``, ``family``, ``weight``, ``refit`` (refit on all rows, or the
        fold models averaged when time was short).
    cv_score : float
        Out-of-fold score of the final model, in the metric's own direction.
    why : str
    """

    kind: str
    members: list[dict]
    cv_score: float
    why: str


class _AutoBase(BaseEstimator):
    _parameter_constraints: dict = {  # noqa: RUF012 -- scikit-learn's own convention
        "time_budget": [Interval(Real, 0, None, closed="neither")],
        "metric": [None],  # each subclass names its metrics
        "n_jobs": [Integral, None],
        "random_state": [Interval(Integral, 0, None, closed="left"), None],
        "families": [list, None],
        "cv": ["cv_object", StrOptions({"time"})],
        "ensemble": ["boolean"],
        "drop_leaks": ["boolean"],
        "max_trials": [Interval(Integral, 1, None, closed="left"), None],
        "preprocessor": [HasMethods(["fit", "transform"]), None],
        "text_columns": [list, None],
        "storage": [str, HasMethods(["get_all_studies"]), None],
        "parallel": [HasMethods(["tune"]), None],
    }

    def __init__(
        self,
        time_budget=60.0,
        metric=None,
        n_jobs=-1,
        random_state=None,
        families=None,
        cv=None,
        ensemble=True,
        drop_leaks=True,
        max_trials=None,
        preprocessor=None,
        text_columns=None,
        storage=None,
        parallel=None,
    ):
        self.time_budget = time_budget
        self.metric = metric
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.families = families
        self.cv = cv
        self.ensemble = ensemble
        self.drop_leaks = drop_leaks
        self.max_trials = max_trials
        self.preprocessor = preprocessor
        self.text_columns = text_columns
        self.storage = storage
        self.parallel = parallel

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.non_deterministic = True  # the budget is wall-clock time
        return tags

    def fit(self, X, y, groups=None):
        """Search model families and hyperparameters within ``time_budget`` seconds.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Mixed types and missing values are welcome.
        y : array-like of shape (n_samples,)
        groups : array-like or None
            Group labels: rows of one group are never split between training and
            validation.

        Returns
        -------
        self
        """
        self._validate_params()
        if self.parallel is not None and self.storage is None:
            raise ValueError(
                "parallel: the workers share their trials through a database; give storage"
            )
        started = time.monotonic()
        budget = float(self.time_budget)
        deadline = started + budget
        self.notes_ = []
        if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        X = as_frame(X)
        self.n_features_in_ = X.shape[1]
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected; it is raveled.",
                DataConversionWarning,
                stacklevel=2,
            )
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(f"y: expected one target column, got an array of shape {y.shape}")
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        groups = None if groups is None else np.asarray(groups)
        if np.issubdtype(y.dtype, np.number) and np.isinf(y).any():
            raise ValueError("Input y contains infinity: a target must be a finite value")
        keep = ~pd.isna(y)
        if not keep.all():
            self.notes_.append(f"{int((~keep).sum()):,} rows without a target value were left out")
        if not keep.any():
            raise DataError("y: every target value is missing")
        X, y = X.loc[keep].reset_index(drop=True), y[keep]
        groups = None if groups is None else groups[keep]
        X, y_codes, groups = self._encode_target(X, y, groups)
        if len(y_codes) < MIN_ROWS:
            raise DataError(
                f"n_samples={len(y_codes)}: at least {MIN_ROWS} rows with a target are needed "
                "to cross-validate"
            )
        task = self._task(y_codes)
        metric = get_metric(self.metric, task)
        raw = X
        self.preprocessor_ = None
        if self.preprocessor is not None:
            # fitted on every training row for the final model; the search refits a copy
            # per fold below, so that no validation row informs what it is scored with
            self.preprocessor_ = clone(self.preprocessor).fit(raw)
            X = self.preprocessor_.transform(raw)
        roles = infer_roles(X, self.text_columns or ())
        leaks = leaking_features(X, y_codes, task, roles) if self.drop_leaks else {}
        for column, why in leaks.items():
            for kind in (roles.numeric, roles.categorical):
                if column in kind:
                    kind.remove(column)
            roles.dropped[column] = f"leaks the target: {why}"
        for column, why in roles.dropped.items():
            self.notes_.append(f"column {column!r} left out: {why}")
        if roles.high_cardinality:
            self.notes_.append(
                f"target-encoded (many categories): {', '.join(roles.high_cardinality)}"
            )
        if not roles.features:
            raise DataError("X: no usable feature column (" + "; ".join(self.notes_) + ")")
        self.columns_ = FrameCoercer(roles).fit(X)
        Xc = self.columns_.transform(X)
        splits, self.validation_, self.validation_plan_ = planned_splits(
            task, y_codes, cv=self.cv, groups=groups, random_state=self.random_state
        )
        fold_frames = None
        if self.preprocessor is not None:
            fold_frames = [
                self.columns_.transform(
                    clone(self.preprocessor).fit(raw.iloc[train]).transform(raw)
                )
                for train, _ in splits
            ]
        power = task == REGRESSION and abs(float(skew(y_codes))) > SKEWED_TARGET
        if power:
            self.notes_.append(
                f"the target is skewed (skewness {float(skew(y_codes)):.2f}): each family also "
                "tries a Yeo-Johnson transformed target, its predictions rescaled to the "
                "target's mean"
            )
        n_jobs = self.n_jobs_ = _resolve_jobs(self.n_jobs)
        storage = open_storage(self.storage) if isinstance(self.storage, str) else self.storage
        # one search's studies, named apart from every other search's in a shared database
        self.study_prefix_ = f"atelier-{uuid.uuid4().hex[:12]}"
        setup = SearchSetup(
            task=task,
            metric=metric,
            families=self._families_for(roles),
            context=BuildContext(task, roles, n_jobs, self.random_state, deadline=deadline),
            splits=splits,
            n_classes=len(getattr(self, "classes_", [])),
            deadline=deadline,
            budget=budget,
            random_state=self.random_state,
            max_trials=self.max_trials,
            power_transform_target=power,
            storage=storage,
            study_prefix=self.study_prefix_,
        )
        if self.families is None and unavailable_neural_note():
            self.notes_.append(unavailable_neural_note())
        search = Search(setup, parallel=self.parallel)
        try:
            records = search.run(Xc, y_codes, fold_frames)
        finally:
            if isinstance(self.storage, str):  # this fit opened it
                storage.engine.dispose()
        self.notes_.extend(f"{family}: {why}" for family, why in search.skipped.items())
        self.notes_.extend(search.notes)
        if not any(r.status == "complete" and r.family != "dummy" for r in records):
            self.notes_.append(
                f"the time budget ({budget:g} s) was too small for any model beyond the baseline"
            )
        self.task_, self.metric_ = task, metric.name
        self.choice_, members, oof = self._choose(records, y_codes, metric, setup, Xc, started)
        oof = self._temper(oof, y_codes, metric)
        refitted_final = self._final(members, Xc)
        steps = [("columns", self.columns_), ("model", refitted_final)]
        if self.preprocessor_ is not None:
            steps.insert(0, ("preprocess", self.preprocessor_))
        self.best_estimator_ = Pipeline(steps)
        self.oof_predictions_ = oof
        self.oof_target_ = y_codes
        self.leaderboard_ = leaderboard(records, metric, self.choice_)
        self.trials_ = records
        self.roles_ = roles
        self.fit_time_ = time.monotonic() - started
        return self

    # ---- target -------------------------------------------------------------------

    def _encode_target(self, X, y, groups):
        return X, y.astype(np.float64), groups

    def _task(self, y_codes) -> str:
        return REGRESSION

    # ---- choice -------------------------------------------------------------------

    def _choose(self, records: list[TrialRecord], y, metric, setup, Xc, started):
        """Pick the final model: the best trial, or an ensemble that beats it.

        Only trials that can be refit on all rows in the time left may join an
        ensemble, so that the final model is never a pile of fold models; the best
        single trial, when it cannot be refit in time, averages its fold models.
        Prediction time is bounded too: a member predicts at most twice as slowly as
        the best trial, the blend at most ``PREDICT_COST_FACTOR`` times. Costs under
        ``PREDICT_FLOOR_S`` count as that floor, the blend's as a whole: floored
        member by member, any two quick members would add up past the ceiling. Each
        member beyond the first must also lower the loss by ``ENSEMBLE_MIN_GAIN`` of
        the best's, since each adds its own prediction time, however quick.
        """
        candidates = _ensemble_candidates(records)
        if not candidates:
            raise ValueError("no model could be fitted: " + "; ".join(self.notes_[-3:]))
        covered = np.all([~_nan_rows(r.oof) for r in candidates], axis=0)
        predictions = {r.number: r.oof[covered] for r in candidates}
        fold_rows = np.mean([len(train) for train, _ in setup.splits])
        refit_cost = {
            r.number: float(np.mean(r.fit_s)) * len(Xc) / fold_rows * REFIT_SAFETY
            for r in candidates
        }
        left = setup.deadline - time.monotonic()
        predict_cost = {r.number: max(r.predict_s_per_1k, PREDICT_FLOOR_S) for r in candidates}
        best = _cheapest_near_best(candidates, predict_cost)
        best_loss = metric.loss(y[covered], predictions[best.number])
        weights = {best.number: 1.0}
        why = f"{best.family} (trial {best.number}) has the best cross-validated {metric.name}"
        if best is not candidates[0]:
            why = (
                f"{best.family} (trial {best.number}) scores within {ENSEMBLE_MIN_GAIN:.1%} of "
                f"the best cross-validated {metric.name} and predicts faster "
                f"({best.predict_s_per_1k * 1000:.1f} against "
                f"{candidates[0].predict_s_per_1k * 1000:.1f} ms per 1,000 rows)"
            )
        kind, loss = "single", best_loss
        # a member may cost at most twice the best model's prediction time, and the
        # blend at most PREDICT_COST_FACTOR times it
        ceiling = PREDICT_COST_FACTOR * predict_cost[best.number]
        affordable = {
            n: p
            for n, p in predictions.items()
            if refit_cost[n] <= left and predict_cost[n] <= 2 * predict_cost[best.number]
        }
        measured = {r.number: r.predict_s_per_1k for r in candidates}

        def blend_cost(members) -> float:
            return max(sum(measured[n] for n in members), PREDICT_FLOOR_S)

        # each member adds its prediction time, whatever its own: it must earn its place
        margin = ENSEMBLE_MIN_GAIN * max(abs(best_loss), 1e-12)
        if self.ensemble and len(affordable) > 1:
            ensemble_weights, ensemble_loss = greedy_selection(
                affordable,
                y[covered],
                metric,
                within=lambda m: blend_cost(m) <= ceiling,
                member_cost=margin,
            )
            left = setup.deadline - time.monotonic()  # the selection itself took time
            while len(ensemble_weights) > 1 and sum(refit_cost[n] for n in ensemble_weights) > left:
                ensemble_weights.pop(min(ensemble_weights, key=ensemble_weights.get))
                total = sum(ensemble_weights.values())
                ensemble_weights = {n: w / total for n, w in ensemble_weights.items()}
                blend = sum(w * predictions[n] for n, w in ensemble_weights.items())
                ensemble_loss = metric.loss(y[covered], blend)
            extra = len(ensemble_weights) - 1
            if extra and ensemble_loss < best_loss - margin * extra:
                kind, weights, loss = "ensemble", ensemble_weights, ensemble_loss
                why = (
                    f"a weighted ensemble of {len(weights)} models beats the best single model "
                    f"({metric.name} {metric.from_loss(loss):.4f} against "
                    f"{metric.from_loss(best_loss):.4f} out of fold)"
                )
        by_number = {r.number: r for r in records}
        oof = sum(w * by_number[n].oof for n, w in weights.items())
        members = [
            self._member(by_number[n], setup, Xc, y, started, refit_cost[n]) for n in weights
        ]
        choice = Choice(
            kind=kind,
            members=[
                {
                    "trial": n,
                    "family": by_number[n].family,
                    "weight": round(w, 4),
                    "refit": refit,
                }
                for (n, w), (_, refit) in zip(weights.items(), members, strict=True)
            ],
            cv_score=metric.from_loss(_fold_mean(oof, y, setup.splits, metric)),
            why=why,
        )
        return (
            choice,
            [(model, weights[n]) for n, (model, _) in zip(weights, members, strict=True)],
            oof,
        )

    def _member(self, record, setup, Xc, y, started, cost):
        """Refit ``record``'s pipeline on all rows if time allows, else average its folds."""
        slack = min(1.0, 0.05 * float(self.time_budget))  # the estimate has its own margin
        if time.monotonic() + cost > setup.deadline + slack and record.fold_models:
            self.notes_.append(
                f"trial {record.number} ({record.family}): not enough time left to refit on all "
                "rows; its cross-validation models are averaged instead"
            )
            return self._average(record.fold_models), False
        hard_deadline = started + max(1.1 * float(self.time_budget), self.time_budget + 5)
        context = BuildContext(
            setup.task, setup.context.roles, setup.context.n_jobs, self.random_state, hard_deadline
        )
        family = next(f for f in setup.families if f.name == record.family)
        return build_pipeline(family, record.params, context).fit(Xc, y), True

    def _average(self, models):
        raise NotImplementedError

    def _final(self, members, Xc):
        raise NotImplementedError

    def _temper(self, oof, y, metric):
        """Regression: nothing to temper."""
        self.smoothing_ = 0.0
        return oof

    def preprocessed(self, X) -> pd.DataFrame:
        """``X`` after the preprocessor fitted on every training row (as it is without one).

        ``columns_.transform`` of the result is what the trials' pipelines take.
        """
        check_is_fitted(self, "columns_")
        X = as_frame(X)
        return X if self.preprocessor_ is None else self.preprocessor_.transform(X)

    def best_trial(self) -> TrialRecord:
        """The complete trial with the best cross-validated score (ensembles aside)."""
        check_is_fitted(self, "trials_")
        return min((r for r in self.trials_ if r.status == "complete"), key=lambda r: r.loss)

    def _families_for(self, roles) -> list:
        """The families to search; with free text, those that read its sparse TF-IDF."""
        families = resolve_families(self.families)
        if not roles.text:
            return families
        kept = [f for f in families if f.name in TEXT_FAMILIES]
        left = [f.name for f in families if f.name not in TEXT_FAMILIES]
        if left:
            self.notes_.append(
                f"not tried with free text ({', '.join(roles.text)}): {', '.join(left)}; "
                "the TF-IDF of words is read by linear models (and the deep stage's network)"
            )
        return kept

    def trial_pipeline(self, trial: TrialRecord, roles=None):
        """The unfitted pipeline of ``trial``'s configuration, for rows from :meth:`prepared`.

        Parameters
        ----------
        trial : TrialRecord
            One of ``trials_``.
        roles : ColumnRoles or None
            The columns to use, when not those of the search (``roles_``).
        """
        check_is_fitted(self, "trials_")
        context = BuildContext(
            self.task_, roles or self.roles_, self.n_jobs_, self.random_state, None
        )
        return build_pipeline(FAMILIES[trial.family], trial.params, context)

    def predict(self, X):
        """Predictions of the final model (a fitted Pipeline in ``best_estimator_``)."""
        X = self._check_input(X)
        return self.best_estimator_.predict(X)

    def _check_input(self, X) -> pd.DataFrame:
        check_is_fitted(self, "best_estimator_")
        X = as_frame(X)
        if X.shape[1] != self.n_features_in_ and not hasattr(self, "feature_names_in_"):
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return X


class AutoClassifier(ClassifierMixin, _AutoBase):
    """Classification by a time-budgeted search over model families.

    Compares a dummy baseline, regularised logistic regression, k-nearest
    neighbours, extra trees, random forest, histogram gradient boosting and
    LightGBM (plus XGBoost and CatBoost where installed) by cross-validation,
    tunes each with Optuna, and keeps the best single model or a weighted ensemble
    of the best trials, refit on all rows.

    Parameters
    ----------
    time_budget : float, default=60
        Seconds for the whole ``fit``, final refit included.
    metric : str or None
        ``roc_auc`` (default for two classes), ``log_loss`` (default for more),
        ``accuracy``, ``balanced_accuracy`` or ``f1`` (macro).
    n_jobs : int, default=-1
        Threads per model; -1 uses every core.
    random_state : int or None
    families : list of str or None
        Restrict the search to these families (the dummy baseline is always in).
    cv : None, int, "time" or splitter
        See :func:`atelier.learn.choose_splits`; None chooses from the data.
    ensemble : bool, default=True
        Allow a weighted ensemble when it beats the best single model out of fold
        by at least 0.1% (each member adds its prediction time).
    drop_leaks : bool, default=True
        Leave out a feature that alone predicts the target almost perfectly (ROC
        AUC or purity of 0.995 on 200 rows or more): in business data that is
        nearly always information from after the fact. Turn off for problems that
        are truly that easy.
    max_trials : int or None
        Stop after this many trials (the baseline and warm start included), even
        with time left; None searches until the budget is spent.
    preprocessor : transformer or None
        Fitted inside the search, one copy per fold on that fold's training rows,
        then on every row for the final model, where it comes first (a
        :class:`atelier.clean.Cleaner` learns its medians, caps and spellings so
        without seeing a validation row).
    text_columns : list of str or None
        Columns of free text, read as the TF-IDF of their words and word pairs;
        None lets string columns of mostly distinct several-word values count as
        text. With text, only the linear family (and the baseline) is searched.
    storage : str, optuna storage or None
        Where the search's Optuna studies are kept: an SQLAlchemy URL
        (``postgresql+psycopg://user@host/db``) or an Optuna storage; None keeps
        them in memory. Each fit names its studies apart (``study_prefix_``).
    parallel : object or None
        Runs the tuned trials on several workers sharing ``storage``, such as
        :class:`atelier.scale._trials.SparkTrials`; None runs them one after the other.

    Attributes
    ----------
    classes_ : ndarray
    best_estimator_ : Pipeline
        The final model, fitted: the preprocessor (if given), column typing, then
        the (ensemble of) models.
    preprocessor_ : transformer or None
        The preprocessor fitted on every training row.
    leaderboard_ : DataFrame
        Every trial: family, parameters, cross-validated score (mean, median,
        spread), train score and gap, fit and predict time, size, notes.
    choice_ : Choice
        What was chosen and why.
    validation_ : str
        The cross-validation used, and why.
    validation_plan_ : dict
        The facts behind that choice (see :func:`atelier.learn.validation_plan`).
    notes_ : list of str
        What was done about the data (columns left out, rows dropped, budget).
    study_prefix_ : str
        The search's studies are named ``<study_prefix_>.<family>`` in ``storage``.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = AutoClassifier(families=["linear"], max_trials=2, random_state=0).fit(X, y)
    >>> bool(model.leaderboard_["cv_mean"].iloc[0] > 0.95)
    True
    """

    _parameter_constraints: dict = {  # noqa: RUF012
        **_AutoBase._parameter_constraints,
        "metric": [StrOptions(set(CLASSIFICATION_METRICS)), None],
    }

    def _encode_target(self, X, y, groups):
        from sklearn.utils.multiclass import type_of_target

        if type_of_target(y) == "continuous":
            raise ValueError(
                "Unknown label type: continuous. y holds continuous numbers; "
                "use AutoRegressor for a numeric target"
            )
        classes, counts = np.unique(y.astype(str) if y.dtype == object else y, return_counts=True)
        if len(classes) < 2:
            raise DataError(
                f"y: a single class ({classes[0]!r}), 1 class where a classifier needs at least two"
            )
        rare = classes[counts < MIN_CLASS_MEMBERS]
        if len(rare) and len(rare) < len(classes) - 1:
            keep = ~np.isin(y.astype(str) if y.dtype == object else y, rare)
            self.notes_.append(
                f"classes with fewer than {MIN_CLASS_MEMBERS} examples were left out (a class "
                f"must appear on both sides of a split): {', '.join(map(repr, rare.tolist()))}"
            )
            X, y = X.loc[keep].reset_index(drop=True), y[keep]
            groups = None if groups is None else groups[keep]
        values = y.astype(str) if y.dtype == object else y
        self.classes_, codes = np.unique(values, return_inverse=True)
        return X, codes.astype(np.int64), groups

    def _task(self, y_codes) -> str:
        return BINARY if len(self.classes_) == 2 else MULTICLASS

    def _average(self, models):
        k = len(self.classes_)
        return WeightedClassifier(models, [1 / len(models)] * len(models), np.arange(k)).fit(None)

    def _temper(self, oof, y, metric):
        """For log loss, shrink probabilities toward the class shares if that helps out of fold.

        Log loss punishes a confident mistake without bound; on small data a blend
        of 1% to 10% of the class shares often lowers it. The shrinkage is chosen on
        the out-of-fold predictions, never on data the final score is measured on.
        """
        self.prior_ = np.bincount(y, minlength=len(self.classes_)) / len(y)
        self.smoothing_ = 0.0
        covered = ~_nan_rows(oof)
        if metric.name != "log_loss" or not covered.any():
            return oof
        smoothing = best_smoothing(oof[covered], y[covered], self.prior_, metric)
        if smoothing:
            before = metric.score(y[covered], oof[covered])
            oof = (1 - smoothing) * oof + smoothing * self.prior_
            self.notes_.append(
                f"probabilities shrunk by {smoothing:.1%} toward the class shares: "
                f"out-of-fold log loss {before:.4f} -> {metric.score(y[covered], oof[covered]):.4f}"
            )
        self.smoothing_ = smoothing
        return oof

    def _final(self, members, Xc):
        return WeightedClassifier(
            [m for m, _ in members],
            [w for _, w in members],
            classes=self.classes_,
            names=[m["family"] for m in self.choice_.members],
            smoothing=self.smoothing_,
            prior=self.prior_,
        ).fit(Xc)

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``."""
        X = self._check_input(X)
        return self.best_estimator_.predict_proba(X)


class AutoRegressor(RegressorMixin, _AutoBase):
    """Regression by a time-budgeted search over model families.

    The same search as :class:`AutoClassifier`, with ridge regression in place of
    logistic regression, and, for a skewed target, each family also tried on a
    Yeo-Johnson transformed target (its predictions rescaled so that they keep the
    target's mean: see ``MeanCorrectedTargetRegressor``). The defaults of each
    family, LightGBM's and XGBoost's own among them, are its first trials.

    Parameters
    ----------
    time_budget : float, default=60
    metric : str or None
        ``rmse`` (default), ``mae`` or ``r2``.
    n_jobs : int, default=-1
    random_state : int or None
    families : list of str or None
    cv : None, int, "time" or splitter
    ensemble : bool, default=True
    drop_leaks : bool, default=True
    max_trials : int or None
    preprocessor : transformer or None
    text_columns : list of str or None
    storage : str, optuna storage or None
    parallel : object or None

    Attributes
    ----------
    best_estimator_, leaderboard_, choice_, validation_, notes_
        As in :class:`AutoClassifier`.
    """

    _parameter_constraints: dict = {  # noqa: RUF012
        **_AutoBase._parameter_constraints,
        "metric": [StrOptions(set(REGRESSION_METRICS)), None],
    }

    def _average(self, models):
        return WeightedRegressor(models, [1 / len(models)] * len(models)).fit(None)

    def _final(self, members, Xc):
        return WeightedRegressor(
            [m for m, _ in members],
            [w for _, w in members],
            names=[m["family"] for m in self.choice_.members],
        ).fit(Xc)


def _ensemble_candidates(records: list[TrialRecord]) -> list[TrialRecord]:
    """The best complete trial of each family, then the next best: ``ENSEMBLE_CANDIDATES``.

    Ten near copies of one family (a ridge's alphas) blend to little; the best of each
    family first gives the selection different errors to average. Best first.
    """
    ranked = sorted(
        (r for r in records if r.status == "complete" and r.oof is not None),
        key=lambda r: r.loss,
    )
    leaders = {}
    for record in ranked:
        leaders.setdefault(record.family, record)
    chosen = list(leaders.values())[:ENSEMBLE_CANDIDATES]
    taken = {r.number for r in chosen}
    rest = [r for r in ranked if r.number not in taken]
    return sorted(chosen + rest[: ENSEMBLE_CANDIDATES - len(chosen)], key=lambda r: r.loss)


def _cheapest_near_best(ranked: list[TrialRecord], predict_cost: dict) -> TrialRecord:
    """The best trial, or a much faster one whose loss is within ``ENSEMBLE_MIN_GAIN`` of it.

    A slower model must earn its prediction time, as an ensemble must: by at least
    0.1% of the score. Only a trial at least ``FASTER`` times quicker qualifies, so
    that the noise of timing one call does not decide between equals. ``ranked`` is
    sorted by loss, best first.
    """
    best = ranked[0]
    tolerance = ENSEMBLE_MIN_GAIN * max(abs(best.loss), 1e-12)
    faster = [
        r
        for r in ranked
        if r.loss <= best.loss + tolerance
        and predict_cost[r.number] * FASTER <= predict_cost[best.number]
    ]
    return min(faster, key=lambda r: (predict_cost[r.number], r.loss)) if faster else best


def _fold_mean(predictions: np.ndarray, y: np.ndarray, splits, metric) -> float:
    """Mean loss over the validation folds, as the leaderboard reports every trial."""
    losses = [
        metric.loss(y[valid], predictions[valid])
        for _, valid in splits
        if not _nan_rows(predictions[valid]).any()
    ]
    return float(np.mean(losses))


def _nan_rows(predictions: np.ndarray) -> np.ndarray:
    if predictions.ndim == 2:
        return np.isnan(predictions).any(axis=1)
    return np.isnan(predictions)


def _resolve_jobs(n_jobs) -> int:
    # the cores this process may use (its CPU affinity, a container's quota), as
    # scikit-learn counts them for n_jobs=-1; os.cpu_count() counts the machine's
    cores = joblib.cpu_count()
    if n_jobs is None:
        return 1
    if n_jobs < 0:
        return max(1, cores + 1 + n_jobs)
    return int(n_jobs)
