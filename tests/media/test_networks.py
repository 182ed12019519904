"""The image network on scikit-learn's digits: training, ONNX, the deep stage and the API."""

import numpy as np
import pytest

pytest.importorskip("torch")


def _digits():
    from sklearn.datasets import load_digits

    digits = load_digits()
    return (digits.images / 16).astype(np.float32)[:, None], digits.target


def test_batch_normalisation_beats_the_plain_network_and_onnx_agrees():
    from atelier.deep._vision import ImageClassifier

    X, y = _digits()
    train, test = np.arange(1200), np.arange(1200, 1797)
    plain = ImageClassifier(max_epochs=6).fit(X[train], y[train])
    normed = ImageClassifier(max_epochs=6, batch_norm=True).fit(X[train], y[train])
    accuracy = [np.mean(m.predict(X[test]) == y[test]) for m in (plain, normed)]
    assert accuracy[1] > accuracy[0]
    assert accuracy[1] > 0.9
    reference = normed.predict_proba(X[test])
    normed.freeze()
    assert np.max(np.abs(normed.predict_proba(X[test]) - reference)) < 1e-4
    assert len(normed.history_) <= 6 and normed.best_epoch_ >= 1


def test_shifts_move_each_image_and_keep_its_shape():
    import torch

    from atelier.deep._vision import _shifted

    batch = torch.zeros((4, 1, 8, 8))
    batch[:, :, 3:5, 3:5] = 1.0
    moved = _shifted(batch, 0.25, torch.Generator().manual_seed(0))
    assert moved.shape == batch.shape
    assert not torch.allclose(moved, batch)
    assert not torch.allclose(moved[0], moved[1])  # each image its own shift
