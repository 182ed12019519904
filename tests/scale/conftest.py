import optuna
import pytest

# One Spark session in local mode shared by every test of the process: starting the
# JVM costs seconds, and Spark keeps one session per process anyway.
SPARK = {"master": "local[2]", "driver_memory": "1g", "conf": {"spark.sql.shuffle.partitions": 4}}


@pytest.fixture(scope="session")
def spark():
    from atelier.charter import SparkSettings
    from atelier.scale import spark_session

    return spark_session(SparkSettings(**SPARK))


STUDIES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def storage():
    """The Optuna storage in the PostgreSQL server; the studies a test makes are deleted."""
    from atelier.learn._parallel import open_storage

    storage = open_storage(STUDIES)
    before = {study.study_name for study in storage.get_all_studies()}
    yield storage
    for study in storage.get_all_studies():
        if study.study_name not in before:
            optuna.delete_study(study_name=study.study_name, storage=storage)
    storage.engine.dispose()
