"""Apache Spark when data outgrow one machine: the session and the lake.

Batch scoring on Spark is :func:`atelier.scale._score.score_with_spark` (it imports
the serving code, which the lake's users do not need).
"""

from atelier.scale._lake import LAKE_DIR, lake_folder, lake_reader, land_sources
from atelier.scale._session import java_home, spark_session

__all__ = [
    "LAKE_DIR",
    "java_home",
    "lake_folder",
    "lake_reader",
    "land_sources",
    "spark_session",
]
