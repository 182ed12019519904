"""The deep stage on images: a convolutional network, improved one measured step at a time.

From a plain CNN, each step adds one thing (batch normalisation, dropout,
augmentation by random shifts, wider filters), is trained on the fitting rows,
scored on the validation rows, and kept only if it scores better. Its errors are
read as the most confused pairs of labels and the images it got most confidently
wrong (see :mod:`atelier.deep._perception` for what images and texts share).
"""

import numpy as np

from atelier.deep._perception import Modality, most_confident_errors

MISCLASSIFIED_SHOWN = 16


class Images(Modality):
    """Images as the deep stage reads, improves, explains and serves them."""

    kind, title = "cnn", "CNN"
    baseline = {  # noqa: RUF012 -- read-only class data
        "channels": [32, 64],
        "hidden": 128,
        "batch_norm": False,
        "dropout": 0.0,
        "augment": 0.0,
        "learning_rate": 1e-3,
        "weight_decay": 1e-4,
    }
    first_step = "plain_cnn"
    steps = (  # batch normalisation first: it speeds up every later step's training
        ("batch_norm", {"batch_norm": True}),
        ("range_test", {}),
        ("cnn_dropout", {"dropout": 0.25}),
        ("augmentation", {"augment": 0.1}),
        ("wider_cnn", {"channels": [64, 128], "hidden": 256}),
    )

    def network(self, config: dict):
        from atelier.deep._vision import ImageClassifier

        return ImageClassifier(**config, random_state=self.seed)

    def inputs(self, project, data):
        return self._pixels(project, data, list(data.X_train["item"])), self._pixels(
            project, data, list(data.X_test["item"])
        )

    def errors(self, project, data, network, proba) -> dict:
        shown = most_confident_errors(data.y_test, proba, network.classes_, MISCLASSIFIED_SHOWN)
        items = list(data.X_test["item"])
        return {
            "misclassified": [{"item": items[row.pop("row")], **row} for row in shown],
        }

    def described_inputs(self, data, network) -> dict:
        images = data.images
        return {
            "images": True,
            "width": images.size[0],
            "height": images.size[1],
            "channels": images.channels,
        }

    def card_input(self, data) -> dict:
        images = data.images
        return {"kind": "image", "size": list(images.size), "channels": images.channels}

    def figures(self, project, data, errors, folder, say) -> dict:
        from atelier.deep import _figures

        shown = errors["misclassified"]
        if not shown:
            return {}
        pixels = self._pixels(project, data, [row["item"] for row in shown])
        return {
            "misclassified": _figures.draw_misclassified(
                pixels, shown, folder / "misclassified.png", say
            )
        }

    def method_extras(self, config: dict) -> dict:
        return {"augmentation": config["augment"], "scaling": "pixels"}

    @staticmethod
    def _pixels(project, data, items: list[str]) -> np.ndarray:
        from atelier.media import media_items

        images = data.images
        return media_items(project, images.source).images(items, images.size, images.channels)
