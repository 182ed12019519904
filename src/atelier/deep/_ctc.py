"""The transcriber's network (imported only where torch is: training and export)."""

import torch
from torch import nn


class TranscriberNetwork(nn.Module):
    """Convolutions over the spectrogram, a bidirectional GRU over time, a linear output.

    Parameters
    ----------
    n_mels : int
        Mel bands of the input ``(n, 1, n_mels, frames)``.
    n_symbols : int
        Characters it writes; the output has one more, the CTC blank (index 0).
    channels, hidden, time_stride : int
        Filters of each convolutional block, GRU units in each direction, and by how
        much the first block shortens time.
    dropout : float
        Before the GRU.
    """

    def __init__(self, n_mels, n_symbols, channels, hidden, time_stride, dropout):
        super().__init__()
        self.convolutions = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.MaxPool2d((2, time_stride)),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.MaxPool2d((2, 1)),
        )
        self.project = nn.Sequential(
            nn.Linear(channels * (n_mels // 4), hidden), nn.ReLU(), nn.Dropout(dropout)
        )
        self.recurrent = nn.GRU(hidden, hidden, batch_first=True, bidirectional=True)
        self.output = nn.Linear(2 * hidden, n_symbols + 1)

    def forward(self, spectrograms):
        """Per step, the log-probability of each symbol: ``(n, steps, n_symbols + 1)``."""
        features = self.convolutions(spectrograms)  # (n, channels, mels / 4, steps)
        n, channels, bands, steps = features.shape
        sequence = features.permute(0, 3, 1, 2).reshape(n, steps, channels * bands)
        recurrent, _ = self.recurrent(self.project(sequence))
        return torch.log_softmax(self.output(recurrent), dim=2)
