import pytest

# One Spark session in local mode shared by every test of the process: starting the
# JVM costs seconds, and Spark keeps one session per process anyway.
SPARK = {"master": "local[2]", "driver_memory": "1g", "conf": {"spark.sql.shuffle.partitions": 4}}


@pytest.fixture(scope="session")
def spark():
    from atelier.charter import SparkSettings
    from atelier.scale import spark_session

    return spark_session(SparkSettings(**SPARK))
