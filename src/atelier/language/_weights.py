"""The words that weighed most in an answer: each word taken out, the answer measured."""

import re

import numpy as np

from atelier.language._tokens import tokenise


def word_weights(predict_proba, text: str, answer: int, top: int = 5) -> list[dict]:
    """The words whose removal changes the probability of ``answer`` most.

    Every distinct word of ``text`` is removed in turn (all its occurrences) and the
    text scored again: the drop in the answer's probability is that word's weight
    (positive: the word argued for the answer). It works for any model of text, the
    TF-IDF and linear model as the network, through its probabilities alone.

    Parameters
    ----------
    predict_proba : callable
        Texts (a list of str) to probabilities ``(n, n_classes)``.
    text : str
    answer : int
        The position of the class whose probability is measured.
    top : int, default=5

    Returns
    -------
    list of dict
        ``word`` and ``weight``, largest absolute weight first.
    """
    words = sorted(set(tokenise(text)))
    if not words:
        return []
    variants = [
        re.sub(rf"(?<![^\W\d_]){re.escape(word)}(?![^\W\d_])", " ", text, flags=re.IGNORECASE)
        for word in words
    ]
    probabilities = np.asarray(predict_proba([text, *variants]))[:, answer]
    weights = probabilities[0] - probabilities[1:]
    order = np.argsort(-np.abs(weights), kind="stable")[:top]
    return [{"word": words[i], "weight": round(float(weights[i]), 4)} for i in order]
