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


def method_record(network, config, ladder, task, rows_fit, rows_validation) -> dict:
    """The training method in numbers, as the dossier explains it."""
    seconds = [row["seconds"] for row in network.history_]
    return {
        "loss": "mean squared error (standardised target)"
        if task == REGRESSION
        else "cross-entropy",
        "loss_key": "mse" if task == REGRESSION else "cross_entropy",
        "optimiser": "AdamW",
        "learning_rate": config["learning_rate"],
        "range_test": ladder.range_test,
        "schedule": config["schedule"],
        "batch_size": min(256, rows_fit),
        "max_epochs": config["max_epochs"],
        "patience": config["patience"],
        "epochs": len(network.history_),
        "best_epoch": network.best_epoch_,
        "stopped_by": network.stopped_by_,
        "dropout": config["dropout"],
        "weight_decay": config["weight_decay"],
        "class_weight": config.get("class_weight"),
        "scaling": config["scaling"],
        "early_stopping_share": network.validation_fraction,
        "validation_share": VALIDATION_SHARE,
        "rows_fit": rows_fit,
        "rows_validation": rows_validation,
        "seed": SEED,
        "device": network.device_,
        "seconds_per_epoch": round(float(np.mean(seconds)), 4) if seconds else None,
        "rows_per_second": round(
            (1 - network.validation_fraction) * (rows_fit + rows_validation) / np.mean(seconds)
        )
        if seconds
        else None,
    }
