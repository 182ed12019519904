"""Deep learning: a neural network on the project's mart, explained for block 4 of the standard.

``deep`` runs after ``train``: it builds the network step by step, records its
architecture, method, curves, indicators, improvements and errors, exports it to
ONNX and makes it the champion only if it beats the classical model on the
hold-out. The networks of tables are scikit-learn estimators in :mod:`atelier.learn`
(``NeuralClassifier``, ``NeuralRegressor``); :class:`SpeechTranscriber` writes what a
recording says (a sequence model trained with CTC), measured by :func:`error_rates`.
"""

from atelier.deep._records import diagnose
from atelier.deep._stage import DeepResult, deep
from atelier.deep._transcribe import SpeechTranscriber, error_rates

__all__ = ["DeepResult", "SpeechTranscriber", "deep", "diagnose", "error_rates"]
