"""What the deep stage does the same way for images and texts.

A :class:`Modality` says how the rows become the network's inputs, which network
to start from and which steps to try, how to read its errors and what to draw;
:func:`climb` runs the steps (each trained on the fitting rows, scored on the
validation rows, kept only if it scores better), and the confusion's most
confused pairs are read the same way for both.
"""

import numpy as np
from sklearn.model_selection import GroupShuffleSplit, train_test_split

from atelier.deep._improvements import Trainer, better, step_row
from atelier.deep._records import VALIDATION_SHARE, training_method
from atelier.learn._data import SEED
from atelier.learn._metrics import TRANSCRIPTION

PATIENCE = 5


class Modality:
    """The kind of rows a network reads; subclasses fill in each part.

    Attributes
    ----------
    kind, title : str
        The architecture's key in the results, and its name in charts.
    baseline : dict
        The first network's parameters.
    first_step : str
        Its name among the steps.
    steps : tuple of (str, dict)
        Each step's name and its change to the kept network.
    """

    kind = title = first_step = ""
    baseline: dict = {}  # noqa: RUF012 -- read-only class data
    steps: tuple = ()
    seed = SEED
    note: str | None = None  # for the stage's notes

    def network(self, config: dict):
        """The unfitted network of ``config``."""
        raise NotImplementedError

    def inputs(self, project, data):
        """The training and hold-out rows as the network reads them."""
        raise NotImplementedError

    def errors(self, project, data, network, proba) -> dict:
        """What the hold-out errors show, beyond the confused pairs."""
        raise NotImplementedError

    def described_inputs(self, data, network) -> dict:
        """The inputs, for the architecture's record."""
        raise NotImplementedError

    def card_input(self, data) -> dict | None:
        """What a request carries, for the serving card (None: records of columns)."""
        return None

    def figures(self, project, data, errors, folder, say) -> dict:
        """Charts of the errors, by name."""
        return {}

    def method_extras(self, config: dict) -> dict:
        """The method's facts particular to this kind of rows."""
        return {}


def climb(modality: Modality, data, X_train, metric, task, max_epochs: int, deadline: float):
    """The steps from ``modality``'s baseline.

    The validation rows are whole groups when the charter names a group column
    (speakers, say): each step is judged on groups it never saw, as the hold-out is.

    The step named ``range_test`` runs the learning-rate range test on the kept
    network and tries the rate it chooses.

    Returns
    -------
    (Trainer, dict, list of dict, dict or None, (int, int))
        The trainer, the kept network's parameters and validation score's steps, the
        range test, and the numbers of fitting and validation rows.
    """
    rows = np.arange(len(data.y_train))
    if data.groups is not None:  # validation on unseen groups (speakers), as the hold-out
        splitter = GroupShuffleSplit(n_splits=1, test_size=VALIDATION_SHARE, random_state=SEED)
        fit_rows, validation_rows = next(splitter.split(rows, groups=data.groups))
    else:
        stratify = None if task == TRANSCRIPTION else data.y_train
        fit_rows, validation_rows = train_test_split(
            rows, test_size=VALIDATION_SHARE, stratify=stratify, random_state=SEED
        )

    def taken(X, positions):
        return X.iloc[positions] if hasattr(X, "iloc") else X[positions]

    trainer = Trainer(
        modality.network,
        (taken(X_train, fit_rows), data.y_train[fit_rows]),
        (taken(X_train, validation_rows), data.y_train[validation_rows]),
        metric,
        task,
        deadline=deadline,
    )
    config = modality.baseline | {"max_epochs": max_epochs, "patience": PATIENCE}
    model, score = trainer.fit(config)
    steps = [step_row(modality.first_step, {}, score, 0.0, True, model, trainer.seconds)]
    tested = None
    for name, change in modality.steps:
        if trainer.time_left() < 1.5 * trainer.last_seconds:
            steps.append({"step": name, "skipped": "time budget"})
            continue
        if name == "range_test":
            tested = modality.network(config).range_test(trainer.X_fit, trainer.y_fit)
            tested = {k: (round(v, 8) if isinstance(v, float) else v) for k, v in tested.items()}
            change = {"learning_rate": tested["chosen"]}
        candidate = config | change
        model, new_score = trainer.fit(candidate)
        delta = better(metric, new_score, score)
        steps.append(step_row(name, change, new_score, delta, delta > 0, model, trainer.seconds))
        if delta > 0:
            config, score = candidate, new_score
    return trainer, config, steps, tested, (len(fit_rows), len(validation_rows))


def confused_pairs(matrix: list[list[int]], classes: list, top: int = 5) -> list[dict]:
    """The pairs of labels most often mistaken one for the other on the hold-out."""
    counts = np.asarray(matrix)
    pairs = []
    for actual, predicted in zip(*np.nonzero(counts), strict=True):
        if actual != predicted:
            pairs.append(
                {
                    "actual": classes[actual],
                    "predicted": classes[predicted],
                    "count": int(counts[actual, predicted]),
                    "share_of_actual": float(counts[actual, predicted] / counts[actual].sum()),
                }
            )
    return sorted(pairs, key=lambda p: (-p["count"], str(p["actual"])))[:top]


def most_confident_errors(truth, proba, classes, top: int) -> list[dict]:
    """The hold-out rows the network got wrong with the most confidence (``row``: position)."""
    predicted = proba.argmax(axis=1)
    truth_codes = np.searchsorted(classes, truth)
    wrong = np.flatnonzero(predicted != truth_codes)
    order = wrong[np.argsort(-proba[wrong, predicted[wrong]], kind="stable")][:top]
    return [
        {
            "row": int(row),
            "actual": str(truth[row]),
            "predicted": str(classes[predicted[row]]),
            "confidence": round(float(proba[row, predicted[row]]), 4),
        }
        for row in order
    ]


def method_of(network, config, rows_fit, rows_validation, tested, extras: dict) -> dict:
    """The training method of a network of images, sounds or texts, in numbers."""
    return (
        training_method(network, config, rows_fit, rows_validation, rows_fit)
        | {
            "loss": "cross-entropy",
            "loss_key": "cross_entropy",
            "range_test": tested,
            "schedule": getattr(network, "schedule", "constant"),
            "batch_size": network.batch_size,
            "device": getattr(network, "device_", "cpu"),
        }
        | extras
    )
