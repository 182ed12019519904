"""The images demo: Fashion-MNIST garments as a folder of PNG files, one per category."""

from pathlib import Path

import numpy as np

from atelier.demo._files import charter_once
from atelier.exceptions import SourceError

FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
PACKAGE = "dataset-fashion-mnist"
CATEGORIES = (
    "t_shirt_top",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle_boot",
)
PER_CATEGORY = 200


def fashion_mnist(split: str = "train", folder: Path = FASHION_MNIST):
    """Fashion-MNIST's images ``(n, 28, 28)`` and label codes from Debian's package.

    Raises
    ------
    SourceError
        When the package is not installed, with the command that installs it.
    """
    from atelier.media import read_idx

    prefix = "train" if split == "train" else "t10k"
    images = folder / f"{prefix}-images-idx3-ubyte.gz"
    labels = folder / f"{prefix}-labels-idx1-ubyte.gz"
    if not images.exists() or not labels.exists():
        raise SourceError(
            f"{images}: not found; the images demo reads Fashion-MNIST from Debian's package "
            f"{PACKAGE}: sudo apt-get install {PACKAGE}"
        )
    return read_idx(images), read_idx(labels)


def create_images_demo(directory: Path, per_category: int = PER_CATEGORY) -> Path:
    """Write the garments (PNG files, one folder per category) and the charter.

    The first ``per_category`` training images of each category, plus what a real
    folder holds: a truncated file, a text file named ``.png`` and a copy of an
    image filed under another category, which the profile reports and training
    leaves out. Existing files are kept; the charter is written only if absent.

    Returns
    -------
    Path
        The project folder.
    """
    from PIL import Image

    directory = Path(directory)
    folder = directory / "data" / "garments"
    if not folder.exists():
        pixels, codes = fashion_mnist("train")
        staging = folder.with_name("garments.partial")
        for code, category in enumerate(CATEGORIES):
            (staging / category).mkdir(parents=True, exist_ok=True)
            for row in np.flatnonzero(codes == code)[:per_category]:
                Image.fromarray(pixels[row]).save(staging / category / f"{row:05d}.png")
        first = sorted((staging / "shirt").glob("*.png"))[0]
        content = first.read_bytes()
        (staging / "shirt" / "damaged.png").write_bytes(content[: len(content) // 2])
        (staging / "bag" / "label.png").write_text("returns label, not a photograph\n")
        (staging / "t_shirt_top" / "copy_of_a_shirt.png").write_bytes(content)
        staging.rename(folder)  # a folder half-written by an interrupted run never stays
    return charter_once(directory, "images.yaml")
