"""``atelier run``: every stage in order, each skipped when its inputs did not change."""

from atelier.runner._run import STAGES, RunResult, StageOutcome, run

__all__ = ["STAGES", "RunResult", "StageOutcome", "run"]
