"""Smith's learning-rate range test for the networks of images and texts."""

import math

import numpy as np


def range_test(
    network,
    inputs,
    targets,
    *,
    batch_size: int,
    seed: int,
    steps: int = 100,
    low: float = 1e-5,
    high: float = 1.0,
) -> dict:
    """The loss as the learning rate grows exponentially, batch after batch.

    The chosen rate is a tenth of the one at which the smoothed loss was lowest,
    where it still falls steadily (as :func:`atelier.learn._networks.lr_range_test`
    does for the networks of tables).

    Parameters
    ----------
    network : torch.nn.Module
        A freshly built network (it is trained in place, then thrown away).
    inputs, targets : torch.Tensor
        The fitting rows: inputs (pixels or token ids) and class codes.
    batch_size, seed, steps, low, high
        The batches, their seed, and the rates tried (``low`` to ``high``).

    Returns
    -------
    dict
        ``learning_rates``, ``losses`` (smoothed, debiased) and ``chosen``.
    """
    import torch
    from torch.nn import functional

    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    network.train()
    optimiser = torch.optim.AdamW(network.parameters(), lr=low, weight_decay=0.0)
    ratio = (high / low) ** (1 / (steps - 1))
    size = min(batch_size, len(targets))
    rates, losses, smoothed, best = [], [], 0.0, math.inf
    for step in range(steps):
        rate = low * ratio**step
        for group in optimiser.param_groups:
            group["lr"] = rate
        index = torch.randint(len(targets), (size,), generator=generator)
        optimiser.zero_grad()
        value = functional.cross_entropy(network(inputs[index]), targets[index])
        value.backward()
        optimiser.step()
        smoothed = 0.9 * smoothed + 0.1 * value.item()
        debiased = smoothed / (1 - 0.9 ** (step + 1))
        if not math.isfinite(debiased) or debiased > 4 * best:
            break  # diverged: higher rates only get worse
        best = min(best, debiased)
        rates.append(rate)
        losses.append(debiased)
    lowest = int(np.argmin(losses))
    return {"learning_rates": rates, "losses": losses, "chosen": rates[lowest] / 10}


def class_weights(codes: np.ndarray, n_classes: int, how) -> "torch.Tensor | None":  # noqa: F821
    """The cross-entropy's class weights: None, or ``balanced`` (n / (k * count))."""
    if how is None:
        return None
    import torch

    counts = np.bincount(codes, minlength=n_classes).astype(np.float64)
    weights = len(codes) / (n_classes * np.maximum(counts, 1))
    return torch.as_tensor(weights, dtype=torch.float32)
