"""The text demo: French book reviews as a CSV file, with what a real export holds."""

import csv
from pathlib import Path

from atelier.demo._corpora import french_reviews
from atelier.demo._files import charter_once


def create_text_demo(directory: Path) -> Path:
    """Write the reviews (``data/avis.csv``) and the charter into ``directory``.

    Besides the 1,500 reviews, two empty reviews and one review copied under the
    opposite label, which the profile reports. Existing files are kept; the charter is
    written only if absent.

    Returns
    -------
    Path
        The project folder.
    """
    directory = Path(directory)
    target = directory / "data" / "avis.csv"
    if not target.exists():
        reviews = french_reviews()
        opposite = {"positif": "négatif", "négatif": "positif"}
        rows = [
            *reviews,
            ("", "positif"),
            ("  ", "négatif"),
            (reviews[0][0], opposite[reviews[0][1]]),
        ]
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        with partial.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(["avis_id", "avis", "sentiment"])
            writer.writerows((f"A{i:05d}", text, label) for i, (text, label) in enumerate(rows))
        partial.rename(target)  # never a half-written file
    return charter_once(directory, "text.yaml")
