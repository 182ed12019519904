"""``atelier run``: every stage in order, each skipped when its inputs did not change."""

from atelier._stages import STAGES
from atelier.runner._run import RunResult, StageOutcome, run, stale_stages

__all__ = ["STAGES", "RunResult", "StageOutcome", "run", "stale_stages"]
