"""The items of a media source: where each file is, its label, its record, its pixels.

An images source is a folder with one subfolder per label, a CSV index of paths and
labels, or a pair of IDX files; an audio source a folder of WAV files per label or a
CSV index. Each item is named by its path relative to the folder (or the index), or
``<images file>#<position>`` inside an IDX file.
"""

import csv
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from atelier.exceptions import SourceError
from atelier.media._audio import (
    AUDIO_SUFFIXES,
    SILENT_RMS,
    AudioProblem,
    probe_audio,
    spectrogram,
)
from atelier.media._idx import read_idx
from atelier.media._images import IMAGE_SUFFIXES, ImageProblem, decode_image, probe_image

UNUSABLE_PROBLEMS = ("not_an_image", "not_audio", "truncated")  # kept out of training
MAX_SIDE = 64  # larger images are reduced to this side: the networks train on CPU


@dataclass
class MediaItems:
    """The items of one media source, located and hashed.

    Attributes
    ----------
    name : str
        The source's name.
    kind : str
        ``images`` or ``audio``.
    items : list of str
    labels : list of str or None
    paths : list of Path or None
        Each item's file; None for items inside an IDX file.
    digests : list of str
        Each item's SHA-256 (of the file, or of its pixels inside an IDX file).
    sizes : list of int
        Each item's bytes.
    extras : dict of str to list of str
        The index's other columns (a speaker, a session), recorded beside each item.
    """

    name: str
    kind: str
    items: list[str]
    labels: list[str]
    paths: list[Path] | None
    digests: list[str]
    sizes: list[int]
    extras: dict[str, list[str]] = field(default_factory=dict)
    _pixels: np.ndarray | None = field(default=None, repr=False)
    _index: dict[str, int] = field(default_factory=dict, repr=False)
    _decoded: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self._index = {item: i for i, item in enumerate(self.items)}

    @property
    def content_hash(self) -> str:
        """``sha256:`` of every item's name, label and digest, in order."""
        digest = hashlib.sha256()
        for item, label, item_digest in zip(self.items, self.labels, self.digests, strict=True):
            digest.update(f"{item}\t{label}\t{item_digest}\n".encode())
        for column, values in sorted(self.extras.items()):
            joined = "\t".join(values)
            digest.update(f"{column}\t{joined}\n".encode())
        return f"sha256:{digest.hexdigest()}"

    def records(self):
        """One row per item, as an Arrow table: what ingest writes to the warehouse."""
        import pyarrow as pa

        columns = AUDIO_RECORD_COLUMNS if self.kind == "audio" else IMAGE_RECORD_COLUMNS
        rows = [self._record(i) for i in range(len(self.items))]
        table = {
            name: pa.array([row.get(name) for row in rows], type=pa.type_for_alias(alias))
            for name, alias in columns.items()
        }
        for column, values in self.extras.items():
            table.setdefault(column, pa.array(values, type=pa.string()))
        return pa.table(table)

    def _record(self, position: int) -> dict:
        if self.kind == "audio":
            return self._sound_record(position)
        record = {
            "item": self.items[position],
            "label": self.labels[position],
            "sha256": self.digests[position],
            "bytes": self.sizes[position],
            "format": None,
            "width": None,
            "height": None,
            "channels": None,
            "problem": None,
        }
        if self._pixels is not None:
            height, width = self._pixels.shape[1:]
            return record | {"format": "IDX", "width": width, "height": height, "channels": 1}
        path = self.paths[position]
        shape = probe_image(path.read_bytes(), path.suffix)
        if isinstance(shape, ImageProblem):
            return record | {"problem": shape.kind}
        problem = "extension_mismatch" if shape.mismatch else None
        return record | {
            "format": shape.format,
            "width": shape.width,
            "height": shape.height,
            "channels": shape.channels,
            "problem": problem,
        }

    def _sound_record(self, position: int) -> dict:
        record = {
            "item": self.items[position],
            "label": self.labels[position],
            "sha256": self.digests[position],
            "bytes": self.sizes[position],
            "format": "WAV",
        }
        shape = probe_audio(self.paths[position].read_bytes())
        if isinstance(shape, AudioProblem):
            return record | {"format": None, "problem": shape.kind}
        return record | {
            "sample_rate": shape.sample_rate,
            "channels": shape.channels,
            "duration_s": shape.duration_s,
            "peak": round(shape.peak, 6),
            "rms": round(shape.rms, 6),
            "clipped_share": round(shape.clipped_share, 6),
        }

    def sounds(self, items: Sequence[str], heard: "SoundInput") -> np.ndarray:
        """Log-mel spectrograms ``(n, 1, n_mels, frames)`` of ``items`` (kept once made)."""
        key = (heard.sample_rate, heard.n_mels, heard.frames)
        if self._decoded.get("key") != key:
            self._decoded = {"key": key}
        out = np.empty((len(items), 1, heard.n_mels, heard.frames), dtype=np.float32)
        for row, item in enumerate(items):
            if item not in self._decoded:
                path = self.paths[self._index[item]]
                self._decoded[item] = spectrogram(path, *key)
            out[row] = self._decoded[item]
        return out

    def content(self, item: str) -> bytes:
        """The bytes of one file: its own, or a PNG of an image's pixels inside an IDX file."""
        position = self._index[item]
        if self._pixels is not None:
            return _png(self._pixels[position])
        return self.paths[position].read_bytes()

    def images(self, items: Sequence[str], size: tuple[int, int], channels: int) -> np.ndarray:
        """Decode ``items`` into ``(n, channels, height, width)`` float32 pixels in [0, 1].

        Decoded pixels are kept: the search asks for the same images at every fold.
        """
        key = (tuple(size), channels)
        if self._decoded.get("key") != key:
            self._decoded = {"key": key}
        out = np.empty((len(items), channels, size[1], size[0]), dtype=np.float32)
        for row, item in enumerate(items):
            if item in self._decoded:
                out[row] = self._decoded[item]
                continue
            position = self._index[item]
            if self._pixels is not None:
                pixels = self._pixels[position]
                if pixels.shape == (size[1], size[0]) and channels == 1:
                    out[row, 0] = pixels / np.float32(255.0)
                else:
                    out[row] = decode_image(_png(pixels), size, channels)
            else:
                out[row] = decode_image(self.paths[position], size, channels)
            self._decoded[item] = out[row].copy()
        return out


def image_shape(records) -> tuple[tuple[int, int], int, str | None]:
    """The size and channels the networks use for an images table, and why.

    The most common size among readable images, reduced to at most ``MAX_SIDE`` on
    its longer side; three channels when most images are in colour.

    Parameters
    ----------
    records : DataFrame
        Rows of the images table (``width``, ``height``, ``channels``, ``problem``).

    Returns
    -------
    ((int, int), int, str or None)
        ``(width, height)``, channels, and a note when images were resized.
    """
    usable = records[records["width"].notna()]
    if usable.empty:
        raise SourceError("no readable image: nothing to learn from")
    sizes = Counter(zip(usable["width"].astype(int), usable["height"].astype(int), strict=True))
    (width, height), count = sizes.most_common(1)[0]
    scale = min(1.0, MAX_SIDE / max(width, height))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # a few colour files among grey ones (a JPEG re-saved in RGB) are read in grey
    channels = 3 if (usable["channels"].astype(int) == 3).mean() > 0.5 else 1
    note = None
    if count < len(usable) or scale < 1:
        note = (
            f"images resized to {size[0]}x{size[1]} (the most common size, {width}x{height}, "
            f"held by {count:,} of {len(usable):,} readable images)"
        )
    return size, channels, note


@dataclass(frozen=True)
class ImageInput:
    """How the models see the images of a source: its name, their size and channels."""

    source: str
    size: tuple[int, int]
    channels: int


def _readable_originals(frame, what: str):
    """The files that decode, each content once, and notes of what was left out.

    A copy on each side of the hold-out would inflate its score.
    """
    notes = []
    unusable = frame["problem"].isin(UNUSABLE_PROBLEMS)
    if unusable.any():
        notes.append(f"{int(unusable.sum()):,} file(s) that do not decode as {what} left out")
        frame = frame.loc[~unusable]
    copies = frame.duplicated("sha256")
    if copies.any():
        notes.append(
            f"{int(copies.sum()):,} file(s) repeating another's content left out (the first kept)"
        )
        frame = frame.loc[~copies]
    return frame, notes


def usable_images(frame, source: str):
    """The rows of an images table that training can use, their input, and notes.

    Files that do not decode are left out, and of several files with the same
    content only the first is kept: a copy on each side of the hold-out would
    inflate its score.

    Returns
    -------
    (DataFrame, ImageInput, list of str)
    """
    frame, notes = _readable_originals(frame, "images")
    size, channels, resized = image_shape(frame)
    if resized:
        notes.append(resized)
    return frame.reset_index(drop=True), ImageInput(source, size, channels), notes


@dataclass(frozen=True)
class SoundInput:
    """How the models hear the sounds of a source: sample rate, mel bands, frames of 10 ms."""

    source: str
    sample_rate: int
    n_mels: int
    frames: int


def sound_card_input(heard: SoundInput) -> dict:
    """What a request must carry for a model of sounds (the serving card's ``input``)."""
    return {
        "kind": "audio",
        "sample_rate": heard.sample_rate,
        "n_mels": heard.n_mels,
        "frames": heard.frames,
    }


SAMPLE_RATE = 16_000  # what speech models read: telephone (8 kHz) and studio sounds alike
N_MELS = 40
MAX_FRAMES = 200  # 2 s: isolated words and short commands
MAX_TRANSCRIBED_FRAMES = 1_000  # 10 s: a sentence, a phone number


def usable_sounds(frame, source: str, whole: bool = False):
    """The rows of an audio table that training can use, how they are heard, and notes.

    Files that do not decode, silent recordings and copies (by content) are left out.
    For words (``whole`` False) the frames cover 95% of the recordings' durations, at
    most ``MAX_FRAMES``, and longer ones are cut to their middle. A transcript needs
    the whole recording (``whole`` True): the frames cover the longest one, at most
    ``MAX_TRANSCRIBED_FRAMES``, and longer ones are left out.

    Returns
    -------
    (DataFrame, SoundInput, list of str)
    """
    silent = frame["rms"] < SILENT_RMS
    frame, notes = _readable_originals(frame.loc[~silent], "sound")
    if silent.any():
        notes.append(f"{int(silent.sum()):,} silent recording(s) left out")
    if whole:
        too_long = frame["duration_s"] * 100 > MAX_TRANSCRIBED_FRAMES
        if too_long.any():
            notes.append(
                f"{int(too_long.sum()):,} recording(s) longer than "
                f"{MAX_TRANSCRIBED_FRAMES / 100:g} s left out: a transcript needs all of its sound"
            )
        frame = frame.loc[~too_long]
    if frame.empty:
        raise SourceError(f"source {source!r}: no usable recording: nothing to learn from")
    if whole:
        frames = int(max(20, np.ceil(frame["duration_s"].max() * 100)))
    else:
        longest = float(frame["duration_s"].quantile(0.95))
        frames = int(min(MAX_FRAMES, max(20, np.ceil(longest * 100))))
    if (frame["duration_s"] * 100 > frames).any():
        notes.append(
            f"recordings longer than {frames / 100:g} s are cut to their middle {frames / 100:g} s"
        )
    rates = sorted(frame["sample_rate"].dropna().astype(int).unique())
    if rates != [SAMPLE_RATE]:
        notes.append(
            f"recordings at {', '.join(f'{r:,} Hz' for r in rates)} resampled to {SAMPLE_RATE:,} Hz"
        )
    heard = SoundInput(source, SAMPLE_RATE, N_MELS, frames)
    return frame.reset_index(drop=True), heard, notes


def file_items(name: str, spec, resolve) -> MediaItems:
    """Locate and hash the items of an ``images`` or ``audio`` source.

    Parameters
    ----------
    name : str
    spec : ImagesSource or AudioSource
    resolve : callable
        Turns a path of the charter into an absolute ``Path``.

    Returns
    -------
    MediaItems

    Raises
    ------
    SourceError
        When the folder, index or IDX files are missing or malformed.
    """
    kind, suffixes = (
        ("audio", AUDIO_SUFFIXES) if spec.kind == "audio" else ("images", IMAGE_SUFFIXES)
    )
    if getattr(spec, "idx", None) is not None:
        return _idx_items(name, resolve(spec.idx.images), resolve(spec.idx.labels), spec)
    if spec.index is not None:
        return _indexed_items(name, resolve(spec.index), kind)
    return _folder_items(name, resolve(spec.path), kind, suffixes)


def media_items(project, name: str) -> MediaItems:
    """The items of the project's media source ``name``, as its charter declares it."""
    return cached_items(str(project.root), name)


_CACHE: dict[tuple, MediaItems] = {}


def cached_items(root: str, name: str) -> MediaItems:
    """The items of source ``name`` of the project at ``root``, read once per process.

    The search decodes the same images for each fold and trial: the items (and the
    pixels they decode) are kept while the charter's declaration stays the same. A
    file changed meanwhile is seen at the next ingest, which hashes every file.
    """
    from atelier._project import Project, resolve_path

    project = Project.load(root)
    spec = project.charter.sources[name]
    key = (str(project.root), name, spec.model_dump_json())
    if key not in _CACHE:
        _CACHE.clear()  # one source at a time: the pixels may be large
        _CACHE[key] = file_items(name, spec, lambda path: resolve_path(project.root, path))
    return _CACHE[key]


def _folder_items(name: str, folder: Path, kind: str, suffixes: dict) -> MediaItems:
    if not folder.is_dir():
        raise SourceError(f"source {name!r}: {folder} is not a folder (one subfolder per label)")
    files = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and path.suffix.lower() in suffixes and path.parent != folder
    )
    if not files:
        raise SourceError(
            f"source {name!r}: no image in {folder}: expected one subfolder per label holding "
            f"{', '.join(sorted(suffixes))} files"
        )
    items = [path.relative_to(folder).as_posix() for path in files]
    labels = [path.relative_to(folder).parts[0] for path in files]
    return _hashed(name, items, labels, files, kind)


def _indexed_items(name: str, index: Path, kind: str) -> MediaItems:
    if not index.is_file():
        raise SourceError(f"source {name!r}: index file not found: {index}")
    with index.open(newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        columns = set(reader.fieldnames or ())
        if "path" not in columns or not columns & {"label", "transcript"}:
            raise SourceError(
                f"{index}: expected the columns path and label (or path and transcript, "
                f"what each recording says); found {', '.join(sorted(columns)) or 'none'}"
            )
        rows = list(reader)
        others = [c for c in reader.fieldnames if c not in ("path", "label")]
    files, items, labels = [], [], []
    for line, row in enumerate(rows, start=2):
        path = (index.parent / row["path"]).resolve()
        if not path.is_file():
            raise SourceError(f"{index}: line {line}: path: file not found: {row['path']}")
        files.append(path)
        items.append(row["path"])
        labels.append(row.get("label"))  # None where the index gives transcripts
    found = _hashed(name, items, labels, files, kind)
    found.extras = {column: [row[column] for row in rows] for column in others}
    return found


def _hashed(name: str, items, labels, files, kind: str) -> MediaItems:
    digests, sizes = [], []
    for path in files:
        content = path.read_bytes()
        digests.append(hashlib.sha256(content).hexdigest())
        sizes.append(len(content))
    return MediaItems(name, kind, items, labels, files, digests, sizes)


def _idx_items(name: str, images_file: Path, labels_file: Path, spec) -> MediaItems:
    for path in (images_file, labels_file):
        if not path.is_file():
            raise SourceError(f"source {name!r}: IDX file not found: {path}")
    pixels, codes = read_idx(images_file), read_idx(labels_file)
    if pixels.ndim != 3 or codes.ndim != 1 or len(pixels) != len(codes):
        raise SourceError(
            f"source {name!r}: {images_file.name} holds {pixels.shape}, {labels_file.name} "
            f"{codes.shape}: expected n images of rows x columns and n labels"
        )
    names = list(spec.label_names or ())
    if names and int(codes.max()) >= len(names):
        raise SourceError(
            f"source {name!r}: label_names gives {len(names)} names; the labels go up to "
            f"{int(codes.max())}"
        )
    labels = [names[code] if names else str(code) for code in codes.tolist()]
    items = [f"{images_file.name}#{i}" for i in range(len(codes))]
    digests = [hashlib.sha256(row.tobytes()).hexdigest() for row in pixels]
    sizes = [int(pixels[0].size)] * len(codes)
    return MediaItems(name, "images", items, labels, None, digests, sizes, _pixels=pixels)


def _png(pixels: np.ndarray) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


_FILE_COLUMNS = {
    "item": "string",
    "label": "string",
    "sha256": "string",
    "bytes": "int64",
    "format": "string",
}
IMAGE_RECORD_COLUMNS = _FILE_COLUMNS | {
    "width": "int32",
    "height": "int32",
    "channels": "int32",
    "problem": "string",
}
AUDIO_RECORD_COLUMNS = _FILE_COLUMNS | {
    "sample_rate": "int32",
    "channels": "int32",
    "duration_s": "double",
    "peak": "double",
    "rms": "double",
    "clipped_share": "double",
    "problem": "string",
}
MEDIA_RECORD_COLUMNS = IMAGE_RECORD_COLUMNS | AUDIO_RECORD_COLUMNS  # a file's record
