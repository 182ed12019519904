"""The speech demo: French spoken digits from espeak-ng's voices, with their speaker."""

import csv
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

from atelier.demo._files import charter_once
from atelier.exceptions import SourceError

DIGITS = ("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf")
VOICES = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3",
    "f4", "f5", "klatt", "klatt2", "klatt3", "croak", "steph", "linda", "robert", "iven",
)  # fmt: skip
SPEEDS = (140, 180)  # words per minute
PITCHES = (35, 65)  # espeak-ng's 0 to 99
PACKAGE = "espeak-ng"


def synthesise(text: str, voice: str, speed: int, pitch: int, path: Path) -> None:
    """Say ``text`` in French with espeak-ng's ``voice`` variant into a WAV file."""
    if shutil.which("espeak-ng") is None:
        raise SourceError(
            f"espeak-ng: not found; the speech demo speaks with Debian's {PACKAGE}: "
            f"sudo apt-get install {PACKAGE}"
        )
    subprocess.run(
        [
            "espeak-ng",
            "-v",
            f"fr+{voice}",
            "-s",
            str(speed),
            "-p",
            str(pitch),
            "-w",
            str(path),
            text,
        ],
        check=True,
        capture_output=True,
    )


def _add_noise(path: Path, rng: np.random.Generator) -> None:
    """White noise at a signal-to-noise ratio between 15 and 30 dB, written in place."""
    with wave.open(str(path)) as stream:
        rate, raw = stream.getframerate(), stream.readframes(stream.getnframes())
    signal = np.frombuffer(raw, dtype="<i2").astype(np.float64)
    power = np.mean(signal**2) / 10 ** (rng.uniform(15, 30) / 10)
    noisy = np.clip(signal + rng.normal(0, np.sqrt(power), len(signal)), -32768, 32767)
    with wave.open(str(path), "wb") as stream:
        stream.setnchannels(1)
        stream.setsampwidth(2)
        stream.setframerate(rate)
        stream.writeframes(noisy.astype("<i2").tobytes())


def digit_strings(
    folder: Path,
    voices: tuple[str, ...],
    per_voice: int,
    seed: int,
    lengths: tuple[int, int] = (3, 5),
    noise: float = 0.5,
    speeds: tuple[int, int] = (80, 200),
) -> list[tuple[Path, str, str]]:
    """Recordings of random digit strings, said digit by digit in French.

    Each of ``voices`` says ``per_voice`` strings of ``lengths`` digits (inclusive), at
    a random speed in ``speeds`` (words a minute, inclusive) and pitch (25 to 75); a
    share ``noise`` of them gets background noise.

    Returns
    -------
    list of (Path, str, str)
        Each recording's path, its transcript (the digits, ``"3719"``) and its voice.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for voice in voices:
        for number in range(per_voice):
            transcript = "".join(
                str(d) for d in rng.integers(0, 10, rng.integers(lengths[0], lengths[1] + 1))
            )
            path = folder / f"{voice}_{number:03d}_{transcript}.wav"
            speed = int(rng.integers(speeds[0], speeds[1] + 1))
            pitch = int(rng.integers(25, 76))
            synthesise(" ".join(transcript), voice, speed, pitch, path)
            if rng.random() < noise:
                _add_noise(path, rng)
            written.append((path, transcript, voice))
    return written


def _write_index(path: Path, header: list[str], rows: list[tuple]) -> None:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)


def _faulty_recordings(staging: Path, first: tuple[str, str, str]) -> list[tuple[str, str, str]]:
    """A silent recording, one cut short and a text file named ``.wav``, beside ``first``.

    The profile reports them and training leaves them out; their index rows are
    returned, with ``first``'s label (or transcript) and an unknown voice.
    """
    path = staging / first[0]
    with wave.open(str(path)) as stream:
        params = stream.getparams()
    with wave.open(str(staging / "wav" / "silence.wav"), "wb") as stream:
        stream.setparams(params)
        stream.writeframes(b"\0\0" * params.framerate)
    content = path.read_bytes()
    (staging / "wav" / "cut.wav").write_bytes(content[: len(content) // 3])
    (staging / "wav" / "notes.wav").write_text("rappeler le client\n", encoding="utf-8")
    return [
        ("wav/silence.wav", first[1], "inconnue"),
        ("wav/cut.wav", first[1], "inconnue"),
        ("wav/notes.wav", first[1], "inconnue"),
    ]


def create_speech_demo(directory: Path, voices: tuple[str, ...] = VOICES) -> Path:
    """Write the recordings, their index (path, label, voice) and the charter.

    Each of ``voices`` says the ten digits at two speeds and two pitches; half the
    recordings get background noise. Besides, a silent recording, one cut short and a
    text file named ``.wav``, which the profile reports and training leaves out.
    Existing files are kept; the charter is written only if absent.

    Returns
    -------
    Path
        The project folder.
    """
    directory = Path(directory)
    folder = directory / "data" / "speech"
    if not (folder / "index.csv").exists():
        rng = np.random.default_rng(0)
        staging = folder.with_name("speech.partial")
        (staging / "wav").mkdir(parents=True, exist_ok=True)
        rows = []
        for voice in voices:
            for speed in SPEEDS:
                for pitch in PITCHES:
                    for digit, word in enumerate(DIGITS):
                        name = f"wav/{voice}_{speed}_{pitch}_{digit}.wav"
                        synthesise(word, voice, speed, pitch, staging / name)
                        if rng.random() < 0.5:
                            _add_noise(staging / name, rng)
                        rows.append((name, str(digit), voice))
        rows += _faulty_recordings(staging, rows[0])
        _write_index(staging / "index.csv", ["path", "label", "voice"], rows)
        staging.rename(folder)  # a folder half-written by an interrupted run never stays
    return charter_once(directory, "speech.yaml")


def create_transcription_demo(
    directory: Path,
    voices: tuple[str, ...] = VOICES,
    per_voice: int = 24,
    lengths: tuple[int, int] = (3, 5),
) -> Path:
    """Write dictated digit strings, their index (path, transcript, voice) and the charter.

    Each of ``voices`` says ``per_voice`` strings of ``lengths`` digits (see
    :func:`digit_strings`), half of them with background noise; besides, the same
    faulty files as the speech demo's. Existing files are kept; the charter is
    written only if absent.

    Returns
    -------
    Path
        The project folder.
    """
    directory = Path(directory)
    folder = directory / "data" / "dictation"
    if not (folder / "index.csv").exists():
        staging = folder.with_name("dictation.partial")
        said = digit_strings(
            staging / "wav", voices, per_voice, seed=0, lengths=lengths, speeds=(110, 200)
        )
        rows = [(f"wav/{path.name}", transcript, voice) for path, transcript, voice in said]
        rows += _faulty_recordings(staging, rows[0])
        _write_index(staging / "index.csv", ["path", "transcript", "voice"], rows)
        staging.rename(folder)  # a folder half-written by an interrupted run never stays
    return charter_once(directory, "transcription.yaml")
