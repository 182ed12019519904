"""Words of a text, and the language they are in."""

import re
import unicodedata

# runs of letters: "l'avion" gives "l" and "avion", numbers and punctuation split words
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# the most frequent words of each language, none shared by the other
_STOP_WORDS = {
    "en": frozenset(
        [
            "the",
            "and",
            "of",
            "to",
            "in",
            "is",
            "that",
            "it",
            "was",
            "for",
            "on",
            "with",
            "as",
            "he",
            "be",
            "at",
            "by",
            "this",
            "had",
            "not",
            "are",
            "but",
            "from",
            "or",
            "have",
            "an",
            "they",
            "which",
            "you",
            "were",
            "her",
            "she",
            "there",
            "been",
            "one",
            "all",
            "we",
            "their",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "et",
            "des",
            "est",
            "une",
            "un",
            "du",
            "dans",
            "que",
            "qui",
            "pas",
            "pour",
            "sur",
            "au",
            "ce",
            "il",
            "elle",
            "sont",
            "avec",
            "mais",
            "ne",
            "se",
            "plus",
            "par",
            "son",
            "cette",
            "ou",
            "nous",
            "vous",
            "leur",
            "aux",
            "était",
            "été",
        ]
    ),
}


def tokenise(text: str) -> list[str]:
    """The words of ``text``, lower-cased, accents kept, one letter words dropped.

    Parameters
    ----------
    text : str

    Returns
    -------
    list of str
    """
    return [
        word for word in _WORD.findall(unicodedata.normalize("NFC", text).lower()) if len(word) > 1
    ]


def detect_language(text: str) -> str | None:
    """``en`` or ``fr`` from the share of each language's most frequent words.

    Returns None when the text has fewer than five words or neither language's
    frequent words make up a tenth of it (another language, or no prose).
    """
    words = tokenise(text)
    if len(words) < 5:
        return None
    shares = {
        language: sum(word in stop for word in words) / len(words)
        for language, stop in _STOP_WORDS.items()
    }
    best = max(shares, key=shares.get)
    return best if shares[best] >= 0.1 else None
