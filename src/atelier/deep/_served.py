"""What the networks of images, sounds and texts share: training with early stopping, ONNX."""

import io
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

ONNX_OPSET = 17
VALIDATION_BATCH = 512


class OnnxRuntime:
    """Run a frozen network (``onnx_``) with onnxruntime, and pickle it without torch."""

    input_name = "inputs"  # the ONNX input

    def _export(self, model, example, output_name: str, dynamic_axes: dict):
        """Export ``model`` to ``onnx_``; run with onnxruntime from now on.

        ``dynamic_axes`` names the input's axes that vary (the rows at least); the
        output's first axis is the rows.
        """
        import torch

        buffer = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
            torch.onnx.export(
                model,
                (example,),
                buffer,
                input_names=[self.input_name],
                output_names=[output_name],
                dynamic_axes={self.input_name: dynamic_axes, output_name: {0: "rows"}},
                opset_version=ONNX_OPSET,
                dynamo=False,
            )
        self.onnx_ = buffer.getvalue()
        self.__dict__.pop("_runtime", None)
        return self

    def _session(self):
        session = self.__dict__.get("_runtime")
        if session is None:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            session = onnxruntime.InferenceSession(
                self.onnx_, options, providers=["CPUExecutionProvider"]
            )
            self._runtime = session
        return session

    def __getstate__(self):
        # a copy: Python's default state is the live __dict__, which pickling must not empty
        state = dict(super().__getstate__())
        state.pop("_runtime", None)
        if state.get("onnx_") is not None:
            state.pop("network_", None)  # the ONNX model holds the weights: no torch needed
        return state


def run_epochs(estimator, network, optimiser, fit_epoch, validate, scheduler=None) -> None:
    """Train epoch by epoch with early stopping; keep the best epoch's weights.

    Sets the estimator's ``history_``, ``best_epoch_``, ``stopped_by_``, ``network_``
    (the best epoch's, in eval mode) and ``onnx_`` (None: not frozen yet). Reads its
    ``max_epochs``, ``patience`` and ``deadline`` (``time.monotonic()`` after which no
    new epoch starts; absent or None for none).

    Parameters
    ----------
    fit_epoch : callable
        Trains one epoch; returns its mean training loss.
    validate : callable
        ``validate() -> (loss, scores)``: the validation loss, which early stopping
        watches, and what else the epoch's row records.
    scheduler : torch scheduler or None
        Stepped after each epoch.
    """
    estimator.history_, best, best_state, waited = [], np.inf, None, 0
    estimator.stopped_by_ = "maximum epochs"
    deadline = getattr(estimator, "deadline", None)
    for epoch in range(1, estimator.max_epochs + 1):
        if deadline is not None and epoch > 1 and time.monotonic() > deadline:
            estimator.stopped_by_ = "time budget"
            break
        started = time.monotonic()
        network.train()
        train_loss = fit_epoch()
        rate = optimiser.param_groups[0]["lr"]
        if scheduler is not None:
            scheduler.step()
        network.eval()
        valid_loss, scores = validate()
        estimator.history_.append(
            {"epoch": epoch, "train_loss": train_loss, "validation_loss": valid_loss}
            | scores
            | {"learning_rate": rate, "seconds": round(time.monotonic() - started, 4)}
        )
        if valid_loss < best - 1e-4:
            best, waited, estimator.best_epoch_ = valid_loss, 0, epoch
            best_state = {k: v.detach().clone() for k, v in network.state_dict().items()}
        else:
            waited += 1
            if waited >= estimator.patience:
                estimator.stopped_by_ = "early stopping"
                break
    network.load_state_dict(best_state)
    estimator.network_ = network.eval()
    estimator.onnx_ = None


def layer_rows(network, input_shape: tuple) -> list[dict]:
    """One row per layer of ``network``: name, kind, output shape, activation, parameters.

    The rows come from one forward pass on two zero inputs of ``input_shape``; the
    layers of a ``Sequential`` block are listed one by one, and a layer that returns a
    tuple (a GRU: its outputs and its state) is described by its first output.
    """
    import torch
    from torch import nn

    rows, hooks = [], []

    def watch(prefix: str, parent) -> None:
        for name, module in parent.named_children():
            if isinstance(module, nn.Sequential):
                watch(f"{prefix}{name}.", module)
                continue

            def record(_module, _inputs, output, name=f"{prefix}{name}", module=module):
                first = output[0] if isinstance(output, tuple) else output
                kind = type(module).__name__
                rows.append(
                    {
                        "layer": name,
                        "kind": kind,
                        "output_shape": ["batch", *list(first.shape)[1:]],
                        "units": getattr(module, "out_channels", None)
                        or getattr(module, "out_features", None)
                        or getattr(module, "hidden_size", None),
                        "activation": "ReLU" if kind == "ReLU" else None,
                        "parameters": sum(p.numel() for p in module.parameters()),
                    }
                )

            hooks.append(module.register_forward_hook(record))

    watch("", network)
    try:
        with torch.no_grad():
            network(torch.zeros((2, *input_shape)))
    finally:
        for hook in hooks:
            hook.remove()
    return rows


class PerceptionClassifier(OnnxRuntime, ClassifierMixin, BaseEstimator):
    """The shared half of :class:`ImageClassifier` and :class:`TextClassifier`.

    Subclasses build the network and its inputs; this class trains it epoch by epoch
    with early stopping on the validation rows (keeping the best epoch's weights),
    exports it to ONNX with a softmax, and predicts with onnxruntime once frozen, so
    that a pickled, frozen network serves without torch.
    """

    schedule = "constant"  # the learning rate over the epochs

    def _train(self, network, optimiser, fit_epoch, valid_inputs, valid_targets, scheduler=None):
        """Run the epochs, scored by cross-entropy and accuracy on the validation rows."""
        import torch
        from torch.nn import functional

        def validate() -> tuple[float, dict]:
            with torch.no_grad():
                logits = torch.cat(
                    [
                        network(valid_inputs[i : i + VALIDATION_BATCH])
                        for i in range(0, len(valid_inputs), VALIDATION_BATCH)
                    ]
                )
                loss = float(functional.cross_entropy(logits, valid_targets))
                # accuracy, whatever the project metric
                accuracy = float((logits.argmax(1) == valid_targets).float().mean())
                return loss, {"validation_score": accuracy}

        run_epochs(self, network, optimiser, fit_epoch, validate, scheduler)
        self.network_ = self.network_.cpu()  # where it predicts and is exported

    def _probabilities(self, inputs: np.ndarray) -> np.ndarray:
        """Class probabilities of prepared inputs, by onnxruntime once frozen."""
        check_is_fitted(self)
        if self.onnx_ is not None:
            return self._session().run(None, {self.input_name: inputs})[0].astype(np.float64)
        import torch

        with torch.no_grad():
            outputs = [
                torch.softmax(self.network_(torch.from_numpy(inputs[i : i + VALIDATION_BATCH])), 1)
                for i in range(0, len(inputs), VALIDATION_BATCH)
            ]
        if not outputs:
            return np.empty((0, len(self.classes_)))
        return torch.cat(outputs).numpy().astype(np.float64)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def _freeze(self, example, dynamic_axes: dict):
        """Export the network and a softmax to ONNX; predict with onnxruntime from now on."""
        from torch import nn

        model = nn.Sequential(self.network_, nn.Softmax(dim=1)).eval()
        return self._export(model, example, "probabilities", dynamic_axes)
