"""Gradient boosting libraries with early stopping on a held-out slice of the fit data.

LightGBM, XGBoost and CatBoost stop adding trees once the score on a validation
slice has not improved for ``patience`` rounds; HistGradientBoosting does the same
internally. The slice comes from the data given to ``fit`` (so cross-validation
stays honest), and the number of trees kept is recorded in ``best_iteration_``.

A configuration that names its ``n_estimators`` is fitted as the library would fit
it: that many trees, on every row, no slice held out. The libraries' own defaults
are such configurations, and the search tries them first.
"""

import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

LIBRARIES = ("lightgbm", "xgboost", "catboost")


class _DeadlineCallback:
    """LightGBM callback that stops boosting once the search's deadline has passed."""

    def __init__(self, deadline: float | None):
        self.deadline = deadline
        self.order = 40

    def __call__(self, env):
        if self.deadline is not None and time.monotonic() > self.deadline:
            import lightgbm

            raise lightgbm.callback.EarlyStopException(env.iteration, env.evaluation_result_list)


class _CatBoostDeadline:
    """CatBoost callback: stop once the search's deadline has passed."""

    def __init__(self, deadline: float):
        self.deadline = deadline

    def after_iteration(self, info) -> bool:
        return time.monotonic() < self.deadline


def _xgboost_deadline(deadline: float):
    import xgboost

    class Deadline(xgboost.callback.TrainingCallback):
        def after_iteration(self, model, epoch, evals_log) -> bool:
            return time.monotonic() > deadline

    return Deadline()


class _EarlyStoppedBooster(BaseEstimator):
    """Shared fit logic; the subclasses say whether they classify or regress.

    Parameters
    ----------
    library : {"lightgbm", "xgboost", "catboost"}
    params : dict or None
        Parameters of the library's scikit-learn estimator.
    max_rounds : int
        Upper bound on the number of trees.
    patience : int
        Rounds without improvement before stopping.
    validation_fraction : float
        Share of the fit data held out to decide when to stop.
    n_jobs : int
    random_state : int or None
    deadline : float or None
        ``time.monotonic()`` value after which LightGBM stops adding trees.
    """

    _classifier = False

    def __init__(
        self,
        library="lightgbm",
        params=None,
        max_rounds=2000,
        patience=50,
        validation_fraction=0.1,
        n_jobs=1,
        random_state=None,
        deadline=None,
    ):
        self.library = library
        self.params = params
        self.max_rounds = max_rounds
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.deadline = deadline

    def fit(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        model = self._make(y)
        if self._fixed_rounds:
            model.fit(X, y)
            self.best_iteration_ = int(self.params["n_estimators"])
            return self._fitted(model, X)
        fit_rows, valid_rows = self._split(y)
        X_fit, y_fit, X_valid, y_valid = X[fit_rows], y[fit_rows], X[valid_rows], y[valid_rows]
        if self.library == "lightgbm":
            import lightgbm

            model.fit(
                X_fit,
                y_fit,
                eval_X=(X_valid,),
                eval_y=(y_valid,),
                callbacks=[
                    lightgbm.early_stopping(self.patience, verbose=False),
                    _DeadlineCallback(self.deadline),
                ],
            )
            self.best_iteration_ = int(model.best_iteration_ or model.n_estimators)
        elif self.library == "xgboost":
            model.fit(X_fit, y_fit, eval_set=[(X_valid, y_valid)], verbose=False)
            self.best_iteration_ = int(model.best_iteration) + 1
        else:
            model.fit(
                X_fit,
                y_fit,
                eval_set=(X_valid, y_valid),
                verbose=False,
                callbacks=[_CatBoostDeadline(self.deadline)] if self.deadline else None,
            )
            self.best_iteration_ = int(model.get_best_iteration() or 0) + 1
        return self._fitted(model, X)

    @property
    def _fixed_rounds(self) -> bool:
        return "n_estimators" in (self.params or {})

    def _fitted(self, model, X):
        if self.library == "xgboost":
            model.set_params(callbacks=None)  # the deadline is spent; keep the model picklable
        self.model_ = model
        self.n_features_in_ = X.shape[1]
        if self._classifier:
            self.classes_ = np.asarray(model.classes_)
        return self

    @classmethod
    def around(cls, model, params=None, random_state=None):
        """A fitted estimator around an xgboost ``model`` trained elsewhere (on Spark).

        It then predicts as the search's own boosting members do.
        """
        estimator = cls(library="xgboost", params=params, random_state=random_state)
        estimator.model_ = model
        estimator.n_features_in_ = int(model.n_features_in_)
        estimator.best_iteration_ = int(model.get_booster().num_boosted_rounds())
        if cls._classifier:
            estimator.classes_ = np.asarray(model.classes_)
        return estimator

    def _split(self, y):
        rows = np.arange(len(y))
        stratify = (
            y if self._classifier and np.unique(y, return_counts=True)[1].min() >= 2 else None
        )
        try:
            return train_test_split(
                rows,
                test_size=self.validation_fraction,
                stratify=stratify,
                random_state=self.random_state,
            )
        except ValueError:  # too few rows per class for a stratified slice
            return train_test_split(
                rows, test_size=self.validation_fraction, random_state=self.random_state
            )

    def _make(self, y):
        params = {"n_estimators": self.max_rounds, **(self.params or {})}
        seed = 0 if self.random_state is None else int(self.random_state)
        # with a fixed number of trees there is no validation slice to stop on
        patience = None if self._fixed_rounds else self.patience
        if self.library == "lightgbm":
            import lightgbm

            kind = lightgbm.LGBMClassifier if self._classifier else lightgbm.LGBMRegressor
            return kind(
                n_jobs=self.n_jobs,
                random_state=seed,
                verbose=-1,
                **params,
            )
        if self.library == "xgboost":
            import xgboost

            kind = xgboost.XGBClassifier if self._classifier else xgboost.XGBRegressor
            return kind(
                early_stopping_rounds=patience,
                callbacks=[_xgboost_deadline(self.deadline)] if self.deadline else None,
                tree_method="hist",
                n_jobs=self.n_jobs,
                random_state=seed,
                **params,
            )
        import catboost

        kind = catboost.CatBoostClassifier if self._classifier else catboost.CatBoostRegressor
        params["iterations"] = params.pop("n_estimators")
        return kind(
            early_stopping_rounds=patience,
            thread_count=self.n_jobs,
            random_seed=seed,
            allow_writing_files=False,
            verbose=False,
            **params,
        )

    def predict(self, X):
        check_is_fitted(self)
        return np.asarray(self.model_.predict(np.asarray(X, dtype=np.float64))).ravel()


class EarlyStoppedClassifier(ClassifierMixin, _EarlyStoppedBooster):
    """A boosting classifier that stops adding trees when validation stops improving."""

    _classifier = True

    def predict_proba(self, X):
        check_is_fitted(self)
        return self.model_.predict_proba(np.asarray(X, dtype=np.float64))

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class EarlyStoppedRegressor(RegressorMixin, _EarlyStoppedBooster):
    """A boosting regressor that stops adding trees when validation stops improving."""
