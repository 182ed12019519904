"""Machine learning: AutoML that compares model families within a time budget.

``AutoClassifier`` and ``AutoRegressor`` work on any DataFrame, without a project;
``train`` runs them on a project's cleaned mart and writes the learn artifacts.
"""

from atelier.learn._auto import AutoClassifier, AutoRegressor, Choice
from atelier.learn._metrics import get_metric
from atelier.learn._neural import NeuralClassifier, NeuralRegressor
from atelier.learn._segments import SegmentsResult, train_segments
from atelier.learn._stage import TrainResult, load_model, train
from atelier.learn._validation import choose_splits, validation_plan

__all__ = [
    "AutoClassifier",
    "AutoRegressor",
    "Choice",
    "NeuralClassifier",
    "NeuralRegressor",
    "SegmentsResult",
    "TrainResult",
    "choose_splits",
    "get_metric",
    "load_model",
    "train",
    "train_segments",
    "validation_plan",
]
