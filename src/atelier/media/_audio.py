"""Sound files (WAV): what one holds, whether it is silent or clipped, its samples, log-mel.

WAV files are read with the standard library's ``wave`` module (PCM, 8 to 32 bits);
resampling and the spectrogram use SciPy, so that serving a model of sounds needs
neither torch nor an audio library.
"""

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

AUDIO_SUFFIXES = {".wav": "WAV"}
SILENT_RMS = 1e-3  # of full scale: below this a recording holds no speech
CLIPPED = 0.999  # of full scale: a sample at or above this is clipped


@dataclass(frozen=True)
class AudioShape:
    """What a readable WAV file holds.

    Attributes
    ----------
    sample_rate, channels, frames : int
    duration_s : float
    peak, rms : float
        Of full scale (0 to 1), over all channels.
    clipped_share : float
        The share of samples at full scale.
    """

    sample_rate: int
    channels: int
    frames: int
    duration_s: float
    peak: float
    rms: float
    clipped_share: float


@dataclass(frozen=True)
class AudioProblem:
    """Why a file cannot be used: ``kind`` is ``not_audio`` or ``truncated``."""

    kind: str
    detail: str


class _TruncatedError(Exception):
    """The file holds fewer frames than its header declares."""


def _samples(content: bytes) -> tuple[np.ndarray, int]:
    """``(frames, channels)`` float samples in [-1, 1], and the sample rate."""
    try:
        opened = wave.open(io.BytesIO(content))  # noqa: SIM115 -- closed by the with below
    except EOFError:  # not even a RIFF header
        raise wave.Error("no WAV header") from None
    with opened as stream:
        rate, channels, width = stream.getframerate(), stream.getnchannels(), stream.getsampwidth()
        declared = stream.getnframes()
        raw = stream.readframes(declared)
    frames = len(raw) // (width * channels)
    if frames < declared:
        raise _TruncatedError(f"{frames:,} of the {declared:,} frames its header declares")
    if width == 1:  # 8-bit WAV is unsigned
        values = np.frombuffer(raw, dtype=np.uint8).astype(np.float32) / 128.0 - 1.0
    elif width in (2, 4):
        kind = np.int16 if width == 2 else np.int32
        values = np.frombuffer(raw, dtype=kind).astype(np.float32) / float(np.iinfo(kind).max)
    else:
        raise wave.Error(f"{8 * width}-bit samples")
    return values[: frames * channels].reshape(frames, channels), rate


def probe_audio(content: bytes) -> AudioShape | AudioProblem:
    """Read ``content`` as a WAV file and say what it holds, or why it cannot be used."""
    try:
        samples, rate = _samples(content)
    except _TruncatedError as error:
        return AudioProblem("truncated", f"the file is cut short: {error}")
    except (wave.Error, ValueError) as error:
        return AudioProblem("not_audio", f"the content is not a PCM WAV file ({error})")
    magnitude = np.abs(samples)
    return AudioShape(
        sample_rate=rate,
        channels=samples.shape[1],
        frames=len(samples),
        duration_s=round(len(samples) / rate, 4) if rate else 0.0,
        peak=float(magnitude.max()) if magnitude.size else 0.0,
        rms=float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0,
        clipped_share=float(np.mean(magnitude >= CLIPPED)) if magnitude.size else 0.0,
    )


def decode_audio(content: bytes | Path, sample_rate: int) -> np.ndarray:
    """The mono samples of a WAV file at ``sample_rate`` (resampled when needed).

    Raises
    ------
    ValueError
        When the content is not a readable PCM WAV file.
    """
    from math import gcd

    from scipy.signal import resample_poly

    data = content.read_bytes() if isinstance(content, Path) else content
    try:
        samples, rate = _samples(data)
    except (_TruncatedError, wave.Error) as error:
        raise ValueError(f"the sound does not decode ({error})") from None
    mono = samples.mean(axis=1)
    if rate != sample_rate:
        common = gcd(rate, sample_rate)
        mono = resample_poly(mono, sample_rate // common, rate // common).astype(np.float32)
    return mono.astype(np.float32)


def mel_filters(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """Triangular filters on the mel scale (HTK's formula), ``(n_mels, n_fft // 2 + 1)``."""

    def mel(hz):
        return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)

    def hz(mels):
        return 700.0 * (10.0 ** (np.asarray(mels) / 2595.0) - 1.0)

    edges = hz(np.linspace(mel(0.0), mel(sample_rate / 2), n_mels + 2))
    bins = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    filters = np.zeros((n_mels, len(bins)), dtype=np.float32)
    for m in range(n_mels):
        low, centre, high = edges[m], edges[m + 1], edges[m + 2]
        rising = (bins - low) / max(centre - low, 1e-9)
        falling = (high - bins) / max(high - centre, 1e-9)
        filters[m] = np.clip(np.minimum(rising, falling), 0.0, None)
    return filters


def log_mel(samples: np.ndarray, sample_rate: int, n_mels: int = 40) -> np.ndarray:
    """The log-mel spectrogram of mono ``samples``: ``(n_mels, frames)``.

    Windows of 25 ms every 10 ms (Hann), the power spectrum through ``n_mels`` mel
    filters, then ``log(1e-6 + energy)``: what keyword spotters read.
    """
    from scipy.signal import stft

    window = int(0.025 * sample_rate)
    hop = int(0.010 * sample_rate)
    n_fft = 1 << (window - 1).bit_length()
    _, _, spectrum = stft(
        samples,
        fs=sample_rate,
        window="hann",
        nperseg=window,
        noverlap=window - hop,
        nfft=n_fft,
        boundary=None,
        padded=True,
    )
    power = np.abs(spectrum) ** 2
    return np.log(1e-6 + mel_filters(sample_rate, n_fft, n_mels) @ power).astype(np.float32)


def spectrogram(content: bytes | Path, sample_rate: int, n_mels: int, frames: int) -> np.ndarray:
    """What the models hear of a recording: ``(1, n_mels, frames)`` normalised log-mel.

    The recording is resampled, turned into a log-mel spectrogram, centred in (or cut
    to) ``frames`` frames of 10 ms, padded with its own quietest level, then scaled
    to zero mean and unit variance (per recording: the level of a microphone is no
    cue to the word).

    Raises
    ------
    ValueError
        When the content is not a readable PCM WAV file.
    """
    mel = log_mel(decode_audio(content, sample_rate), sample_rate, n_mels)
    if mel.shape[1] >= frames:
        start = (mel.shape[1] - frames) // 2
        mel = mel[:, start : start + frames]
    else:
        before = (frames - mel.shape[1]) // 2
        quiet = float(mel.min()) if mel.size else float(np.log(1e-6))
        mel = np.pad(mel, ((0, 0), (before, frames - mel.shape[1] - before)), constant_values=quiet)
    mel = (mel - mel.mean()) / (mel.std() + 1e-6)
    return mel[None].astype(np.float32)
