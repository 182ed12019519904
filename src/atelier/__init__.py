"""atelier: from a business question and raw data to a deployed, audited model.

The public API is small and stable::

    from atelier import Project
    project = Project.load("demo-project")
    project.warehouse.sql("SELECT count(*) FROM mart.customers").fetchall()
"""

from atelier._project import Project
from atelier._version import __version__
from atelier.exceptions import (
    AtelierError,
    CharterError,
    DataError,
    SchemaChangedError,
    SourceError,
    StageOrderError,
    WarehouseBusyError,
)

__all__ = [
    "AtelierError",
    "AutoClassifier",
    "AutoRegressor",
    "CharterError",
    "DataError",
    "Project",
    "SchemaChangedError",
    "SourceError",
    "StageOrderError",
    "WarehouseBusyError",
    "__version__",
]


def __getattr__(name: str):
    # The estimators pull in scikit-learn and Optuna: imported on first use only, so
    # that `atelier --help` and the data stages stay quick to start.
    if name in {"AutoClassifier", "AutoRegressor"}:
        from atelier import learn

        return getattr(learn, name)
    raise AttributeError(f"module 'atelier' has no attribute {name!r}")
