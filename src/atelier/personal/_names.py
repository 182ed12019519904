"""Person names in a column, recognised by spaCy's French pipeline (``fr_core_news_md``).

The model is loaded once, lazily, and only for columns that pass cheap filters
(short values of two to five words made of letters); ALL-CAPS words are written in
title case first, since the model learnt names from running text ("DUPONT Jean"
reads as "Dupont Jean").
"""

import re
from functools import cache

MODEL = "fr_core_news_md"
NAME_SAMPLE = 300  # values given to the model per column: enough for a share, cheap
_NAME_SHAPE = re.compile(r"^[^\W\d_][^\W\d_'’.-]*(?:[\s'’.-]+[^\W\d_]+){1,4}\.?$")


def looks_like_names(values: list[str], share: float = 0.8) -> bool:
    """Whether most values have a person name's shape: 2 to 5 words of letters."""
    if not values:
        return False
    shaped = sum(len(value) <= 60 and bool(_NAME_SHAPE.match(value)) for value in values)
    return shaped >= share * len(values)


def name_share(values: list[str]) -> float:
    """The share of ``values`` that the model reads as a person's name.

    A value counts when a ``PER`` entity covers at least half of its letters.

    Raises
    ------
    ModuleNotFoundError
        spaCy or its French model is not installed.
    """
    sample = values[:NAME_SAMPLE]
    if not sample:
        return 0.0
    nlp = _pipeline()
    texts = [_title_case_capitals(value) for value in sample]
    hits = 0
    for text, doc in zip(texts, nlp.pipe(texts, batch_size=256), strict=True):
        covered = sum(len(entity.text) for entity in doc.ents if entity.label_ == "PER")
        hits += covered * 2 >= len(text.replace(" ", ""))
    return hits / len(sample)


def persons_in(texts: list[str]) -> list[bool]:
    """For each text, whether the model finds a person's name in it.

    A one-word name opening the text does not count: the model reads any capitalised
    first word as a name too often ("Bataille glisser ami..."); a first and last name,
    or a name inside the sentence, does.
    """
    nlp = _pipeline()
    return [
        any(entity.label_ == "PER" and (len(entity) > 1 or entity.start > 0) for entity in doc.ents)
        for doc in nlp.pipe(texts, batch_size=64)
    ]


_EMAIL = re.compile(r"\S+@\S+\.\w+")
_NUMBER = re.compile(r"\+?\d[\d .-]{5,}\d")
# a capitalised word that does not open a sentence (after a letter, comma or word)
_INNER_CAPITAL = re.compile(r"(?<=[\w,;:] )([A-ZÀ-ÖØ-Þ][\w'’-]+)")


def redact(texts: list[str], placeholder: str = "[…]") -> list[str]:
    """``texts`` with the names of persons, e-mail addresses and long numbers hidden.

    For showing a text in a report, where hiding too much costs less than too little:
    every person the model finds, and every capitalised word inside a sentence (a
    name the model missed, or a place); addresses and numbers (phones, accounts) are
    found by their shape.
    """
    nlp = _pipeline()
    redacted = []
    for doc in nlp.pipe(texts, batch_size=64):
        spans = [(e.start_char, e.end_char) for e in doc.ents if e.label_ == "PER"]
        for match in _INNER_CAPITAL.finditer(doc.text):
            spans.append(match.span(1))
        text = doc.text
        for start, end in sorted(_merged(spans), reverse=True):
            text = text[:start] + placeholder + text[end:]
        redacted.append(_NUMBER.sub(placeholder, _EMAIL.sub(placeholder, text)))
    return redacted


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


@cache
def _pipeline():
    import spacy

    # Only the entity recogniser and what it reads: the parser and lemmatiser are slow.
    return spacy.load(
        MODEL, exclude=["parser", "lemmatizer", "morphologizer", "attribute_ruler", "senter"]
    )


def _title_case_capitals(text: str) -> str:
    return " ".join(
        word.title() if word.isupper() and len(word) > 1 else word for word in text.split()
    )
