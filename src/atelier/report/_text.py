"""The dossier's words in one language, and numbers written the way that language writes them."""

import math
from functools import cache
from importlib.resources import files

import yaml

LANGUAGES = ("en", "fr")


@cache
def _catalogue() -> dict:
    return yaml.safe_load(files("atelier.report").joinpath("text.yaml").read_text("utf-8"))


class Text:
    r"""Sentences and labels of ``text.yaml`` in ``language``, numbers formatted for it.

    Parameters
    ----------
    language : {"en", "fr"}

    Examples
    --------
    >>> Text("fr").number(12345.678, 1) == "12\u202f345,7"
    True
    >>> Text("en")("alarms_some", n=3)
    '1 alert in 3 is a false alarm'
    """

    def __init__(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"--lang: expected one of {', '.join(LANGUAGES)}, got {language!r}")
        self.language = language

    def __call__(self, key: str, **values) -> str:
        """The sentence ``key``, its placeholders filled with ``values``."""
        return _catalogue()[key][self.language].format(**values)

    def number(self, value, digits: int = 0) -> str:
        """``value`` with thousands separated and ``digits`` decimals, as the language writes it."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "–"
        text = f"{value:,.{digits}f}"
        if self.language == "fr":  # 12 345,7: narrow no-break space, decimal comma
            text = text.replace(",", "\u202f").replace(".", ",")
        return text

    def percent(self, share) -> str:
        """A share between 0 and 1 as a whole percentage."""
        if share is None or (isinstance(share, float) and not math.isfinite(share)):
            return "–"
        return f"{self.number(100 * share)}\u202f%" if self.language == "fr" else f"{share:.0%}"

    def p_value(self, value) -> str:
        """A p-value to two significant digits, or below 0.001."""
        if value is None or not math.isfinite(value):
            return "–"
        if value < 0.001:
            return f"< {self.number(0.001, 3)}"
        return self.number(value, 3 if value < 0.01 else 2)

    def score(self, value) -> str:
        """A metric's value with the precision a reader needs."""
        if value is None or not math.isfinite(value):
            return "–"
        return self.number(value, 3 if abs(value) < 100 else 1)
