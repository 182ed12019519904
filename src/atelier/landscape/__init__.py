"""The project in its landscape: opportunities scored, partners compared, research cited."""

from atelier.landscape._research import bibliography, methods_used, state_of_the_art
from atelier.landscape._stage import LandscapeResult, landscape, partner_options

__all__ = [
    "LandscapeResult",
    "bibliography",
    "landscape",
    "methods_used",
    "partner_options",
    "state_of_the_art",
]
