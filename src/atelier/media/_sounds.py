"""Log-mel spectrograms as features: the classical model's first step on sounds."""

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

SEGMENTS = 8  # the spectrogram's time axis is pooled into this many segments


class SoundFeatures(TransformerMixin, BaseEstimator):
    """Hear the recordings a frame names: mean log-mel energy per band and time segment.

    Each recording's spectrogram (see :func:`atelier.media._audio.spectrogram`) is
    pooled into ``SEGMENTS`` equal time segments per mel band, plus each band's
    standard deviation over time: a fixed-length description a linear model reads.
    It learns nothing; ``fit`` only names the features.

    Parameters
    ----------
    root, source : str
        The project folder, and the audio source of its charter.
    sample_rate, n_mels, frames : int
        How the recordings are heard (see :class:`atelier.media.SoundInput`).
    """

    def __init__(self, root: str, source: str, sample_rate=16_000, n_mels=40, frames=100):
        self.root = root
        self.source = source
        self.sample_rate = sample_rate
        self.n_mels = n_mels
        self.frames = frames

    def fit(self, X, y=None):
        self.feature_names_out_ = [
            f"mel_{band}_t{segment}" for band in range(self.n_mels) for segment in range(SEGMENTS)
        ] + [f"mel_{band}_std" for band in range(self.n_mels)]
        return self

    def transform(self, X) -> pd.DataFrame:
        from atelier.media._items import SoundInput, cached_items

        heard = SoundInput(self.source, self.sample_rate, self.n_mels, self.frames)
        spectrograms = cached_items(self.root, self.source).sounds(list(X["item"]), heard)
        return self.frame(spectrograms, index=X.index)

    def frame(self, spectrograms: np.ndarray, index=None) -> pd.DataFrame:
        """Spectrograms ``(n, 1, n_mels, frames)`` as the frame the model takes."""
        mel = spectrograms[:, 0]
        segments = np.array_split(mel, SEGMENTS, axis=2)
        pooled = np.stack([s.mean(axis=2) for s in segments], axis=2).reshape(len(mel), -1)
        features = np.concatenate([pooled, mel.std(axis=2)], axis=1)
        return pd.DataFrame(features, columns=self.feature_names_out_, index=index)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(self.feature_names_out_, dtype=object)
