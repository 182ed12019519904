"""A convolutional network for images, in plain PyTorch, with a scikit-learn interface.

:class:`ImageClassifier` takes pixels ``(n, channels, height, width)`` in [0, 1]. Each
of its options is one of the improvement steps the deep stage measures: batch
normalisation, dropout, augmentation (random shifts), width. It trains with AdamW
and a cosine schedule, stops early on its own validation rows and keeps the best
epoch's weights. Once frozen it predicts with onnxruntime, so that serving needs
no torch.
"""

import numpy as np
from sklearn.model_selection import train_test_split

from atelier.deep._rates import class_weights, range_test
from atelier.deep._served import PerceptionClassifier, layer_rows


def _build(config: dict, in_channels: int, size: tuple[int, int], n_classes: int):
    """Two (or more) blocks of two 3x3 convolutions and a max-pool, then a small head."""
    from torch import nn

    layers, channels = [], in_channels
    height, width = size
    for out in config["channels"]:
        for _ in range(2):
            layers.append(nn.Conv2d(channels, out, 3, padding=1, bias=not config["batch_norm"]))
            if config["batch_norm"]:
                layers.append(nn.BatchNorm2d(out))
            layers.append(nn.ReLU())
            channels = out
        if min(height, width) >= 4:
            layers.append(nn.MaxPool2d(2))
            height, width = height // 2, width // 2
        if config["dropout"]:
            layers.append(nn.Dropout(config["dropout"]))
    layers += [
        nn.Flatten(),
        nn.Linear(channels * height * width, config["hidden"]),
        nn.ReLU(),
    ]
    if config["dropout"]:
        layers.append(nn.Dropout(2 * config["dropout"]))
    layers.append(nn.Linear(config["hidden"], n_classes))
    return nn.Sequential(*layers)


def _masked(batch, fraction: float, generator):
    """SpecAugment (Park et al., 2019): one band of rows and one of columns set to the mean.

    For spectrograms: a random band of up to ``fraction`` of the mel bands and one of
    up to ``fraction`` of the frames are hidden in each example, independently.
    """
    import torch

    n, _, height, width = batch.shape
    out = batch.clone()
    for size, axis in ((height, 2), (width, 3)):
        span = (torch.rand(n, generator=generator) * fraction * size).long()
        start = (torch.rand(n, generator=generator) * (size - span + 1).float()).long()
        positions = torch.arange(size).view(1, size)
        hidden = (positions >= start.view(n, 1)) & (positions < (start + span).view(n, 1))
        shape = [n, 1, size, 1] if axis == 2 else [n, 1, 1, size]
        out = torch.where(hidden.view(shape), batch.mean(), out)
    return out


def _shifted(batch, fraction: float, generator):
    """Each image moved by up to ``fraction`` of its side, independently (zero padding)."""
    import torch
    from torch.nn import functional

    n = batch.shape[0]
    shifts = (torch.rand(n, 2, generator=generator) * 2 - 1) * 2 * fraction
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0
    theta[:, :, 2] = shifts
    grid = functional.affine_grid(theta, list(batch.shape), align_corners=False)
    return functional.grid_sample(batch, grid, padding_mode="zeros", align_corners=False)


class ImageClassifier(PerceptionClassifier):
    """A convolutional network that classifies images.

    Parameters
    ----------
    channels : tuple of int, default=(32, 64)
        Filters of each convolutional block.
    hidden : int, default=128
        Units of the dense layer before the output.
    batch_norm : bool, default=False
    dropout : float, default=0.0
        After each block (twice as much before the output).
    augment : float, default=0.0
        Random shifts of up to this fraction of the side during training; 0 for none.
    masking : float, default=0.0
        SpecAugment for spectrograms: a band of up to this fraction of the rows and one
        of the columns hidden in each training example; 0 for none.
    learning_rate, weight_decay : float
        AdamW's; the rate follows a cosine schedule over ``max_epochs``.
    batch_size : int, default=128
    max_epochs : int, default=30
    patience : int, default=5
        Epochs without a better validation loss before training stops.
    validation_fraction : float, default=0.1
        Of the rows, held out for early stopping.
    class_weight : {"balanced"} or None
        Weigh each class in the loss inversely to its frequency.
    deadline : float or None
        ``time.monotonic()`` after which no new epoch starts.
    device : {"auto", "cpu"}, default="auto"
        ``auto`` trains on a CUDA GPU when there is one; the fitted network is brought
        back to the CPU, where it predicts and is exported.
    random_state : int, default=0

    Attributes
    ----------
    classes_ : ndarray
    history_ : list of dict
        Per epoch: ``epoch``, ``train_loss``, ``validation_loss``,
        ``validation_score`` (accuracy), ``learning_rate``, ``seconds``.
    best_epoch_ : int
    stopped_by_ : str
        ``early stopping``, ``maximum epochs`` or ``time budget``.
    n_parameters_ : int
    input_shape_ : tuple of int
        ``(channels, height, width)``.
    device_ : str
        Where it trained: ``cpu`` or ``cuda``.
    onnx_ : bytes or None
        The network in ONNX once :meth:`freeze` was called.
    """

    input_name = "pixels"
    schedule = "cosine_epochs"  # the learning rate decays along a cosine over the epochs

    def __init__(
        self,
        channels=(32, 64),
        hidden=128,
        batch_norm=False,
        dropout=0.0,
        augment=0.0,
        masking=0.0,
        learning_rate=1e-3,
        weight_decay=0.0,
        batch_size=128,
        max_epochs=30,
        patience=5,
        validation_fraction=0.1,
        class_weight=None,
        deadline=None,
        device="auto",
        random_state=0,
    ):
        self.channels = channels
        self.hidden = hidden
        self.batch_norm = batch_norm
        self.dropout = dropout
        self.augment = augment
        self.masking = masking
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.class_weight = class_weight
        self.deadline = deadline
        self.device = device
        self.random_state = random_state

    def _config(self) -> dict:
        return {
            "channels": list(self.channels),
            "hidden": self.hidden,
            "batch_norm": self.batch_norm,
            "dropout": self.dropout,
        }

    def fit(self, X, y):
        """Train on pixels ``X`` ``(n, channels, height, width)`` and labels ``y``."""
        import torch
        from torch.nn import functional

        from atelier.learn._networks import device_of

        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 4:
            raise ValueError(f"X: expected (n, channels, height, width) pixels, got {X.shape}")
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        self.input_shape_ = tuple(X.shape[1:])
        torch.manual_seed(self.random_state)
        generator = torch.Generator().manual_seed(self.random_state)
        fit_rows, valid_rows = train_test_split(
            np.arange(len(X)),
            test_size=self.validation_fraction,
            stratify=codes if np.bincount(codes).min() >= 2 else None,
            random_state=self.random_state,
        )
        device = device_of(self.device)
        self.device_ = device.type
        x_fit, y_fit = torch.from_numpy(X[fit_rows]), torch.from_numpy(codes[fit_rows])
        x_valid = torch.from_numpy(X[valid_rows]).to(device)
        y_valid = torch.from_numpy(codes[valid_rows]).to(device)
        network = _build(self._config(), X.shape[1], X.shape[2:], len(self.classes_)).to(device)
        weights = class_weights(codes[fit_rows], len(self.classes_), self.class_weight)
        if weights is not None:
            weights = weights.to(device)
        self.n_parameters_ = sum(p.numel() for p in network.parameters())
        optimiser = torch.optim.AdamW(
            network.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=self.max_epochs)

        def fit_epoch() -> float:
            order = torch.randperm(len(x_fit), generator=generator)
            total = 0.0
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                batch = x_fit[rows]  # augmented on the CPU, where the generator is
                if self.augment:
                    batch = _shifted(batch, self.augment, generator)
                if self.masking:
                    batch = _masked(batch, self.masking, generator)
                outputs = network(batch.to(device))
                loss = functional.cross_entropy(outputs, y_fit[rows].to(device), weight=weights)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += float(loss.detach()) * len(rows)
            return total / len(x_fit)

        self._train(network, optimiser, fit_epoch, x_valid, y_valid, scheduler)
        return self

    def range_test(self, X, y) -> dict:
        """The learning-rate range test of this network on pixels ``X`` and labels ``y``."""
        import torch

        X = np.asarray(X, dtype=np.float32)
        classes, codes = np.unique(np.asarray(y), return_inverse=True)
        torch.manual_seed(self.random_state)
        network = _build(self._config(), X.shape[1], X.shape[2:], len(classes))
        return range_test(
            network,
            torch.from_numpy(X),
            torch.from_numpy(codes),
            batch_size=self.batch_size,
            seed=self.random_state,
        )

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, ``(n, n_classes)``."""
        return self._probabilities(np.asarray(X, dtype=np.float32))

    def layer_table(self) -> list[dict]:
        """One row per layer: name, kind, output shape, activation, parameters."""
        return layer_rows(self.network_, self.input_shape_)

    def freeze(self):
        """Export to ONNX (softmax included); from then on predict with onnxruntime."""
        import torch

        return self._freeze(torch.zeros((2, *self.input_shape_)), {0: "rows"})
