"""The IDX format of MNIST and Fashion-MNIST: a magic number, dimensions, raw values."""

import gzip
from pathlib import Path

import numpy as np

from atelier.exceptions import SourceError

_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (gzipped or not) into an array of its declared shape.

    Parameters
    ----------
    path : Path

    Returns
    -------
    ndarray
        ``(n, rows, columns)`` for images, ``(n,)`` for labels.

    Raises
    ------
    SourceError
        When the file is not IDX or is shorter than its header says.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as stream:
            content = stream.read()
    except (OSError, EOFError) as error:
        raise SourceError(f"{path}: cannot read the IDX file: {error}") from None
    if len(content) < 4 or content[:2] != b"\x00\x00" or content[2] not in _TYPES:
        raise SourceError(f"{path}: not an IDX file (expected the magic number 0x0000 0x08..0x0E)")
    dtype, rank = np.dtype(_TYPES[content[2]]), content[3]
    header = 4 + 4 * rank
    shape = tuple(int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(rank))
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(content) < expected:
        raise SourceError(
            f"{path}: truncated IDX file: {len(content):,} bytes, its header says {expected:,}"
        )
    return np.frombuffer(content, dtype=dtype, count=int(np.prod(shape)), offset=header).reshape(
        shape
    )
