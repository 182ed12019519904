"""A network for free text, in plain PyTorch, with a scikit-learn interface.

:class:`TextClassifier` reads one text column: its words (and, as an option, pairs of
neighbouring words) become ids in a vocabulary learnt on the training texts, each id
an embedding, and the text the mean of its embeddings (a bag of embeddings, as
fastText). Options are the improvement steps the deep stage measures: word pairs,
dropout, a hidden layer, wider embeddings. Trained with AdamW, early stopping on its
own validation texts, best epoch kept; once frozen it predicts with onnxruntime.
"""

import itertools
from collections import Counter

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import train_test_split

from atelier.deep._rates import class_weights, range_test
from atelier.deep._served import PerceptionClassifier
from atelier.language import tokenise


def _features(words: list[str], pairs: bool) -> list[str]:
    if not pairs:
        return words
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


class _Bag:
    """Builds the torch module lazily, so that the estimator imports without torch."""

    @staticmethod
    def build(vocabulary: int, config: dict, n_classes: int):
        import torch
        from torch import nn

        class Bag(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(vocabulary + 1, config["embedding"], padding_idx=0)
                layers = [nn.Dropout(config["dropout"])] if config["dropout"] else []
                width = config["embedding"]
                if config["hidden"]:
                    layers += [nn.Linear(width, config["hidden"]), nn.ReLU()]
                    if config["dropout"]:
                        layers.append(nn.Dropout(config["dropout"]))
                    width = config["hidden"]
                layers.append(nn.Linear(width, n_classes))
                self.head = nn.Sequential(*layers)

            def forward(self, tokens):
                mask = (tokens > 0).unsqueeze(-1).to(torch.float32)
                total = (self.embedding(tokens) * mask).sum(dim=1)
                return self.head(total / mask.sum(dim=1).clamp(min=1.0))

        return Bag()


class TextClassifier(PerceptionClassifier):
    """A bag-of-embeddings network that classifies texts.

    Parameters
    ----------
    column : str or None
        The text column of the frames it is given; None for a list or series of texts.
    embedding : int, default=64
    pairs : bool, default=False
        Also embed pairs of neighbouring words (``"pas bien"``).
    dropout : float, default=0.0
    hidden : int, default=0
        Units of a hidden layer after the mean; 0 for none.
    min_count : int, default=2
        Words seen in fewer training texts are left out of the vocabulary.
    max_vocabulary : int, default=50_000
    max_tokens : int, default=400
        Words read per text (the first ones).
    learning_rate, weight_decay : float
    batch_size : int, default=64
    max_epochs : int, default=20
    patience : int, default=3
    validation_fraction : float, default=0.1
    class_weight : {"balanced"} or None
        Weigh each class in the loss inversely to its frequency.
    deadline : float or None
        ``time.monotonic()`` after which no new epoch starts.
    random_state : int, default=0

    Attributes
    ----------
    classes_, vocabulary_ (dict of str to int), history_, best_epoch_, stopped_by_,
    n_parameters_, onnx_
    """

    input_name = "tokens"

    def __init__(
        self,
        column=None,
        embedding=64,
        pairs=False,
        dropout=0.0,
        hidden=0,
        min_count=2,
        max_vocabulary=50_000,
        max_tokens=400,
        learning_rate=2e-3,
        weight_decay=0.0,
        batch_size=64,
        max_epochs=20,
        patience=3,
        validation_fraction=0.1,
        class_weight=None,
        deadline=None,
        random_state=0,
    ):
        self.column = column
        self.embedding = embedding
        self.pairs = pairs
        self.dropout = dropout
        self.hidden = hidden
        self.min_count = min_count
        self.max_vocabulary = max_vocabulary
        self.max_tokens = max_tokens
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.class_weight = class_weight
        self.deadline = deadline
        self.random_state = random_state

    def _texts(self, X) -> list[str]:
        if isinstance(X, pd.DataFrame):
            X = X[self.column] if self.column is not None else X.iloc[:, 0]
        return ["" if value is None or value != value else str(value) for value in list(X)]

    def encode(self, X) -> np.ndarray:
        """Token ids ``(n, length)``, 0 for padding and for words outside the vocabulary."""
        rows = []
        for text in self._texts(X):
            words = _features(tokenise(text)[: self.max_tokens], self.pairs)
            ids = [self.vocabulary_.get(word, 0) for word in words]
            rows.append([i for i in ids if i] or [0])
        length = max(len(row) for row in rows) if rows else 1
        tokens = np.zeros((len(rows), length), dtype=np.int64)
        for position, row in enumerate(rows):
            tokens[position, : len(row)] = row
        return tokens

    def fit(self, X, y):
        """Learn the vocabulary on the texts of ``X``, then train on them."""
        import torch
        from torch.nn import functional

        texts = self._texts(X)
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        torch.manual_seed(self.random_state)
        generator = torch.Generator().manual_seed(self.random_state)
        fit_rows, valid_rows = train_test_split(
            np.arange(len(texts)),
            test_size=self.validation_fraction,
            stratify=codes if np.bincount(codes).min() >= 2 else None,
            random_state=self.random_state,
        )
        counts = Counter()
        for row in fit_rows:  # the vocabulary sees no validation text
            counts.update(set(_features(tokenise(texts[row])[: self.max_tokens], self.pairs)))
        kept = [w for w, n in counts.most_common(self.max_vocabulary) if n >= self.min_count]
        self.vocabulary_ = {word: i + 1 for i, word in enumerate(kept)}
        tokens = torch.from_numpy(self.encode(texts))
        targets = torch.from_numpy(codes)
        config = {"embedding": self.embedding, "dropout": self.dropout, "hidden": self.hidden}
        network = _Bag.build(len(self.vocabulary_), config, len(self.classes_))
        weights = class_weights(codes[fit_rows], len(self.classes_), self.class_weight)
        self.n_parameters_ = sum(p.numel() for p in network.parameters())
        optimiser = torch.optim.AdamW(
            network.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )
        valid = torch.from_numpy(valid_rows)

        def fit_epoch() -> float:
            order = torch.from_numpy(fit_rows)[torch.randperm(len(fit_rows), generator=generator)]
            total = 0.0
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                loss = functional.cross_entropy(
                    network(tokens[rows]), targets[rows], weight=weights
                )
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += float(loss.detach()) * len(rows)
            return total / len(fit_rows)

        self._train(network, optimiser, fit_epoch, tokens[valid], targets[valid])
        return self

    def range_test(self, X, y) -> dict:
        """The learning-rate range test of this network on texts ``X`` and labels ``y``."""
        import torch

        probe = clone(self).set_params(max_epochs=1).fit(X, y)  # its vocabulary
        config = {"embedding": self.embedding, "dropout": self.dropout, "hidden": self.hidden}
        _, codes = np.unique(np.asarray(y), return_inverse=True)
        torch.manual_seed(self.random_state)
        network = _Bag.build(len(probe.vocabulary_), config, len(probe.classes_))
        return range_test(
            network,
            torch.from_numpy(probe.encode(X)),
            torch.from_numpy(codes),
            batch_size=self.batch_size,
            seed=self.random_state,
        )

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities of each text, ``(n, n_classes)``."""
        return self._probabilities(self.encode(X))

    def layer_table(self) -> list[dict]:
        """One row per layer: name, kind, output shape, activation, parameters."""
        network = self.network_
        rows = [
            {
                "layer": "embedding",
                "kind": "Embedding",
                "output_shape": ["batch", "words", self.embedding],
                "units": self.embedding,
                "activation": None,
                "parameters": network.embedding.weight.numel(),
            },
            {
                "layer": "mean",
                "kind": "mean over words",
                "output_shape": ["batch", self.embedding],
                "units": None,
                "activation": None,
                "parameters": 0,
            },
        ]
        width = self.embedding
        for name, module in network.head.named_children():
            kind = type(module).__name__
            width = getattr(module, "out_features", width)
            rows.append(
                {
                    "layer": f"head.{name}",
                    "kind": kind,
                    "output_shape": ["batch", width],
                    "units": getattr(module, "out_features", None),
                    "activation": "ReLU" if kind == "ReLU" else None,
                    "parameters": sum(p.numel() for p in module.parameters()),
                }
            )
        return rows

    def freeze(self):
        """Export to ONNX (softmax included); from then on predict with onnxruntime."""
        import torch

        return self._freeze(torch.ones((2, 3), dtype=torch.int64), {0: "rows", 1: "words"})
