"""The explore stage: univariate and multivariate statistics, reduction and segments."""

from atelier.explore._bivariate import cohens_d, eta_squared, fisher_interval
from atelier.explore._stage import STAGE, ExploreResult, explore

__all__ = ["STAGE", "ExploreResult", "cohens_d", "eta_squared", "explore", "fisher_interval"]
