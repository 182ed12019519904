"""Image files: what one holds (format, size, channels), whether it decodes, its pixels."""

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
_GREY_MODES = {"1", "L", "LA", "I", "I;16", "F"}


@dataclass(frozen=True)
class ImageShape:
    """What a readable image holds.

    Attributes
    ----------
    format : str
        Pillow's name of the content's format (``PNG``, ``JPEG``).
    width, height, channels : int
        Channels: 1 for grey levels, 3 for colour.
    mismatch : bool
        The file's extension names another format than its content.
    """

    format: str
    width: int
    height: int
    channels: int
    mismatch: bool = False


@dataclass(frozen=True)
class ImageProblem:
    """Why an image cannot be used: ``kind`` is ``not_an_image`` or ``truncated``."""

    kind: str
    detail: str


def probe_image(content: bytes, suffix: str | None = None) -> ImageShape | ImageProblem:
    """Decode ``content`` fully and say what it holds, or why it cannot be used.

    Parameters
    ----------
    content : bytes
        The file's bytes.
    suffix : str or None
        The file's extension (``.png``), to check it against the content.

    Returns
    -------
    ImageShape or ImageProblem
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as image:
            image.load()  # a truncated file opens, and fails here
            shape = ImageShape(
                format=image.format or "",
                width=image.width,
                height=image.height,
                channels=1 if image.mode in _GREY_MODES else 3,
            )
    except UnidentifiedImageError:
        return ImageProblem("not_an_image", "the content is not an image Pillow can read")
    except (OSError, SyntaxError, ValueError) as error:  # Pillow's errors for a damaged file
        return ImageProblem("truncated", f"the image does not decode ({type(error).__name__})")
    expected = IMAGE_SUFFIXES.get((suffix or "").lower())
    if expected is not None and expected != shape.format:
        shape = ImageShape(shape.format, shape.width, shape.height, shape.channels, True)
    return shape


def decode_image(content: bytes | Path, size: tuple[int, int], channels: int) -> np.ndarray:
    """The pixels of an image as the networks see them.

    Parameters
    ----------
    content : bytes or Path
    size : (int, int)
        ``(width, height)``; an image of another size is resized (bilinear).
    channels : int
        1 (grey levels) or 3 (RGB); the image is converted.

    Returns
    -------
    ndarray of float32, shape ``(channels, height, width)``, values in [0, 1]

    Raises
    ------
    ValueError
        When the content does not decode as an image.
    """
    from PIL import Image, UnidentifiedImageError

    source = io.BytesIO(content) if isinstance(content, bytes) else content
    try:
        with Image.open(source) as image:
            image = image.convert("L" if channels == 1 else "RGB")
            if image.size != tuple(size):
                image = image.resize(tuple(size), Image.Resampling.BILINEAR)
            pixels = np.asarray(image, dtype=np.float32) / 255.0
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(f"the image does not decode ({type(error).__name__})") from None
    return pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)
