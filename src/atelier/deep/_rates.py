"""The networks of images, sounds and texts: their learning-rate range test, class weights."""

import numpy as np


def range_test(network, inputs, targets, *, batch_size: int, seed: int) -> dict:
    """The learning-rate range test of a network of images, sounds or texts.

    :func:`atelier.learn._networks.sweep_learning_rates` with the cross-entropy, as for
    the networks of tables.

    Parameters
    ----------
    network : torch.nn.Module
        A freshly built network (it is trained in place, then thrown away).
    inputs, targets : torch.Tensor
        The fitting rows: inputs (pixels, spectrograms or token ids) and class codes.
    batch_size, seed : int

    Returns
    -------
    dict
        ``learning_rates``, ``losses`` (smoothed, debiased) and ``chosen``.
    """
    from torch.nn import functional

    from atelier.learn._networks import sweep_learning_rates

    def batch_loss(index):
        return functional.cross_entropy(network(inputs[index]), targets[index])

    return sweep_learning_rates(network, batch_loss, len(targets), batch_size=batch_size, seed=seed)


def class_weights(codes: np.ndarray, n_classes: int, how) -> "torch.Tensor | None":  # noqa: F821
    """The cross-entropy's class weights: None, or ``balanced`` (n / (k * count))."""
    if how is None:
        return None
    import torch

    counts = np.bincount(codes, minlength=n_classes).astype(np.float64)
    weights = len(codes) / (n_classes * np.maximum(counts, 1))
    return torch.as_tensor(weights, dtype=torch.float32)
