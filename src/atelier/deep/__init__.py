"""Deep learning: a neural network on the project's mart, explained for block 4 of the standard.

``deep`` runs after ``train``: it builds the network step by step, records its
architecture, method, curves, indicators, improvements and errors, exports it to
ONNX and makes it the champion only if it beats the classical model on the
hold-out. The networks themselves are scikit-learn estimators in
:mod:`atelier.learn` (``NeuralClassifier``, ``NeuralRegressor``).
"""

from atelier.deep._records import diagnose
from atelier.deep._stage import DeepResult, deep

__all__ = ["DeepResult", "deep", "diagnose"]
