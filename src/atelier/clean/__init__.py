"""The cleaning stage: a plan from the profile's findings, applied and logged."""

from atelier.clean._cleaner import Cleaner
from atelier.clean._plan import plan_yaml, propose_plan
from atelier.clean._stage import (
    CLEANER_FILE,
    STAGE,
    CleanResult,
    clean,
    cleaner_from_plan,
    cleaner_state,
    load_cleaner,
)

__all__ = [
    "CLEANER_FILE",
    "STAGE",
    "CleanResult",
    "Cleaner",
    "clean",
    "cleaner_from_plan",
    "cleaner_state",
    "load_cleaner",
    "plan_yaml",
    "propose_plan",
]
