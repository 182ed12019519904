"""Pixels as features: the transformer that turns a column of image items into pixels."""

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin


class ImagePixels(TransformerMixin, BaseEstimator):
    """Decode the images a frame names into one column per pixel.

    The first step of a classical model on images: the frame holds an ``item``
    column (ingest's name of each image) and the transformer reads the images from
    the project's source. It learns nothing; ``fit`` only checks the source.

    Parameters
    ----------
    root : str
        The project folder.
    source : str
        The images source of the charter.
    size : tuple of int
        ``(width, height)`` the images are resized to.
    channels : int
        1 (grey levels) or 3 (colour).

    Attributes
    ----------
    feature_names_out_ : list of str
        ``pixel_<channel>_<row>_<column>``.
    """

    def __init__(self, root: str, source: str, size: tuple = (28, 28), channels: int = 1):
        self.root = root
        self.source = source
        self.size = size
        self.channels = channels

    def fit(self, X, y=None):
        width, height = self.size
        self.feature_names_out_ = [
            f"pixel_{c}_{r}_{k}"
            for c in range(self.channels)
            for r in range(height)
            for k in range(width)
        ]
        return self

    def transform(self, X) -> pd.DataFrame:
        from atelier.media._items import cached_items

        items = cached_items(self.root, self.source)
        pixels = items.images(list(X["item"]), tuple(self.size), self.channels)
        return self.frame(pixels, index=X.index)

    def frame(self, pixels: np.ndarray, index=None) -> pd.DataFrame:
        """Pixels ``(n, channels, height, width)`` as the frame the model takes."""
        flat = pixels.reshape(len(pixels), -1)
        return pd.DataFrame(flat, columns=self.feature_names_out_, index=index)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(self.feature_names_out_, dtype=object)
