"""The deep stage on images: a convolutional network, improved one measured step at a time.

From a plain CNN, each step adds one thing (batch normalisation, dropout,
augmentation by random shifts, wider filters), is trained on the fitting rows,
scored on the validation rows, and kept only if it scores better. The kept network
is compared with the classical champion (a model on pixels) on the train stage's
hold-out; its errors are read as the most confused pairs of labels and the images
it got most confidently wrong.
"""

import numpy as np
from sklearn.model_selection import train_test_split

from atelier.deep._improvements import Trainer, better, step_row
from atelier.deep._records import VALIDATION_SHARE
from atelier.learn._data import SEED

PATIENCE = 5
BASELINE = {
    "channels": [32, 64],
    "hidden": 128,
    "batch_norm": False,
    "dropout": 0.0,
    "augment": 0.0,
    "learning_rate": 1e-3,
    "weight_decay": 1e-4,
}
STEPS = (
    ("batch_norm", {"batch_norm": True}),
    ("cnn_dropout", {"dropout": 0.25}),
    ("augmentation", {"augment": 0.1}),
    ("wider_cnn", {"channels": [64, 128], "hidden": 256}),
)
MISCLASSIFIED_SHOWN = 16


def make_network(config: dict):
    """The image network of ``config`` (the stage's seed)."""
    from atelier.deep._vision import ImageClassifier

    return ImageClassifier(**config, random_state=SEED)


def pixels_of(project, data):
    """The training and hold-out images as ``(n, channels, height, width)`` pixels."""
    from atelier.media import media_items

    images = data.images
    items = media_items(project, images.source)
    train = items.images(list(data.X_train["item"]), images.size, images.channels)
    test = items.images(list(data.X_test["item"]), images.size, images.channels)
    return train, test


def pixels_for(project, data, items: list[str]):
    """The pixels of a few ``items``, for figures."""
    from atelier.media import media_items

    images = data.images
    return media_items(project, images.source).images(items, images.size, images.channels)


def climb(data, X_train, metric, task, max_epochs: int, deadline: float):
    """The steps from a plain CNN; returns the trainer, the kept config and the steps."""
    fit_rows, validation_rows = train_test_split(
        np.arange(len(data.y_train)),
        test_size=VALIDATION_SHARE,
        stratify=data.y_train,
        random_state=SEED,
    )
    trainer = Trainer(
        make_network,
        (X_train[fit_rows], data.y_train[fit_rows]),
        (X_train[validation_rows], data.y_train[validation_rows]),
        metric,
        task,
        deadline=deadline,
    )
    config = BASELINE | {"max_epochs": max_epochs, "patience": PATIENCE}
    model, score = trainer.fit(config)
    steps = [step_row("plain_cnn", {}, score, 0.0, True, model, trainer.seconds)]
    for name, change in STEPS:
        if trainer.time_left() < 1.5 * trainer.last_seconds:
            steps.append({"step": name, "skipped": "time budget"})
            continue
        candidate = config | change
        model, new_score = trainer.fit(candidate)
        delta = better(metric, new_score, score)
        steps.append(step_row(name, change, new_score, delta, delta > 0, model, trainer.seconds))
        if delta > 0:
            config, score = candidate, new_score
    return trainer, config, steps, (len(fit_rows), len(validation_rows))


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


def misclassified(items, truth, proba, classes, top: int = MISCLASSIFIED_SHOWN) -> list[dict]:
    """The hold-out images the network got wrong with the most confidence."""
    predicted = proba.argmax(axis=1)
    truth_codes = np.searchsorted(classes, truth)
    wrong = np.flatnonzero(predicted != truth_codes)
    order = wrong[np.argsort(-proba[wrong, predicted[wrong]], kind="stable")][:top]
    return [
        {
            "item": items[row],
            "actual": str(truth[row]),
            "predicted": str(classes[predicted[row]]),
            "confidence": round(float(proba[row, predicted[row]]), 4),
        }
        for row in order
    ]


def method_of(network, config, rows_fit, rows_validation) -> dict:
    """The training method in numbers, as the dossier explains it."""
    seconds = [row["seconds"] for row in network.history_]
    return {
        "loss": "cross-entropy",
        "loss_key": "cross_entropy",
        "optimiser": "AdamW",
        "learning_rate": config["learning_rate"],
        "schedule": "cosine_epochs",
        "batch_size": network.batch_size,
        "max_epochs": config["max_epochs"],
        "patience": config["patience"],
        "epochs": len(network.history_),
        "best_epoch": network.best_epoch_,
        "stopped_by": network.stopped_by_,
        "dropout": config["dropout"],
        "weight_decay": config["weight_decay"],
        "augmentation": config["augment"],
        "scaling": "pixels",
        "early_stopping_share": network.validation_fraction,
        "validation_share": VALIDATION_SHARE,
        "rows_fit": rows_fit,
        "rows_validation": rows_validation,
        "seed": SEED,
        "device": "cpu",
        "seconds_per_epoch": round(float(np.mean(seconds)), 4) if seconds else None,
        "rows_per_second": round((1 - network.validation_fraction) * rows_fit / np.mean(seconds))
        if seconds
        else None,
    }
