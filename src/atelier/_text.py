"""atelier's words in one language, and numbers written the way that language writes them.

The catalogues under ``atelier/words/`` hold every sentence and label a person reads:
``dossier.yaml`` for the report, ``figures.yaml`` for the charts the stages draw in
the charter's language, ``dashboard.yaml`` for the dashboard's pages.
"""

import math
from functools import cache
from importlib.resources import files

import yaml

LANGUAGES = ("en", "fr")


CATALOGUES = (
    "dossier.yaml",
    "figures.yaml",
    "dashboard.yaml",
    "findings.yaml",
    "privacy.yaml",
    "plan.yaml",
    "scale.yaml",
)


@cache
def _catalogue() -> dict:
    words: dict = {}
    for name in CATALOGUES:
        text = files("atelier.words").joinpath(name).read_text("utf-8")
        # libyaml's loader reads the catalogues ten times faster than the pure-Python one
        entries = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        repeated = set(words) & set(entries)
        if repeated:
            raise KeyError(f"atelier/words/{name} repeats {sorted(repeated)}")
        words |= entries
    return words


class Text:
    r"""Sentences and labels of ``atelier/words/`` in ``language``, numbers formatted for it.

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
            raise ValueError(f"language: expected one of {', '.join(LANGUAGES)}, got {language!r}")
        self.language = language

    def __call__(self, key: str, /, **values) -> str:
        """The sentence ``key``, its placeholders filled with ``values``."""
        return _catalogue()[key][self.language].format(**values)

    def term(self, name: str | None) -> str:
        """A technical term recorded by a stage (a test's name), in this language if known."""
        if name is None:
            return "–"
        entry = _catalogue().get(name)
        return entry[self.language] if isinstance(entry, dict) else name

    def alarms(self, precision) -> str:
        """How often an alert is a false alarm, in words (k alerts in n, n at most 10)."""
        share = false_alarms(precision)
        if share is None:
            return self("alarms_none")
        false, alerts = share
        if false == 0:
            return self("alarms_right")
        if false == alerts:
            return self("alarms_all")
        if false == 1:
            return self("alarms_some", n=alerts)
        return self("alarms_many", k=false, n=alerts)

    def number(self, value, digits: int = 0) -> str:
        """``value`` with thousands separated and ``digits`` decimals, as the language writes it."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "–"
        text = f"{value:,.{digits}f}"
        if self.language == "fr":  # 12 345,7: narrow no-break space, decimal comma
            text = text.replace(",", "\u202f").replace(".", ",")
        return text

    def percent(self, share, digits: int = 0) -> str:
        """A share between 0 and 1 as a percentage with ``digits`` decimals."""
        if share is None or (isinstance(share, float) and not math.isfinite(share)):
            return "–"
        if self.language == "fr":
            return f"{self.number(100 * share, digits)}\u202f%"
        return f"{share:.{digits}%}"

    def general(self, value, digits: int = 6) -> str:
        """``value`` to ``digits`` significant digits (Python's ``g``) in the language."""
        text = f"{value:.{digits}g}"
        return text.replace(".", ",") if self.language == "fr" else text

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


def false_alarms(precision: float) -> tuple[int, int] | None:
    """How many alerts in how many are false, as a small fraction a reader can picture.

    Returns ``(k, n)``: k alerts in n are false alarms (n at most 10); None when no
    alert was raised (the precision is undefined).

    Examples
    --------
    >>> false_alarms(0.66), false_alarms(1 / 6), false_alarms(0.999)
    ((1, 3), (5, 6), (0, 1))
    """
    from fractions import Fraction

    if precision is None or precision != precision:
        return None
    share = Fraction(1 - float(precision)).limit_denominator(10)
    return share.numerator, share.denominator
