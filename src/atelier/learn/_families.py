"""The model families the search compares: how each is built, its defaults, its space.

Every family turns a parameter dict into a scikit-learn Pipeline (its own
preprocessing, then the model). ``defaults`` are configurations known to work well
on tabular data; the search tries them first (warm start) and then explores the
family's ``space`` with Optuna. ``cost`` orders the first round, cheapest first, so
that a short budget still sees the quick families.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.util import find_spec

from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline

from atelier.learn._boosting import EarlyStoppedClassifier, EarlyStoppedRegressor
from atelier.learn._features import ColumnRoles, categorical_positions, make_preprocessor
from atelier.learn._metrics import REGRESSION


@dataclass(frozen=True)
class BuildContext:
    """What every family needs besides its parameters."""

    task: str
    roles: ColumnRoles
    n_jobs: int
    random_state: int | None
    deadline: float | None = None


@dataclass(frozen=True)
class Family:
    """One model family.

    Attributes
    ----------
    name : str
    model : callable
        ``model(params, context) -> estimator``.
    encoding, impute, scale
        How its preprocessing treats the columns (see ``make_preprocessor``).
    defaults : list of dict
        Configurations tried first.
    space : callable or None
        ``space(trial, task) -> params``: the Optuna search space; None for fixed models.
    cost : int
        Rank by typical fit time (cheapest first).
    requires : str or None
        Importable module the family needs (optional libraries).
    """

    name: str
    model: Callable
    encoding: str
    impute: bool
    scale: bool
    defaults: list[dict] = field(default_factory=lambda: [{}])
    space: Callable | None = None
    cost: int = 0
    requires: str | None = None

    def available(self) -> bool:
        return self.requires is None or find_spec(self.requires) is not None

    def pipeline(self, params: dict, context: BuildContext) -> Pipeline:
        """The unfitted pipeline: this family's preprocessing, then its model."""
        identity = self.encoding == "ordinal" and not (
            self.impute or self.scale or context.roles.high_cardinality or context.roles.text
        )
        # category codes and numbers go to trees as they are: no encoder to run
        preprocessor = (
            "passthrough"
            if identity
            else make_preprocessor(
                context.roles,
                encoding=self.encoding,
                impute=self.impute,
                scale=self.scale,
                random_state=context.random_state,
            )
        )
        return Pipeline([("encode", preprocessor), ("model", self.model(params, context))])


def _dummy(params, context):
    if context.task == REGRESSION:
        return DummyRegressor(strategy="mean")
    return DummyClassifier(strategy="prior")


def _linear(params, context):
    if context.task == REGRESSION:
        return Ridge(alpha=params.get("alpha", 1.0))
    return LogisticRegression(C=params.get("C", 1.0), max_iter=2000)


def _linear_space(trial, task):
    if task == REGRESSION:
        return {"alpha": trial.suggest_float("alpha", 1e-3, 1e3, log=True)}
    return {"C": trial.suggest_float("C", 1e-3, 1e2, log=True)}


def _knn(params, context):
    kind = KNeighborsRegressor if context.task == REGRESSION else KNeighborsClassifier
    return kind(
        n_neighbors=params.get("n_neighbors", 15),
        weights=params.get("weights", "distance"),
        n_jobs=context.n_jobs,
    )


def _knn_space(trial, task):
    return {
        "n_neighbors": trial.suggest_int("n_neighbors", 3, 100, log=True),
        "weights": trial.suggest_categorical("weights", ["uniform", "distance"]),
    }


def _forest(kind_classifier, kind_regressor):
    def build(params, context):
        kind = kind_regressor if context.task == REGRESSION else kind_classifier
        return kind(
            n_estimators=params.get("n_estimators", 150),
            max_features=params.get("max_features", 0.5),
            min_samples_leaf=params.get("min_samples_leaf", 1),
            n_jobs=context.n_jobs,
            random_state=context.random_state,
        )

    return build


def _forest_space():
    def space(trial, task):
        return {
            "max_features": trial.suggest_float("max_features", 0.05, 1.0),
            "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 30, log=True),
        }

    return space


def _hist_gb(params, context):
    kind = (
        HistGradientBoostingRegressor
        if context.task == REGRESSION
        else HistGradientBoostingClassifier
    )
    return kind(
        learning_rate=params.get("learning_rate", 0.1),
        max_leaf_nodes=params.get("max_leaf_nodes", 31),
        min_samples_leaf=params.get("min_samples_leaf", 20),
        l2_regularization=params.get("l2_regularization", 0.0),
        max_iter=1000,
        early_stopping=True,
        n_iter_no_change=30,
        categorical_features=categorical_positions(context.roles) or None,
        random_state=context.random_state,
    )


def _hist_gb_space(trial, task):
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "max_leaf_nodes": trial.suggest_int("max_leaf_nodes", 4, 128, log=True),
        "min_samples_leaf": trial.suggest_int("min_samples_leaf", 2, 200, log=True),
        "l2_regularization": trial.suggest_float("l2_regularization", 1e-6, 10, log=True),
    }


def _booster(library):
    def build(params, context):
        kind = EarlyStoppedRegressor if context.task == REGRESSION else EarlyStoppedClassifier
        if library == "lightgbm" and params.get("subsample", 1.0) < 1.0:
            params = {**params, "subsample_freq": 1}  # LightGBM bags only when asked to
        return kind(
            library=library,
            params=params,
            n_jobs=context.n_jobs,
            random_state=context.random_state,
            deadline=context.deadline,
        )

    return build


def _neural(architecture):
    def build(params, context):
        from atelier.learn._neural import NeuralClassifier, NeuralRegressor

        kind = NeuralRegressor if context.task == REGRESSION else NeuralClassifier
        layers = [params.get("width", 256)] * params.get("depth", 3)
        return kind(
            architecture=architecture,
            layers=layers,
            dropout=params.get("dropout", 0.1),
            numeric_embedding=params.get("numeric_embedding", 0),
            learning_rate=params.get("learning_rate", 1e-3),
            weight_decay=params.get("weight_decay", 1e-4),
            k=params.get("k", 8),
            categorical=categorical_positions(context.roles),
            deadline=context.deadline,
            device="auto",
            n_jobs=context.n_jobs,
            random_state=context.random_state,
        )

    return build


def _neural_space(trial, task):
    return {
        "depth": trial.suggest_int("depth", 1, 4),
        "width": trial.suggest_categorical("width", [64, 128, 256, 512]),
        "dropout": trial.suggest_float("dropout", 0.0, 0.4),
        "numeric_embedding": trial.suggest_categorical("numeric_embedding", [0, 8, 16]),
        "learning_rate": trial.suggest_float("learning_rate", 1e-4, 3e-3, log=True),
        "weight_decay": trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
    }


def _lightgbm_space(trial, task):
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 4, 256, log=True),
        "min_child_samples": trial.suggest_int("min_child_samples", 2, 200, log=True),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.3, 1.0),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-6, 10, log=True),
    }


def _xgboost_space(trial, task):
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "max_depth": trial.suggest_int("max_depth", 2, 10),
        "min_child_weight": trial.suggest_float("min_child_weight", 0.5, 50, log=True),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.3, 1.0),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 10, log=True),
    }


def _catboost_space(trial, task):
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.02, 0.3, log=True),
        "depth": trial.suggest_int("depth", 3, 8),
        "l2_leaf_reg": trial.suggest_float("l2_leaf_reg", 1, 30, log=True),
    }


# the libraries' own defaults, fitted as the libraries fit them (a fixed number of
# trees, every row): the search starts from them
LIGHTGBM_OWN_DEFAULTS = {
    "learning_rate": 0.1,
    "num_leaves": 31,
    "min_child_samples": 20,
    "subsample": 1.0,
    "colsample_bytree": 1.0,
    "reg_lambda": 1e-6,  # LightGBM's 0, at the edge of the space's log scale
    "n_estimators": 100,
}
XGBOOST_OWN_DEFAULTS = {
    "learning_rate": 0.3,
    "max_depth": 6,
    "min_child_weight": 1.0,
    "subsample": 1.0,
    "colsample_bytree": 1.0,
    "reg_lambda": 1.0,
    "n_estimators": 100,
}

FAMILIES: dict[str, Family] = {
    family.name: family
    for family in [
        Family("dummy", _dummy, "ordinal", impute=True, scale=False, cost=0),
        Family(
            "linear",
            _linear,
            "onehot",
            impute=True,
            scale=True,
            defaults=[{"C": 1.0, "alpha": 1.0}],
            space=_linear_space,
            cost=1,
        ),
        Family(
            "hist_gb",
            _hist_gb,
            "ordinal",
            impute=False,
            scale=False,
            defaults=[
                {
                    "learning_rate": 0.1,
                    "max_leaf_nodes": 31,
                    "min_samples_leaf": 20,
                    "l2_regularization": 1e-6,
                },
                {
                    "learning_rate": 0.05,
                    "max_leaf_nodes": 15,
                    "min_samples_leaf": 40,
                    "l2_regularization": 1.0,
                },
            ],
            space=_hist_gb_space,
            cost=2,
        ),
        Family(
            "lightgbm",
            _booster("lightgbm"),
            "ordinal",
            impute=False,
            scale=False,
            defaults=[
                LIGHTGBM_OWN_DEFAULTS,
                {
                    "learning_rate": 0.05,
                    "num_leaves": 31,
                    "min_child_samples": 20,
                    "subsample": 1.0,
                    "colsample_bytree": 1.0,
                    "reg_lambda": 1e-6,
                },
                {
                    "learning_rate": 0.03,
                    "num_leaves": 15,
                    "min_child_samples": 40,
                    "subsample": 0.8,
                    "colsample_bytree": 0.7,
                    "reg_lambda": 1.0,
                },
            ],
            space=_lightgbm_space,
            cost=3,
            requires="lightgbm",
        ),
        Family(
            "knn",
            _knn,
            "onehot",
            impute=True,
            scale=True,
            defaults=[{"n_neighbors": 15, "weights": "distance"}],
            space=_knn_space,
            cost=4,
        ),
        Family(
            "extra_trees",
            _forest(ExtraTreesClassifier, ExtraTreesRegressor),
            "ordinal",
            impute=True,
            scale=False,
            defaults=[{"max_features": 0.5, "min_samples_leaf": 2}],
            space=_forest_space(),
            cost=5,
        ),
        Family(
            "random_forest",
            _forest(RandomForestClassifier, RandomForestRegressor),
            "ordinal",
            impute=True,
            scale=False,
            defaults=[{"max_features": 0.5, "min_samples_leaf": 2}],
            space=_forest_space(),
            cost=6,
        ),
        Family(
            "xgboost",
            _booster("xgboost"),
            "ordinal",
            impute=False,
            scale=False,
            defaults=[
                XGBOOST_OWN_DEFAULTS,
                {
                    "learning_rate": 0.05,
                    "max_depth": 6,
                    "min_child_weight": 1.0,
                    "subsample": 0.8,
                    "colsample_bytree": 0.8,
                    "reg_lambda": 1.0,
                },
            ],
            space=_xgboost_space,
            cost=7,
            requires="xgboost",
        ),
        Family(
            "catboost",
            _booster("catboost"),
            "ordinal",
            impute=False,
            scale=False,
            defaults=[{"learning_rate": 0.08, "depth": 6, "l2_leaf_reg": 3.0}],
            space=_catboost_space,
            cost=8,
            requires="catboost",
        ),
        # networks: the modern recipe for tables (see atelier.learn._neural)
        Family(
            "mlp",
            _neural("mlp"),
            "ordinal",
            impute=False,
            scale=False,
            defaults=[{"depth": 3, "width": 256, "dropout": 0.1, "numeric_embedding": 0}],
            space=_neural_space,
            cost=9,
            requires="torch",
        ),
        Family(
            "tabm",
            _neural("tabm"),
            "ordinal",
            impute=False,
            scale=False,
            defaults=[{"depth": 2, "width": 256, "dropout": 0.1, "numeric_embedding": 0}],
            space=_neural_space,
            cost=10,
            requires="torch",
        ),
    ]
}


def missing_library(family: Family) -> str:
    """What to install for ``family``, in one line."""
    if family.requires == "torch":
        from atelier.learn._neural import torch_missing_message

        return torch_missing_message(f"model family {family.name!r}")
    return (
        f"model family {family.name!r} needs the {family.requires!r} package; "
        f"pip install {family.requires}"
    )


def unavailable_neural_note() -> str | None:
    """A note for the search's record when the neural families are left out (no torch)."""
    if FAMILIES["mlp"].available():
        return None
    return "neural families (mlp, tabm) not tried: " + missing_library(FAMILIES["mlp"])


def resolve_families(names: list[str] | None) -> list[Family]:
    """The families to search: ``names`` (validated) or every available one, cheapest first.

    Raises
    ------
    ValueError
        For an unknown family name, or one whose library is not installed.
    """
    if names is None:
        return sorted((f for f in FAMILIES.values() if f.available()), key=lambda f: f.cost)
    chosen = []
    for name in names:
        if name not in FAMILIES:
            raise ValueError(f"unknown model family {name!r}; choose from {sorted(FAMILIES)}")
        if not FAMILIES[name].available():
            raise ValueError(missing_library(FAMILIES[name]))
        chosen.append(FAMILIES[name])
    if "dummy" not in names:
        chosen.insert(0, FAMILIES["dummy"])
    return sorted(chosen, key=lambda f: f.cost)
