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
    "CharterError",
    "DataError",
    "Project",
    "SchemaChangedError",
    "SourceError",
    "StageOrderError",
    "WarehouseBusyError",
    "__version__",
]
