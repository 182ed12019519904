from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import write_charter


def write_digit_images(folder: Path, per_label: int = 40, seed: int = 0) -> list[Path]:
    """scikit-learn's 8x8 digits as PNG files, one subfolder per digit's name."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(seed)
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    written = []
    for digit, name in enumerate(names):
        rows = rng.permutation(np.flatnonzero(digits.target == digit))[:per_label]
        (folder / name).mkdir(parents=True, exist_ok=True)
        for row in rows:
            pixels = (digits.images[row] * 255 / 16).astype(np.uint8)
            path = folder / name / f"{row:04d}.png"
            Image.fromarray(pixels).save(path)
            written.append(path)
    return written


def add_bad_images(folder: Path) -> dict[str, str]:
    """A truncated PNG, a text file named .png, a JPEG named .png, a larger image."""
    good = sorted((folder / "three").glob("*.png"))
    content = good[0].read_bytes()
    (folder / "three" / "truncated.png").write_bytes(content[: len(content) // 2])
    (folder / "four" / "notes.png").write_text("this is not an image\n")
    Image.open(good[1]).convert("RGB").save(folder / "five" / "really_a_jpeg.png", format="JPEG")
    Image.open(good[2]).resize((16, 16)).save(folder / "six" / "larger.png")
    return {
        "three/truncated.png": "truncated",
        "four/notes.png": "not_an_image",
        "five/really_a_jpeg.png": "extension_mismatch",
    }


@pytest.fixture
def digit_project(tmp_path):
    """A project whose one source is a folder of digit images (40 per label)."""
    write_digit_images(tmp_path / "data" / "digits")
    write_charter(
        tmp_path,
        {"digits": {"kind": "images", "path": "data/digits", "key": "item"}},
        target={"column": "label"},
    )
    return tmp_path
