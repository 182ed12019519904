"""The deep stage on sounds: a CNN that reads log-mel spectrograms, one step at a time.

A recording becomes a spectrogram (40 mel bands, frames of 10 ms), which the image
network reads as a one-channel image. From a plain CNN, the steps are batch
normalisation, the learning-rate range test, dropout, SpecAugment (bands of
frequencies and of time hidden) and wider filters, each kept only if it scores
better on validation rows. Its errors are the most confused pairs of labels and the
recordings it got most confidently wrong, drawn as spectrograms.
"""

import numpy as np

from atelier.deep._images import Images
from atelier.deep._perception import Modality, most_confident_errors

MISCLASSIFIED_SHOWN = 12


class Sounds(Modality):
    """Recordings as the deep stage reads, improves, explains and serves them."""

    kind, title = "audio_cnn", "CNN (log-mel)"
    # narrower than for images: a spectrogram has four times a garment's pixels
    baseline = Images.baseline | {"channels": [16, 32], "masking": 0.0}
    first_step = "plain_sound_cnn"
    steps = (
        ("batch_norm", {"batch_norm": True}),
        ("range_test", {}),
        ("cnn_dropout", {"dropout": 0.25}),
        ("spec_augment", {"masking": 0.15}),
        ("wider_sound_cnn", {"channels": [32, 64], "hidden": 256}),
    )

    def network(self, config: dict):
        from atelier.deep._vision import ImageClassifier

        return ImageClassifier(**config, random_state=self.seed)

    def inputs(self, project, data):
        return (
            self._heard(project, data, list(data.X_train["item"])),
            self._heard(project, data, list(data.X_test["item"])),
        )

    def errors(self, project, data, network, proba) -> dict:
        shown = most_confident_errors(data.y_test, proba, network.classes_, MISCLASSIFIED_SHOWN)
        items = list(data.X_test["item"])
        return {"misclassified": [{"item": items[row.pop("row")], **row} for row in shown]}

    def described_inputs(self, data, network) -> dict:
        heard = data.sounds
        return {
            "sounds": True,
            "sample_rate": heard.sample_rate,
            "n_mels": heard.n_mels,
            "frames": heard.frames,
        }

    def card_input(self, data) -> dict:
        from atelier.media import sound_card_input

        return sound_card_input(data.sounds)

    def figures(self, project, data, errors, folder, say) -> dict:
        from atelier.deep import _figures

        shown = errors["misclassified"]
        if not shown:
            return {}
        spectrograms = self._heard(project, data, [row["item"] for row in shown])
        return {
            "misclassified": _figures.draw_misclassified(
                spectrograms, shown, folder / "misclassified.png", say, spectrograms=True
            )
        }

    def method_extras(self, config: dict) -> dict:
        return {"augmentation": config["masking"], "scaling": "log_mel"}

    @staticmethod
    def _heard(project, data, items: list[str]) -> np.ndarray:
        from atelier.media import media_items

        return media_items(project, data.sounds.source).sounds(items, data.sounds)
