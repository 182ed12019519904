"""The fairness stage: the champion's decisions across groups, and reweighting measured."""

from atelier.fairness._stage import STAGE, FairnessResult, fairness

__all__ = ["STAGE", "FairnessResult", "fairness"]
