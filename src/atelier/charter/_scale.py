"""Where the data are processed: the embedded default (DuckDB) or Apache Spark."""

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Engine = Literal["duckdb", "spark"]

# Settings that make Spark fetch jars from a Maven repository when it starts: an offline
# machine cannot, and a project must not depend on what a repository serves that day.
_FETCHING_SETTINGS = ("spark.jars.packages", "spark.jars.repositories", "spark.jars.ivy")


class SparkSettings(BaseModel):
    """How ``engine: spark`` starts Spark: ``spark:`` in the charter.

    ``master`` is ``local[N]`` for this machine's cores, or a cluster's URL
    (``spark://host:7077``, ``yarn``, ``k8s://https://...``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    master: str = Field("local[*]", min_length=1)
    driver_memory: str = Field("2g", pattern=r"^\d+[kmgtKMGT]$")
    conf: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="More Spark settings (spark.sql.shuffle.partitions...)."
    )

    @field_validator("master")
    @classmethod
    def _known_master(cls, value: str) -> str:
        if not re.match(
            r"^(local(\[(\*|\d+)(,\d+)?\])?|spark://.+|yarn|k8s://.+|mesos://.+)$", value
        ):
            raise ValueError(
                f"{value!r} is not a Spark master URL: expected local[*], local[N], "
                "spark://host:port, yarn or k8s://https://host:port"
            )
        return value

    @field_validator("conf")
    @classmethod
    def _no_fetched_jars(cls, value: dict) -> dict:
        for key in value:
            if key in _FETCHING_SETTINGS:
                raise ValueError(
                    f"{key}: Spark would fetch jars from a repository at run time; "
                    "install them on the machine and name them in spark.jars instead"
                )
        return value


class Online(BaseModel):
    """The online side of serving: ``online:`` in the charter.

    ``url`` is a Redis URL (``redis://host:6379/0``); a password belongs in an
    environment variable (``redis://:${REDIS_PASSWORD}@host:6379/0``), never in the
    file. ``atelier publish`` pushes each key's features there, ``atelier serve``
    reads them and caches predictions for ``ttl_s`` seconds, and ``atelier ingest``
    drains the predictions it logged into the warehouse.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(pattern=r"^rediss?://", description="Redis URL; ${VAR} for a password.")
    ttl_s: int = Field(300, gt=0, description="How long a cached prediction is served.")
