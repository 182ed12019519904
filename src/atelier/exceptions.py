"""The errors atelier raises for a user's mistake.

Every error a user can cause derives from :class:`AtelierError`; the command line
turns it into one line on standard error and exit code 1. Anything else is a bug
and keeps its traceback.

::

    AtelierError
     ├── CharterError          atelier.yaml is missing or does not match the charter
     ├── SourceError           a data source cannot be read as the charter declares it
     │    └── SchemaChangedError   a source's columns changed since its last load
     ├── DataError             the data break what a stage needs (join keys, uniqueness);
     │                         also a ValueError, as scikit-learn's estimators raise
     ├── WarehouseBusyError    the warehouse file is held by another connection
     ├── StageOrderError       a stage ran before the stage whose artifacts it reads
     ├── ExposureError         a setting would expose the model or data without protection
     ├── EngineError           Spark or Redis cannot be reached or started as configured
     └── PrivacyError          personal data would be handled against the policy or the law
          └── PrivacyKeyError      pseudonymisation without ATELIER_PSEUDO_KEY
"""

__all__ = [
    "AtelierError",
    "CharterError",
    "DataError",
    "EngineError",
    "ExposureError",
    "PrivacyError",
    "PrivacyKeyError",
    "SchemaChangedError",
    "SourceError",
    "StageOrderError",
    "WarehouseBusyError",
]


class AtelierError(Exception):
    """Base class of every error caused by a user's input or project state."""


class CharterError(AtelierError):
    """The charter file is missing, is not YAML, or has a field of the wrong shape."""


class SourceError(AtelierError):
    """A data source cannot be read as declared (missing file, bad encoding, server error)."""


class SchemaChangedError(SourceError):
    """A source's columns or their types differ from its previous load."""


class DataError(AtelierError, ValueError):
    """The data violate what a stage requires, such as a join key that is not unique.

    It is also a ``ValueError``, as scikit-learn raises for data an estimator cannot
    learn from, so that :class:`atelier.AutoClassifier` keeps that contract.
    """


class WarehouseBusyError(AtelierError):
    """The warehouse is open in a way that prevents writing to it now."""


class StageOrderError(AtelierError):
    """A stage needs the artifacts of an earlier stage that has not run yet."""


class ExposureError(AtelierError):
    """A setting would expose the model or the data without protection (no API key)."""


class EngineError(AtelierError):
    """Spark or Redis cannot be started or reached as the charter configures it."""


class PrivacyError(AtelierError):
    """Personal data would be handled against the charter's policy or the law."""


class PrivacyKeyError(PrivacyError):
    """The policy pseudonymises, but ``ATELIER_PSEUDO_KEY`` is missing or too short."""
