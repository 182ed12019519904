"""The network and the classical model, scored on the same hold-out rows."""

import numpy as np
from sklearn.metrics import confusion_matrix, recall_score

from atelier._values import json_value
from atelier.learn._data import SEED
from atelier.learn._diagnostics import calibration_of
from atelier.learn._metrics import REGRESSION
from atelier.learn._thresholds import at, in_plain_words, threshold_table, unit_costs
from atelier.learn._verdicts import class_codes, paired_gain


def holdout_indicators(project, data, network, X_test, metric, task, positive) -> dict:
    """The network and the classical champion, scored on the same hold-out rows."""
    from atelier.learn import load_model

    classical = load_model(project)
    y_test = data.y_test
    if task == REGRESSION:
        truth = np.asarray(y_test, dtype=np.float64)
        ours, theirs = network.predict(X_test), classical.predict(data.X_test)
    else:
        classes = network.classes_
        truth = class_codes(classes, y_test)
        ours, theirs = network.predict_proba(X_test), classical.predict_proba(data.X_test)
    comparison = paired_gain(truth, theirs, ours, metric, task, SEED)
    indicators = {
        "network": scores_of(truth, ours, metric, task),
        "classical": scores_of(truth, theirs, metric, task),
        "comparison": comparison,
    }
    if task == REGRESSION:
        residuals = truth - ours
        indicators["residuals"] = {
            "mean": float(residuals.mean()),
            "std": float(residuals.std()),
            "quantiles": {
                str(q): float(v)
                for q, v in zip(
                    (0.05, 0.5, 0.95), np.quantile(residuals, [0.05, 0.5, 0.95]), strict=True
                )
            },
        }
        indicators["predicted"] = ours.tolist()[:2000]
        indicators["truth"] = truth.tolist()[:2000]
        return indicators
    predicted = ours.argmax(axis=1)
    labels = list(range(len(classes)))
    indicators["classes"] = [json_value(c) for c in classes]
    indicators["confusion"] = confusion_matrix(truth, predicted, labels=labels).tolist()
    recalls = recall_score(truth, predicted, labels=labels, average=None, zero_division=0)
    indicators["recall"] = {str(c): float(r) for c, r in zip(classes, recalls, strict=True)}
    if positive is not None:
        code = list(classes).index(positive)
        indicators["calibration"] = calibration_of(truth == code, ours[:, code])
    return indicators


def at_threshold(proba, y_test, positive, threshold, costs, negative) -> dict:
    """The serving card's decision facts on the hold-out, as train writes them."""
    unit = unit_costs(costs, str(positive), str(negative))
    table = threshold_table(np.asarray(y_test).astype(str) == str(positive), proba, unit)
    row, half = at(table, threshold), at(table, 0.5)
    return {
        "answer": in_plain_words(row, f"the {positive!s} cases", costs.currency, half),
        "at_threshold": {
            key: row[key] for key in ("threshold", "recall", "precision", "cost_per_1000")
        },
    }


def scores_of(truth, predictions, metric, task) -> dict:
    from sklearn.metrics import (
        accuracy_score,
        log_loss,
        mean_absolute_error,
        r2_score,
        root_mean_squared_error,
    )

    scores = {metric.name: float(metric.score(truth, predictions))}
    if task == REGRESSION:
        scores |= {
            "rmse": float(root_mean_squared_error(truth, predictions)),
            "mae": float(mean_absolute_error(truth, predictions)),
            "r2": float(r2_score(truth, predictions)),
        }
    else:
        labels = list(range(predictions.shape[1]))
        total = predictions.sum(axis=1, keepdims=True)  # float32 models sum to 1 +- 1e-7
        scores |= {
            "accuracy": float(accuracy_score(truth, predictions.argmax(axis=1))),
            "log_loss": float(log_loss(truth, predictions / total, labels=labels)),
        }
    return scores
