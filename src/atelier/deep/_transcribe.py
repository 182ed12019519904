"""Speech to text: a small sequence model trained with CTC, with a scikit-learn interface.

:class:`SpeechTranscriber` reads log-mel spectrograms ``(n, 1, n_mels, frames)`` and
writes what was said, one character at a time (for spoken digit strings, the digits).
Two convolutional blocks read the spectrogram and shorten time by ``time_stride``; a
bidirectional GRU reads the sequence; a linear layer gives, at each step, the
probability of each character or of none (the blank). Connectionist temporal
classification (Graves et al., 2006) trains it without knowing where each character
starts: the loss sums over every alignment of the transcript with the steps. Greedy
decoding keeps the likeliest symbol at each step, merges repeats and drops blanks.

Once frozen it runs with onnxruntime (the network gives the per-step probabilities;
decoding is NumPy), so that a pickled transcriber serves without torch.
"""

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from atelier.deep._served import OnnxRuntime, layer_rows, run_epochs

BLANK = 0  # the CTC blank's index; characters are 1..n


def edit_distance(reference, hypothesis) -> int:
    """Levenshtein distance between two sequences (substitutions, insertions, deletions)."""
    previous = list(range(len(hypothesis) + 1))
    for i, expected in enumerate(reference, start=1):
        current = [i]
        for j, said in enumerate(hypothesis, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (expected != said))
            )
        previous = current
    return previous[-1]


def edit_operations(reference, hypothesis) -> dict:
    """The edits of one least-cost alignment: characters ``replaced``, ``dropped``, ``added``.

    ``dropped`` are in ``reference`` and missing from ``hypothesis``; ``added`` the
    reverse. Their sum is :func:`edit_distance`.
    """
    rows, columns = len(reference) + 1, len(hypothesis) + 1
    cost = np.zeros((rows, columns), dtype=np.int64)
    cost[:, 0], cost[0, :] = np.arange(rows), np.arange(columns)
    for i in range(1, rows):
        for j in range(1, columns):
            cost[i, j] = min(
                cost[i - 1, j] + 1,
                cost[i, j - 1] + 1,
                cost[i - 1, j - 1] + (reference[i - 1] != hypothesis[j - 1]),
            )
    counts = {"replaced": 0, "dropped": 0, "added": 0}
    i, j = rows - 1, columns - 1
    while i or j:  # back from the end along one least-cost path
        if i and j and cost[i, j] == cost[i - 1, j - 1] + (reference[i - 1] != hypothesis[j - 1]):
            counts["replaced"] += int(reference[i - 1] != hypothesis[j - 1])
            i, j = i - 1, j - 1
        elif i and cost[i, j] == cost[i - 1, j] + 1:
            counts["dropped"] += 1
            i -= 1
        else:
            counts["added"] += 1
            j -= 1
    return counts


def error_rates(references, hypotheses, characters_are_words: bool = False) -> dict:
    """Character and word error rates of transcripts, and the share of wrong transcripts.

    Each rate is the total edit distance over the total length of the references (so
    that a long transcript weighs more), as speech recognition reports them.

    Parameters
    ----------
    references, hypotheses : sequences of str
        What was said, and what was written.
    characters_are_words : bool, default=False
        Words are split on spaces; with True each character is a word (digit strings
        written without spaces: each digit is a word).

    Returns
    -------
    dict
        ``cer``, ``wer``, ``sentence_error_rate`` and ``n``.
    """

    def words(text: str) -> list[str]:
        return list(text.replace(" ", "")) if characters_are_words else text.split()

    pairs = list(zip(references, hypotheses, strict=True))
    references = [r for r, _ in pairs]
    character_errors = sum(edit_distance(r, h) for r, h in pairs)
    word_errors = sum(edit_distance(words(r), words(h)) for r, h in pairs)
    return {
        "cer": character_errors / max(sum(len(r) for r in references), 1),
        "wer": word_errors / max(sum(len(words(r)) for r in references), 1),
        "sentence_error_rate": float(np.mean([r != h for r, h in pairs])) if pairs else 0.0,
        "n": len(references),
    }


def greedy_decode(probabilities: np.ndarray, alphabet: str) -> list[str]:
    """Best path decoding of ``(n, steps, 1 + len(alphabet))`` probabilities."""
    best = probabilities.argmax(axis=2)
    texts = []
    for path in best:
        kept = path[np.r_[True, path[1:] != path[:-1]]]
        texts.append("".join(alphabet[i - 1] for i in kept if i != BLANK))
    return texts


class SpeechTranscriber(OnnxRuntime, BaseEstimator):
    """Transcribe recordings, from log-mel spectrograms, with a CTC-trained sequence model.

    Parameters
    ----------
    channels : int, default=32
        Filters of each convolutional block.
    hidden : int, default=128
        Units of the GRU in each direction (and of the projection before it).
    time_stride : int, default=2
        By how much the first block shortens time: a 10 ms frame rate becomes 20 ms
        steps. A transcript may have at most half as many characters as the recording
        has steps (a repeated character needs a blank between its two).
    dropout : float, default=0.1
    masking : float, default=0.1
        SpecAugment during training: a band of up to this fraction of the mel bands and
        one of the frames hidden in each example; 0 for none.
    learning_rate : float, default=3e-3
        AdamW's, along a one-cycle schedule over ``max_epochs``.
    weight_decay : float, default=0.01
        AdamW's decoupled weight decay.
    batch_size : int, default=32
    max_epochs : int, default=40
    patience : int, default=6
        Epochs without a lower validation loss before training stops.
    validation_fraction : float, default=0.1
    device : {"auto", "cpu"}, default="auto"
        ``auto`` trains on a CUDA GPU when there is one; the fitted network is brought
        back to the CPU, where it transcribes and is exported.
    random_state : int, default=0
    deadline : float or None, default=None
        ``time.monotonic()`` after which no new epoch starts (None: no limit).

    Attributes
    ----------
    alphabet_ : str
        The characters it can write, in the order of the network's outputs.
    history_ : list of dict
        Per epoch: ``epoch``, ``train_loss``, ``validation_loss``, ``validation_cer``,
        ``learning_rate``, ``seconds``.
    best_epoch_ : int
    stopped_by_ : str
    n_parameters_ : int
    input_shape_ : tuple of int
    device_ : str
        Where it trained: ``cpu`` or ``cuda``.
    onnx_ : bytes or None
        The network in ONNX once :meth:`freeze` was called.
    """

    input_name = "spectrograms"

    def __init__(
        self,
        channels=32,
        hidden=128,
        time_stride=2,
        dropout=0.1,
        masking=0.1,
        learning_rate=3e-3,
        weight_decay=0.01,
        batch_size=32,
        max_epochs=40,
        patience=6,
        validation_fraction=0.1,
        device="auto",
        random_state=0,
        deadline=None,
    ):
        self.channels = channels
        self.hidden = hidden
        self.time_stride = time_stride
        self.dropout = dropout
        self.masking = masking
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state
        self.deadline = deadline

    def _config(self) -> dict:
        return {
            "channels": self.channels,
            "hidden": self.hidden,
            "time_stride": self.time_stride,
            "dropout": self.dropout,
        }

    def fit(self, X, y):
        """Learn from spectrograms ``X`` ``(n, 1, n_mels, frames)`` and transcripts ``y``."""
        import torch

        from atelier.deep._ctc import TranscriberNetwork
        from atelier.deep._vision import _masked
        from atelier.learn._networks import device_of

        X, transcripts = self._checked(X, y)
        self.alphabet_ = "".join(sorted(set("".join(transcripts))))
        self.input_shape_ = tuple(X.shape[1:])
        index = {character: i + 1 for i, character in enumerate(self.alphabet_)}
        torch.manual_seed(self.random_state)
        generator = torch.Generator().manual_seed(self.random_state)
        fit_rows, valid_rows = train_test_split(
            np.arange(len(X)), test_size=self.validation_fraction, random_state=self.random_state
        )

        device = device_of(self.device)
        self.device_ = device.type

        def targets(rows):
            coded = [torch.tensor([index[c] for c in transcripts[r]]) for r in rows]
            return torch.cat(coded).to(device), torch.tensor([len(c) for c in coded]).to(device)

        network = TranscriberNetwork(X.shape[2], len(self.alphabet_), **self._config()).to(device)
        self.n_parameters_ = sum(p.numel() for p in network.parameters())
        optimiser = torch.optim.AdamW(
            network.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )
        batches = -(-len(fit_rows) // self.batch_size)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimiser, max_lr=self.learning_rate, total_steps=self.max_epochs * batches
        )
        ctc = torch.nn.CTCLoss(blank=BLANK, zero_infinity=True)
        x_all = torch.from_numpy(X)

        def loss_of(log_probs, rows):
            labels, lengths = targets(rows)
            steps = torch.full((len(rows),), log_probs.shape[1], dtype=torch.long, device=device)
            return ctc(log_probs.transpose(0, 1), labels, steps, lengths)

        def fit_epoch() -> float:
            order = fit_rows[torch.randperm(len(fit_rows), generator=generator).numpy()]
            total = 0.0
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                batch = x_all[rows]
                if self.masking:
                    batch = _masked(batch, self.masking, generator)
                loss = loss_of(network(batch.to(device)), rows)
                optimiser.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(network.parameters(), 5.0)
                optimiser.step()
                scheduler.step()  # one-cycle: every batch
                total += float(loss.detach()) * len(rows)
            return total / len(fit_rows)

        def validate() -> tuple[float, dict]:
            with torch.no_grad():
                log_probs = network(x_all[valid_rows].to(device))
                loss = float(loss_of(log_probs, valid_rows))
            said = greedy_decode(log_probs.exp().cpu().numpy(), self.alphabet_)
            cer = error_rates([transcripts[r] for r in valid_rows], said)["cer"]
            return loss, {"validation_cer": cer}

        run_epochs(self, network, optimiser, fit_epoch, validate)
        self.network_ = self.network_.cpu()  # where it transcribes and is exported
        return self

    def step_probabilities(self, X) -> np.ndarray:
        """Per step, the probability of each symbol: ``(n, steps, 1 + len(alphabet_))``.

        Symbol 0 is the blank; symbol ``i`` is ``alphabet_[i - 1]``.
        """
        check_is_fitted(self)
        X = np.asarray(X, dtype=np.float32)
        if self.onnx_ is not None:
            session = self._session()
            return np.exp(session.run(None, {self.input_name: X})[0])
        import torch

        with torch.no_grad():
            return self.network_(torch.from_numpy(X)).exp().numpy()

    def predict(self, X) -> np.ndarray:
        """The transcript of each recording."""
        return np.array(greedy_decode(self.step_probabilities(X), self.alphabet_), dtype=object)

    def score(self, X, y) -> float:
        """One minus the character error rate (higher is better, as scikit-learn expects)."""
        return 1.0 - error_rates([str(t) for t in y], self.predict(X))["cer"]

    def range_test(self, X, y) -> dict:
        """The learning-rate range test on a fresh network (CTC loss); see ``sweep_learning_rates``.

        Returns
        -------
        dict
            ``learning_rates``, ``losses`` (smoothed, debiased) and ``chosen``.
        """
        import torch

        from atelier.deep._ctc import TranscriberNetwork
        from atelier.learn._networks import sweep_learning_rates

        X, transcripts = self._checked(X, y)
        alphabet = "".join(sorted(set("".join(transcripts))))
        index = {character: i + 1 for i, character in enumerate(alphabet)}
        coded = [torch.tensor([index[c] for c in text]) for text in transcripts]
        torch.manual_seed(self.random_state)
        network = TranscriberNetwork(X.shape[2], len(alphabet), **self._config())
        ctc = torch.nn.CTCLoss(blank=BLANK, zero_infinity=True)
        inputs = torch.from_numpy(X)

        def batch_loss(rows):
            log_probs = network(inputs[rows])
            labels = [coded[r] for r in rows.tolist()]
            steps = torch.full((len(rows),), log_probs.shape[1], dtype=torch.long)
            lengths = torch.tensor([len(c) for c in labels])
            return ctc(log_probs.transpose(0, 1), torch.cat(labels), steps, lengths)

        return sweep_learning_rates(
            network, batch_loss, len(X), batch_size=self.batch_size, seed=self.random_state
        )

    def layer_table(self) -> list[dict]:
        """One row per layer: name, kind, output shape, activation, parameters."""
        check_is_fitted(self, "network_")
        return layer_rows(self.network_, self.input_shape_)

    def _checked(self, X, y) -> tuple[np.ndarray, list[str]]:
        """``X`` as float32 spectrograms and ``y`` as text, or a ``ValueError`` naming the fault."""
        X = np.asarray(X, dtype=np.float32)
        transcripts = [str(text) for text in y]
        if X.ndim != 4 or X.shape[1] != 1:
            raise ValueError(f"X: expected (n, 1, n_mels, frames) spectrograms, got {X.shape}")
        if len(transcripts) != len(X):
            raise ValueError(f"y: {len(transcripts)} transcripts for {len(X)} recordings")
        steps = X.shape[3] // self.time_stride
        longest = max(len(text) for text in transcripts)
        if longest * 2 > steps:
            raise ValueError(
                f"y: a transcript of {longest} characters is too long for recordings of "
                f"{X.shape[3]} frames (at most {steps // 2})"
            )
        if not all(transcripts):
            raise ValueError("y: an empty transcript; each recording must say something")
        return X, transcripts

    def freeze(self):
        """Export to ONNX; from then on transcribe with onnxruntime."""
        import torch

        example = torch.zeros((2, *self.input_shape_))
        return self._export(self.network_, example, "log_probabilities", {0: "rows"})
