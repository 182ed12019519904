"""The PyTorch side of the neural families: the networks, the training loop, ONNX.

Only :mod:`atelier.learn._neural` imports this module, inside the methods that need
torch, so that atelier imports without it. Inputs arrive prepared: ``x_num`` holds
floats (scaled numbers, missing indicators), ``x_cat`` category codes with 0 for a
missing or unseen value.

Two architectures share one interface, ``forward(x_num, x_cat) -> (rows, k, outputs)``:

- ``mlp``: embeddings of the categories (and, optionally, periodic embeddings of the
  numbers, from ``rtdl_num_embeddings``), then blocks of linear layer, optional batch
  normalisation, activation and dropout (k = 1);
- ``tabm``: TabM (Gorishniy et al., 2025, from the ``tabm`` package), k MLPs that share
  their weights except for cheap per-member scalings (BatchEnsemble), trained
  together; its prediction is the mean of the members'.
"""

import copy
import io
import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh}
ONNX_OPSET = 17


def embedding_size(cardinality: int) -> int:
    """Fastai's rule of thumb for the width of a category's embedding."""
    return int(min(32, round(1.6 * cardinality**0.56)))


class TabularInputs(nn.Module):
    """Numbers (optionally periodic-embedded) and category embeddings, side by side.

    Attributes
    ----------
    widths : list of int
        The width each feature takes in the flat output.
    """

    def __init__(self, n_numeric: int, cardinalities: list[int], numeric_embedding: int):
        super().__init__()
        self.numeric_embedding = None
        self.widths = [1] * n_numeric
        if numeric_embedding and n_numeric:
            from rtdl_num_embeddings import PeriodicEmbeddings

            self.numeric_embedding = PeriodicEmbeddings(
                n_numeric, d_embedding=numeric_embedding, lite=True
            )
            self.widths = [numeric_embedding] * n_numeric
        # index 0 of each table is "missing or unseen"
        self.embeddings = nn.ModuleList(
            nn.Embedding(cardinality + 1, embedding_size(cardinality + 1))
            for cardinality in cardinalities
        )
        self.widths += [e.embedding_dim for e in self.embeddings]

    def forward(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        parts = []
        if x_num.shape[1]:
            numbers = x_num
            if self.numeric_embedding is not None:
                numbers = self.numeric_embedding(x_num).flatten(1)
            parts.append(numbers)
        parts += [embed(x_cat[:, i]) for i, embed in enumerate(self.embeddings)]
        return torch.cat(parts, dim=1)


class TabularMLP(nn.Module):
    """The inputs, then ``layers`` fully connected blocks, then the output layer."""

    def __init__(
        self,
        n_numeric: int,
        cardinalities: list[int],
        n_outputs: int,
        *,
        layers: list[int],
        activation: str,
        dropout: float,
        batch_norm: bool,
        numeric_embedding: int,
    ):
        super().__init__()
        self.inputs = TabularInputs(n_numeric, cardinalities, numeric_embedding)
        width = sum(self.inputs.widths)
        blocks: list[nn.Module] = []
        for units in layers:
            blocks.append(nn.Linear(width, units))
            if batch_norm:
                blocks.append(nn.BatchNorm1d(units))
            blocks.append(ACTIVATIONS[activation]())
            if dropout > 0:
                blocks.append(nn.Dropout(dropout))
            width = units
        self.blocks = nn.Sequential(*blocks)
        self.output = nn.Linear(width, n_outputs)

    def forward(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        return self.output(self.blocks(self.inputs(x_num, x_cat))).unsqueeze(1)


class TabMNetwork(nn.Module):
    """TabM: the inputs, k copies of them, the ``tabm`` package's BatchEnsemble MLP."""

    def __init__(
        self,
        n_numeric: int,
        cardinalities: list[int],
        n_outputs: int,
        *,
        layers: list[int],
        activation: str,
        dropout: float,
        numeric_embedding: int,
        k: int,
    ):
        super().__init__()
        import tabm

        self.inputs = TabularInputs(n_numeric, cardinalities, numeric_embedding)
        self.ensemble_view = tabm.EnsembleView(k=k)
        self.backbone = tabm.make_tabm_backbone(
            d_in=sum(self.inputs.widths),
            n_blocks=len(layers),
            d_block=layers[0],
            dropout=dropout,
            activation={"relu": "ReLU", "gelu": "GELU", "silu": "SiLU", "tanh": "Tanh"}[activation],
            k=k,
            arch_type="tabm",
            start_scaling_init="normal" if numeric_embedding else "random-signs",
            start_scaling_init_chunks=self.inputs.widths,
        )
        self.output = tabm.LinearEnsemble(layers[0], n_outputs, k=k)

    def forward(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        return self.output(self.backbone(self.ensemble_view(self.inputs(x_num, x_cat))))


def build_network(config: dict, n_numeric: int, cardinalities: list[int], n_outputs: int):
    """The untrained network that ``config`` describes (see ``NeuralClassifier``)."""
    common = {
        "layers": list(config["layers"]),
        "activation": config["activation"],
        "dropout": config["dropout"],
        "numeric_embedding": config["numeric_embedding"],
    }
    if config["architecture"] == "tabm":
        return TabMNetwork(n_numeric, cardinalities, n_outputs, k=config["k"], **common)
    return TabularMLP(
        n_numeric, cardinalities, n_outputs, batch_norm=config["batch_norm"], **common
    )


class Predictor(nn.Module):
    """What is served: the members' mean probability (classes) or value (regression)."""

    def __init__(self, network: nn.Module, classification: bool):
        super().__init__()
        self.network = network
        self.classification = classification

    def forward(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        out = self.network(x_num, x_cat)
        if self.classification:
            return torch.softmax(out, dim=-1).mean(dim=1)
        return out.mean(dim=1)


@dataclass
class Fitted:
    """A trained network and the record of its training."""

    network: nn.Module
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    stopped_by: str = ""


def _loss_function(classification: bool, class_weights):
    if classification:
        weight = None if class_weights is None else torch.as_tensor(class_weights).float()
        return nn.CrossEntropyLoss(weight=weight)
    return nn.MSELoss()


def _members_loss(loss, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The mean loss of the k members, each scored on every row (TabM's recipe)."""
    k = out.shape[1]
    return loss(out.flatten(0, 1), target.repeat_interleave(k))


def _schedule(optimizer, kind: str, total_steps: int):
    warmup = max(1, int(0.05 * total_steps))

    def factor(step: int) -> float:
        if kind == "constant":
            return 1.0
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
        return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _tensors(x_num: np.ndarray, x_cat: np.ndarray, device):
    return (
        torch.as_tensor(x_num, dtype=torch.float32, device=device),
        torch.as_tensor(x_cat, dtype=torch.long, device=device),
    )


def device_of(preference: str) -> torch.device:
    """CUDA when asked for (``auto``) and present, otherwise the CPU."""
    if preference == "auto" and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def train_network(
    network: nn.Module,
    train: tuple[np.ndarray, np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    classification: bool,
    config: dict,
    seed: int,
    deadline: float | None,
    score,
) -> Fitted:
    """Train ``network`` with AdamW, keep the weights of its best validation epoch.

    Parameters
    ----------
    network : nn.Module
    train, validation : tuple of arrays
        ``(x_num, x_cat, y)``; ``y`` holds class codes or standardised values.
    classification : bool
    config : dict
        ``learning_rate``, ``weight_decay``, ``batch_size``, ``max_epochs``,
        ``patience``, ``schedule`` (``constant`` or ``cosine``), ``class_weights``,
        ``device``.
    seed : int
        Seeds the batches' order.
    deadline : float or None
        ``time.monotonic()`` value after which no new epoch starts.
    score : callable
        ``score(y_true, predictions) -> float`` (greater is better) for the history.

    Returns
    -------
    Fitted
        The network with its best weights restored, and one history row per epoch
        (``epoch``, ``train_loss``, ``validation_loss``, ``validation_score``,
        ``learning_rate``, ``seconds``).
    """
    device = device_of(config["device"])
    network = network.to(device)
    loss = _loss_function(classification, config.get("class_weights")).to(device)
    decay = [p for p in network.parameters() if p.ndim > 1]
    no_decay = [p for p in network.parameters() if p.ndim <= 1]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": config["weight_decay"]},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=config["learning_rate"],
    )
    rows = len(train[2])
    batch_size = min(config["batch_size"], rows)
    batches = max(1, rows // batch_size)  # the last partial batch is dropped (batch norm)
    scheduler = _schedule(optimizer, config["schedule"], batches * config["max_epochs"])
    x_num, x_cat = _tensors(train[0], train[1], device)
    y = torch.as_tensor(train[2], dtype=torch.long if classification else torch.float32)
    y = y.to(device)
    v_num, v_cat = _tensors(validation[0], validation[1], device)
    v_y = torch.as_tensor(validation[2], dtype=y.dtype, device=device)
    if not classification:
        y, v_y = y.unsqueeze(1), v_y.unsqueeze(1)
    generator = torch.Generator().manual_seed(seed)
    amp = device.type == "cuda"
    fitted = Fitted(network)
    best_loss, best_state, waited = math.inf, None, 0
    for epoch in range(1, config["max_epochs"] + 1):
        if deadline is not None and epoch > 1 and time.monotonic() > deadline:
            fitted.stopped_by = "time budget"
            break
        started = time.monotonic()
        network.train()
        order = torch.randperm(rows, generator=generator).to(device)
        total = 0.0
        learning_rate = optimizer.param_groups[0]["lr"]
        for batch in range(batches):
            index = order[batch * batch_size : (batch + 1) * batch_size]
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                out = network(x_num[index], x_cat[index])
            if classification:
                batch_loss = _members_loss(loss, out.float(), y[index])
            else:
                batch_loss = loss(out.float(), y[index].unsqueeze(1).expand_as(out))
            batch_loss.backward()
            optimizer.step()
            scheduler.step()
            total += float(batch_loss.detach())
        validation_loss, predictions = _evaluate(network, loss, v_num, v_cat, v_y, classification)
        fitted.history.append(
            {
                "epoch": epoch,
                "train_loss": total / batches,
                "validation_loss": validation_loss,
                "validation_score": float(score(validation[2], predictions)),
                "learning_rate": learning_rate,
                "seconds": time.monotonic() - started,
            }
        )
        if validation_loss < best_loss - 1e-6:
            best_loss, waited, fitted.best_epoch = validation_loss, 0, epoch
            best_state = copy.deepcopy(network.state_dict())
        else:
            waited += 1
            if waited >= config["patience"]:
                fitted.stopped_by = "early stopping"
                break
    else:
        fitted.stopped_by = "maximum epochs"
    if best_state is not None:
        network.load_state_dict(best_state)
    network.eval()
    fitted.network = network.cpu()
    return fitted


@torch.no_grad()
def _evaluate(network, loss, x_num, x_cat, y, classification):
    network.eval()
    out = network(x_num, x_cat).float()
    if classification:
        value = _members_loss(loss, out, y)
        predictions = torch.softmax(out, dim=-1).mean(dim=1)
    else:
        value = loss(out, y.unsqueeze(1).expand_as(out))
        predictions = out.mean(dim=1)[:, 0]
    return float(value), predictions.cpu().numpy()


@torch.no_grad()
def predict(predictor: nn.Module, x_num: np.ndarray, x_cat: np.ndarray) -> np.ndarray:
    """The predictor's outputs as float64, in batches."""
    predictor.eval()
    parts = []
    for start in range(0, len(x_num), 8192):
        out = predictor(*_tensors(x_num[start : start + 8192], x_cat[start : start + 8192], "cpu"))
        parts.append(out.numpy())
    return np.concatenate(parts).astype(np.float64)


def sweep_learning_rates(
    network: nn.Module,
    batch_loss,
    n_rows: int,
    *,
    batch_size: int,
    seed: int,
    steps: int = 100,
    low: float = 1e-5,
    high: float = 1.0,
) -> dict:
    """Smith's learning-rate range test: the loss as the rate grows exponentially.

    One batch of ``batch_size`` random rows per step, the rate from ``low`` to
    ``high``; the sweep stops once the smoothed loss diverges. The chosen rate is a
    tenth of the one at which the smoothed loss was lowest, where it still falls
    steadily.

    Parameters
    ----------
    network : torch.nn.Module
        Trained in place (give a copy or a fresh network).
    batch_loss : callable
        ``batch_loss(index)``: the loss of the network on the rows ``index`` (a tensor).
    n_rows : int
        Rows to draw the batches from.

    Returns
    -------
    dict
        ``learning_rates``, ``losses`` (smoothed, debiased) and ``chosen``.
    """
    torch.manual_seed(seed)
    network.train()
    optimizer = torch.optim.AdamW(network.parameters(), lr=low, weight_decay=0.0)
    generator = torch.Generator().manual_seed(seed)
    size = min(batch_size, n_rows)
    ratio = (high / low) ** (1 / (steps - 1))
    rates, losses, smoothed, best = [], [], 0.0, math.inf
    for step in range(steps):
        rate = low * ratio**step
        for group in optimizer.param_groups:
            group["lr"] = rate
        index = torch.randint(n_rows, (size,), generator=generator)
        optimizer.zero_grad()
        value = batch_loss(index)
        value.backward()
        optimizer.step()
        smoothed = 0.9 * smoothed + 0.1 * value.item()
        debiased = smoothed / (1 - 0.9 ** (step + 1))
        if not math.isfinite(debiased) or debiased > 4 * best:
            break  # diverged: higher rates only get worse
        best = min(best, debiased)
        rates.append(rate)
        losses.append(debiased)
    lowest = int(np.argmin(losses))
    return {"learning_rates": rates, "losses": losses, "chosen": rates[lowest] / 10}


def lr_range_test(
    network: nn.Module,
    train: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    classification: bool,
    config: dict,
    seed: int,
) -> dict:
    """The learning-rate range test (:func:`sweep_learning_rates`) of a network of tables.

    Returns
    -------
    dict
        ``learning_rates``, ``losses`` (smoothed) and ``chosen``.
    """
    network = copy.deepcopy(network)
    loss = _loss_function(classification, config.get("class_weights"))
    x_num, x_cat = _tensors(train[0], train[1], "cpu")
    y = torch.as_tensor(train[2], dtype=torch.long if classification else torch.float32)

    def batch_loss(index):
        out = network(x_num[index], x_cat[index])
        if classification:
            return _members_loss(loss, out, y[index])
        return loss(out, y[index].view(-1, 1, 1).expand_as(out))

    return sweep_learning_rates(
        network, batch_loss, len(y), batch_size=config["batch_size"], seed=seed
    )


def architecture_table(predictor: Predictor, n_numeric: int, n_categories: int) -> list[dict]:
    """One row per layer: its name, kind, output shape, units, activation, parameters.

    The shapes are those seen on a forward pass of two rows (so the batch dimension
    shows as ``batch``).
    """
    rows: list[dict] = []
    hooks = []
    leaves = [
        (name, module)
        for name, module in predictor.network.named_modules()
        if name and (not list(module.children()) or _is_layer(module))
    ]
    leaf_names = {name for name, _ in leaves}
    leaves = [
        (name, module)
        for name, module in leaves
        if not any(name.startswith(f"{other}.") for other in leaf_names if other != name)
    ]

    def record(name, module):
        def hook(_module, _inputs, output):
            shape = list(output.shape) if isinstance(output, torch.Tensor) else []
            rows.append(
                {
                    "layer": name,
                    "kind": type(module).__name__,
                    "output_shape": ["batch", *shape[1:]] if shape else [],
                    "units": _units(module),
                    "activation": _activation(module),
                    "parameters": sum(p.numel() for p in module.parameters()),
                }
            )

        return hook

    for name, module in leaves:
        hooks.append(module.register_forward_hook(record(name, module)))
    try:
        predict(predictor, np.zeros((2, n_numeric)), np.zeros((2, n_categories), dtype=np.int64))
    finally:
        for hook in hooks:
            hook.remove()
    return rows


def _is_layer(module: nn.Module) -> bool:
    """Modules shown as one row though they hold parameters of sub-modules."""
    return type(module).__name__ in {"TabularInputs", "LinearBatchEnsemble"}


def _units(module: nn.Module) -> int | None:
    if isinstance(module, TabularInputs):
        return sum(module.widths)
    for attribute in ("out_features", "embedding_dim", "num_features"):
        if hasattr(module, attribute):
            return int(getattr(module, attribute))
    weight = getattr(module, "weight", None)
    if isinstance(weight, torch.Tensor) and weight.ndim >= 2:
        return int(weight.shape[-1])
    return None


def _activation(module: nn.Module) -> str | None:
    name = type(module).__name__
    return name if name in {"ReLU", "GELU", "SiLU", "Tanh", "Softmax"} else None


def to_onnx(predictor: Predictor, n_numeric: int, n_categories: int) -> bytes:
    """The predictor as an ONNX model with a dynamic number of rows."""
    predictor = predictor.eval()
    example = _tensors(np.zeros((2, n_numeric)), np.zeros((2, n_categories)), "cpu")
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # torch announces the TorchScript exporter's deprecation; its output is what
        # onnxruntime runs, and the stage checks it against torch's predictions
        warnings.simplefilter("ignore")
        torch.onnx.export(
            predictor,
            example,
            buffer,
            input_names=["numbers", "categories"],
            output_names=["output"],
            dynamic_axes={"numbers": {0: "rows"}, "categories": {0: "rows"}, "output": {0: "rows"}},
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    return buffer.getvalue()
