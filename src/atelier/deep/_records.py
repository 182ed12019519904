"""What the deep stage records of its final network: the curves' diagnosis, the method."""

import numpy as np

from atelier.learn._data import SEED
from atelier.learn._metrics import REGRESSION

VALIDATION_SHARE = 0.2  # of the training rows: scores every improvement step


def diagnose(history: list[dict], best_epoch: int, stopped_by: str) -> dict:
    """Over- or under-fitting, read from the curves.

    - ``overfitting``: after the best epoch the validation loss rose by more than 5%
      while the training loss kept falling;
    - ``underfitting``: training stopped at its maximum (or its budget) with the
      validation loss still at its lowest in the last epochs;
    - ``good_fit`` otherwise.

    Returns
    -------
    dict
        ``kind``, ``best_epoch``, ``epochs``, ``rise`` (relative rise of the validation
        loss after its best epoch), ``gap`` (validation minus training loss at the
        best epoch).
    """
    best = history[best_epoch - 1]
    last = history[-1]
    rise = (last["validation_loss"] - best["validation_loss"]) / max(
        abs(best["validation_loss"]), 1e-12
    )
    train_fell = last["train_loss"] < best["train_loss"]
    if rise > 0.05 and train_fell:
        kind = "overfitting"
    elif stopped_by != "early stopping" and best_epoch >= len(history) - 2:
        kind = "underfitting"
    else:
        kind = "good_fit"
    return {
        "kind": kind,
        "best_epoch": best_epoch,
        "epochs": len(history),
        "rise": round(float(rise), 4),
        "gap": round(float(best["validation_loss"] - best["train_loss"]), 4),
    }


def training_method(network, config, rows_fit, rows_validation, rows_trained) -> dict:
    """What every network's training records: optimiser, epochs, stopping, rows, speed.

    ``rows_trained`` are the rows an epoch goes through (less the network's own
    early-stopping share), which gives the rows per second.
    """
    seconds = [row["seconds"] for row in network.history_]
    per_epoch = (1 - network.validation_fraction) * rows_trained
    return {
        "optimiser": "AdamW",
        "learning_rate": config["learning_rate"],
        "max_epochs": config["max_epochs"],
        "patience": config["patience"],
        "epochs": len(network.history_),
        "best_epoch": network.best_epoch_,
        "stopped_by": network.stopped_by_,
        "dropout": config["dropout"],
        "weight_decay": config["weight_decay"],
        "class_weight": config.get("class_weight"),
        "early_stopping_share": network.validation_fraction,
        "validation_share": VALIDATION_SHARE,
        "rows_fit": rows_fit,
        "rows_validation": rows_validation,
        "seed": SEED,
        "seconds_per_epoch": round(float(np.mean(seconds)), 4) if seconds else None,
        "rows_per_second": round(per_epoch / np.mean(seconds)) if seconds else None,
    }


def method_record(network, config, ladder, task, rows_fit, rows_validation) -> dict:
    """The training method of a network of tables in numbers, as the dossier explains it."""
    regression = task == REGRESSION
    return training_method(
        network, config, rows_fit, rows_validation, rows_fit + rows_validation
    ) | {
        "loss": "mean squared error (standardised target)" if regression else "cross-entropy",
        "loss_key": "mse" if regression else "cross_entropy",
        "range_test": ladder.range_test,
        "schedule": config["schedule"],
        "batch_size": min(256, rows_fit),
        "scaling": config["scaling"],
        "device": network.device_,
    }
