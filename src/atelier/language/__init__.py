"""Free text as the models and the profile read it: words, language, the words that weigh.

A library, not a stage: the profile detects the language of text columns, the
network tokenises them, and the API and the dashboard show the words that weighed
most in an answer.
"""

from atelier.language._tokens import detect_language, tokenise
from atelier.language._weights import word_weights

__all__ = ["detect_language", "tokenise", "word_weights"]
