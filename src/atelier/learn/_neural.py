"""Neural networks for tables as scikit-learn estimators: ``NeuralClassifier``, ``NeuralRegressor``.

The recipe of recent work on tabular deep learning (Gorishniy et al. 2021-2025,
Holzmüller et al. 2024): numbers imputed with their median (plus a missing
indicator where 5 training rows or more miss them) and mapped to a normal shape by a
quantile transform (or standardised), categories embedded, AdamW with weight decay,
a warm-up then cosine learning-rate schedule, dropout, and early stopping on a
validation part of the training rows that restores the best epoch's weights.
``architecture="tabm"`` trains TabM, an efficient ensemble of k MLPs.

Prediction needs no torch once :meth:`NeuralClassifier.freeze` has turned the
network into ONNX: the estimator then keeps the ONNX bytes and runs them with
onnxruntime; that is how a trained network is saved and served. Before, it keeps
its weights as NumPy arrays and rebuilds the torch network on first use.
"""

import time
from numbers import Integral, Real
from typing import ClassVar

import joblib
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder, QuantileTransformer, StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from atelier.learn._features import often_missing

ARCHITECTURES = ("mlp", "tabm")
SCALINGS = ("quantile", "standard")
VALIDATION_SEED_OFFSET = 7  # the validation split is not the batches' order


def torch_missing_message(what: str) -> str:
    """What to install for ``what`` when torch is missing."""
    return (
        f"{what} needs PyTorch: pip install torch==2.13.0 (the CPU build), "
        "then pip install 'atelier[deep]'"
    )


class _NeuralBase(BaseEstimator):
    """Parameters, preprocessing, training and prediction shared by both tasks."""

    _parameter_constraints: ClassVar[dict] = {
        "architecture": [StrOptions(set(ARCHITECTURES))],
        "layers": [list, tuple],
        "activation": [StrOptions({"relu", "gelu", "silu", "tanh"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_norm": ["boolean"],
        "numeric_embedding": [Interval(Integral, 0, None, closed="left")],
        "k": [Interval(Integral, 1, None, closed="left")],
        "scaling": [StrOptions(set(SCALINGS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "schedule": [StrOptions({"constant", "cosine"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "categorical": [list, tuple, None],
        "deadline": [Real, None],
        "device": [StrOptions({"auto", "cpu"})],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        architecture="mlp",
        layers=(256, 256, 256),
        activation="relu",
        dropout=0.1,
        batch_norm=False,
        numeric_embedding=0,
        k=16,
        scaling="quantile",
        learning_rate=1e-3,
        weight_decay=1e-4,
        schedule="cosine",
        batch_size=256,
        max_epochs=100,
        patience=12,
        validation_fraction=0.15,
        categorical=None,
        deadline=None,
        device="auto",
        class_weight=None,
        n_jobs=None,
        random_state=None,
    ):
        self.architecture = architecture
        self.layers = layers
        self.activation = activation
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.numeric_embedding = numeric_embedding
        self.k = k
        self.scaling = scaling
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.categorical = categorical
        self.deadline = deadline
        self.device = device
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ---- the contract -----------------------------------------------------------

    def _fit(self, X, y, classification: bool, class_weights=None):
        self._validate_params()
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=np.float64)
        if not self.layers or min(int(units) for units in self.layers) < 1:
            raise ValueError(
                f"The 'layers' parameter of {type(self).__name__} must be a non-empty list of "
                f"positive integers. Got {list(self.layers)!r} instead."
            )
        try:
            import torch  # noqa: F401
        except ImportError:
            raise ImportError(torch_missing_message(type(self).__name__)) from None
        seed = int(np.random.RandomState(self.random_state).randint(2**31 - 1))
        stratify = y if classification and np.bincount(y).min() >= 2 else None
        rows = np.arange(len(y))
        if len(y) >= 10:
            fit_rows, validation_rows = train_test_split(
                rows,
                test_size=self.validation_fraction,
                stratify=stratify,
                random_state=seed + VALIDATION_SEED_OFFSET,
            )
        else:  # too few rows to hold any out: validate on the training rows
            fit_rows = validation_rows = rows
        self._fit_preprocessing(X[fit_rows])
        x_num, x_cat = self._prepare(X)
        targets = y if classification else self._standardise_target(y, fit_rows)
        train = (x_num[fit_rows], x_cat[fit_rows], targets[fit_rows])
        validation = (x_num[validation_rows], x_cat[validation_rows], targets[validation_rows])
        self._train(train, validation, classification, seed, class_weights)
        return self

    def _standardise_target(self, y, fit_rows):
        self.target_mean_ = float(np.mean(y[fit_rows]))
        self.target_scale_ = float(np.std(y[fit_rows])) or 1.0
        return (y - self.target_mean_) / self.target_scale_

    def _fit_preprocessing(self, X):
        categorical = sorted({int(i) for i in (self.categorical or [])})
        if categorical and (categorical[0] < 0 or categorical[-1] >= X.shape[1]):
            raise ValueError(
                f"The 'categorical' parameter of {type(self).__name__} holds positions outside "
                f"[0, {X.shape[1]}). Got {categorical!r} instead."
            )
        self.categorical_ = categorical
        self.numeric_ = [i for i in range(X.shape[1]) if i not in set(categorical)]
        # codes >= 0 are categories seen in fit; -1 (or anything unseen) maps to 0
        self.cardinalities_ = [
            int(np.nanmax(np.append(X[:, i], -1))) + 1 for i in self.categorical_
        ]
        numbers = X[:, self.numeric_]
        missing = np.isnan(numbers)
        self.medians_ = np.where(
            missing.all(axis=0), 0.0, np.nanmedian(np.where(missing.all(axis=0), 0, numbers), 0)
        )
        # no flag for a column missing in a few rows: it could only memorise them
        self.indicated_ = often_missing(missing)
        filled = np.where(missing, self.medians_, numbers)
        if self.scaling == "quantile":
            self.scaler_ = QuantileTransformer(
                n_quantiles=max(2, min(1000, len(filled))),
                output_distribution="normal",
                subsample=100_000,
                random_state=0,
            ).fit(filled)
        else:
            self.scaler_ = StandardScaler().fit(filled)

    def _prepare(self, X) -> tuple[np.ndarray, np.ndarray]:
        numbers = X[:, self.numeric_]
        missing = np.isnan(numbers)
        filled = np.where(missing, self.medians_, numbers)
        scaled = np.clip(self.scaler_.transform(filled), -5, 5) if filled.shape[1] else filled
        x_num = np.hstack([scaled, missing[:, self.indicated_].astype(np.float64)])
        codes = X[:, self.categorical_]
        codes = np.where(np.isnan(codes), -1, codes).astype(np.int64) + 1
        limits = np.asarray(self.cardinalities_, dtype=np.int64)
        x_cat = np.where((codes < 0) | (codes > limits), 0, codes)
        return x_num.astype(np.float32), x_cat

    def network_inputs(self, X) -> tuple[np.ndarray, np.ndarray]:
        """The rows as the network reads them: scaled numbers and category indices."""
        check_is_fitted(self)
        X = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False)
        return self._prepare(X)

    def network_targets(self, y) -> np.ndarray:
        """The targets as the network learns them: class codes, or standardised values."""
        check_is_fitted(self)
        if self._is_classifier():
            return np.searchsorted(self.classes_, y)
        return (np.asarray(y, dtype=np.float64) - self.target_mean_) / self.target_scale_

    def network_config(self) -> dict:
        """The network's and the training's settings, as the training loop reads them."""
        return {
            "architecture": self.architecture,
            "layers": [int(units) for units in self.layers],
            "activation": self.activation,
            "dropout": float(self.dropout),
            "batch_norm": bool(self.batch_norm),
            "numeric_embedding": int(self.numeric_embedding),
            "k": int(self.k) if self.architecture == "tabm" else 1,
            "learning_rate": float(self.learning_rate),
            "weight_decay": float(self.weight_decay),
            "schedule": self.schedule,
            "batch_size": int(self.batch_size),
            "max_epochs": int(self.max_epochs),
            "patience": int(self.patience),
            "device": self.device,
        }

    def _train(self, train, validation, classification, seed, class_weights):
        import torch

        from atelier.learn import _networks

        config = self.network_config() | {"class_weights": class_weights}
        self.n_outputs_ = len(self.classes_) if classification else 1
        threads = torch.get_num_threads()
        # scikit-learn's convention: None is one thread. Small tables train fastest on one
        # (and folds already run side by side); torch's default, every core, was 5x slower
        # on a busy 2-core machine.
        torch.set_num_threads(
            1 if self.n_jobs is None else joblib.cpu_count() if self.n_jobs < 0 else self.n_jobs
        )
        started = time.monotonic()
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                network = _networks.build_network(
                    config, train[0].shape[1], self.cardinalities_, self.n_outputs_
                )
                fitted = _networks.train_network(
                    network,
                    train,
                    validation,
                    classification=classification,
                    config=config,
                    seed=seed,
                    deadline=self.deadline,
                    score=self._validation_score,
                )
        finally:
            torch.set_num_threads(threads)
        self.fit_seconds_ = time.monotonic() - started
        self.history_ = fitted.history
        self.best_epoch_ = fitted.best_epoch
        self.stopped_by_ = fitted.stopped_by
        self.n_parameters_ = int(sum(p.numel() for p in fitted.network.parameters()))
        self.device_ = str(_networks.device_of(self.device))
        self.n_numeric_inputs_ = int(train[0].shape[1])
        self.state_ = {k: v.detach().numpy().copy() for k, v in fitted.network.state_dict().items()}
        self.onnx_ = None
        self._runtime = _networks.Predictor(fitted.network, classification)

    # ---- prediction -------------------------------------------------------------

    def _outputs(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False)
        x_num, x_cat = self._prepare(X)
        if self.onnx_ is not None:
            return self._onnx_outputs(x_num, x_cat)
        from atelier.learn import _networks

        return _networks.predict(self.predictor(), x_num, x_cat)

    def _onnx_outputs(self, x_num, x_cat) -> np.ndarray:
        session = self.__dict__.get("_session")
        if session is None:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            session = onnxruntime.InferenceSession(
                self.onnx_, options, providers=["CPUExecutionProvider"]
            )
            self._session = session
        inputs = {"numbers": x_num, "categories": x_cat}
        feed = {node.name: inputs[node.name] for node in session.get_inputs()}
        return session.run(None, feed)[0].astype(np.float64)

    def predictor(self):
        """The trained network as a torch module (rebuilt from its weights if needed)."""
        check_is_fitted(self)
        runtime = self.__dict__.get("_runtime")
        if runtime is None:
            import torch

            from atelier.learn import _networks

            network = _networks.build_network(
                self.network_config(), self.n_numeric_inputs_, self.cardinalities_, self.n_outputs_
            )
            network.load_state_dict({k: torch.as_tensor(v) for k, v in self.state_.items()})
            runtime = _networks.Predictor(network, self._is_classifier()).eval()
            self._runtime = runtime
        return runtime

    def freeze(self):
        """Export the network to ONNX; from then on it predicts with onnxruntime.

        Returns
        -------
        self
        """
        from atelier.learn import _networks

        self.onnx_ = _networks.to_onnx(
            self.predictor(), self.n_numeric_inputs_, len(self.cardinalities_)
        )
        self.__dict__.pop("_session", None)
        return self

    def __getstate__(self):
        state = super().__getstate__()
        for cache in ("_runtime", "_session"):  # torch and onnxruntime objects: rebuilt
            state.pop(cache, None)
        if state.get("onnx_") is not None:
            state.pop("state_", None)  # the ONNX model holds the weights
        return state

    def _is_classifier(self) -> bool:
        return hasattr(self, "classes_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.non_deterministic = False
        return tags


class NeuralClassifier(ClassifierMixin, _NeuralBase):
    """A neural network for tables that predicts classes.

    Parameters
    ----------
    architecture : {"mlp", "tabm"}, default="mlp"
        A multilayer perceptron, or TabM (k MLPs sharing most weights).
    layers : list of int, default=(256, 256, 256)
        Units of each hidden layer (TabM uses ``len(layers)`` blocks of ``layers[0]``).
    activation : {"relu", "gelu", "silu", "tanh"}, default="relu"
    dropout : float, default=0.1
    batch_norm : bool, default=False
        Batch normalisation after each hidden linear layer (MLP only).
    numeric_embedding : int, default=0
        Width of each number's periodic embedding; 0 feeds numbers as they are.
    k : int, default=16
        Members of the TabM ensemble.
    scaling : {"quantile", "standard"}, default="quantile"
    learning_rate, weight_decay : float
        AdamW's.
    schedule : {"constant", "cosine"}, default="cosine"
        Linear warm-up over 5% of the steps, then cosine decay.
    batch_size, max_epochs, patience : int
        Training stops after ``patience`` epochs without a better validation loss;
        the best epoch's weights are kept.
    validation_fraction : float, default=0.15
        Share of the rows held out for early stopping.
    categorical : list of int or None
        Positions of the columns that hold category codes (0, 1, ...; -1 or NaN for
        missing); the others are numbers.
    deadline : float or None
        ``time.monotonic()`` value after which no new epoch starts.
    device : {"auto", "cpu"}, default="auto"
        ``auto`` trains on a CUDA GPU when there is one (bfloat16 mixed precision).
    class_weight : {"balanced"}, dict or None
        Weights of the classes in the loss: ``balanced`` weighs each by the inverse
        of its frequency; a dict maps labels to weights.
    n_jobs : int or None
        Threads torch may use while fitting: None is one, -1 every core.
    random_state : int, RandomState or None

    Attributes
    ----------
    classes_ : ndarray
    history_ : list of dict
        One row per epoch: losses, validation accuracy, learning rate, seconds.
    best_epoch_ : int
        The epoch whose weights were kept.
    stopped_by_ : str
        ``early stopping``, ``maximum epochs`` or ``time budget``.
    n_parameters_ : int
    onnx_ : bytes or None
        The frozen network (see :meth:`freeze`).
    """

    def fit(self, X, y):
        """Train the network on ``X`` and class labels ``y``; returns ``self``."""
        _, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=None)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        codes = encoder.transform(y)
        weights = None
        if self.class_weight is not None:
            weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y).tolist()
        return self._fit(X, codes, classification=True, class_weights=weights)

    def predict_proba(self, X):
        """Probability of each class (columns in ``classes_`` order)."""
        proba = self._outputs(X)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """The most probable class of each row."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    @staticmethod
    def _validation_score(codes, proba):
        return accuracy_score(codes, np.asarray(proba).argmax(axis=1))


class NeuralRegressor(RegressorMixin, _NeuralBase):
    """A neural network for tables that predicts a number.

    The target is standardised for training and the predictions mapped back. The
    parameters and attributes are :class:`NeuralClassifier`'s (``history_`` records
    the validation R²), except ``class_weight``, which must stay None.
    """

    def fit(self, X, y):
        """Train the network on ``X`` and numeric targets ``y``; returns ``self``."""
        if self.class_weight is not None:
            raise ValueError(
                "The 'class_weight' parameter of NeuralRegressor must be None: a regression "
                f"has no classes. Got {self.class_weight!r} instead."
            )
        _, y = validate_data(self, X, y, ensure_all_finite="allow-nan", y_numeric=True)
        return self._fit(X, np.asarray(y, dtype=np.float64), classification=False)

    def predict(self, X):
        """The predicted value of each row."""
        outputs = self._outputs(X)[:, 0]
        return outputs * self.target_scale_ + self.target_mean_

    @staticmethod
    def _validation_score(y, predictions):
        return r2_score(y, predictions) if len(y) > 1 else float("nan")
