"""Perception benchmark, images: Fashion-MNIST's official split, on CPU.

Fashion-MNIST (Debian's ``dataset-fashion-mnist``): the 60,000 training images and
the 10,000 test images of its official split. Anchors, measured here on the same
split: scikit-learn's logistic regression on all the pixels, and an RBF support-vector
machine (C = 10, the setting of Zalando's benchmark) on a stratified sample of the
training images (``--svm-rows``; on all 60,000 it takes hours on 2 cores). Ours:
atelier's image network (``atelier.deep._vision.ImageClassifier``) as the deep stage
starts it (a plain CNN), then with the steps it keeps on this data (batch
normalisation, dropout, random shifts), each trained for at most ``--epochs`` epochs
with early stopping on 10% of the training images. The table also gives the figures
that Fashion-MNIST's README lists for comparable networks, and the seconds per epoch.

Usage: ``python bench/perception.py [--epochs 15] [--svm-rows 10000]``
"""

import argparse
import json
import os
import platform
import time

import numpy as np

from atelier.deep._images import Images
from atelier.deep._vision import ImageClassifier
from atelier.demo._images import fashion_mnist

# Fashion-MNIST's README, "Benchmark" table (submitted, not re-run by Zalando)
PUBLISHED = {
    "2 Conv+pooling (TensorFlow's tutorial)": 0.916,
    "2 Conv+pooling+BN": 0.934,
    "2 Conv+3 FC, augmentation and batch normalisation": 0.934,
}
IMPROVED = {"batch_norm": True, "dropout": 0.25, "augment": 0.1}


def _scaled(pixels: np.ndarray) -> np.ndarray:
    return (pixels.astype(np.float32) / 255.0)[:, None]


def anchors(train, test, svm_rows: int) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.svm import SVC

    (X, y), (X_test, y_test) = train, test
    flat, flat_test = X.reshape(len(X), -1), X_test.reshape(len(X_test), -1)
    results = {}
    started = time.perf_counter()
    linear = LogisticRegression(max_iter=300).fit(flat, y)
    results["logistic regression (all pixels, 60,000 images)"] = {
        "accuracy": float(np.mean(linear.predict(flat_test) == y_test)),
        "seconds": round(time.perf_counter() - started, 1),
    }
    rows, _ = train_test_split(np.arange(len(y)), train_size=svm_rows, stratify=y, random_state=0)
    started = time.perf_counter()
    svm = SVC(C=10, kernel="rbf").fit(flat[rows], y[rows])
    results[f"SVM, RBF, C=10 ({svm_rows:,} images)"] = {
        "accuracy": float(np.mean(svm.predict(flat_test) == y_test)),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return results


def network(train, test, config: dict, epochs: int) -> dict:
    (X, y), (X_test, y_test) = train, test
    started = time.perf_counter()
    model = ImageClassifier(
        **(Images.baseline | config), max_epochs=epochs, patience=5, random_state=0
    ).fit(X, y)
    seconds = time.perf_counter() - started
    per_epoch = [row["seconds"] for row in model.history_]
    return {
        "accuracy": float(np.mean(model.predict(X_test) == y_test)),
        "epochs": len(model.history_),
        "best_epoch": model.best_epoch_,
        "seconds": round(seconds, 1),
        "seconds_per_epoch": round(float(np.mean(per_epoch)), 1),
        "parameters": model.n_parameters_,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--svm-rows", type=int, default=10_000)
    parser.add_argument("--out", default="bench/results/perception.json")
    args = parser.parse_args()
    import torch

    pixels, labels = fashion_mnist("train")
    test_pixels, test_labels = fashion_mnist("test")
    train, test = (_scaled(pixels), labels), (_scaled(test_pixels), test_labels)
    results = {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "device": "cpu",
        },
        "anchors": anchors(train, test, args.svm_rows),
        "ours": {
            "plain CNN (the deep stage's first network)": network(train, test, {}, args.epochs),
            "CNN + batch norm + dropout + shifts": network(train, test, IMPROVED, args.epochs),
        },
        "published": PUBLISHED,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as stream:
        json.dump(results, stream, indent=1)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
