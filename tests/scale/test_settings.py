"""The charter's engine, spark and online sections: refused in one line when wrong."""

import pytest

from atelier import Project
from atelier.exceptions import CharterError
from tests.conftest import write_charter

SOURCES = {"a": {"kind": "csv", "path": "a.csv", "key": "k"}}


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"engine": "hadoop"}, "engine"),
        ({"spark": {"master": "local[two]"}}, "is not a Spark master URL"),
        ({"spark": {"driver_memory": "2 GB"}}, "driver_memory"),
        (
            {"spark": {"conf": {"spark.jars.packages": "io.delta:delta-spark_2.13:4.0.0"}}},
            "would fetch jars from a repository at run time",
        ),
        ({"online": {"url": "http://cache:6379"}}, "online.url"),
        ({"online": {"url": "redis://cache:6379", "ttl_s": 0}}, "ttl_s"),
        ({"training": {"storage": "studies.db"}}, "training.storage"),
        (
            {"training": {"workers": 2, "storage": "postgresql://db/studies"}},
            "training.workers: 2 workers run on Spark",
        ),
        ({"engine": "spark", "training": {"workers": 2}}, "set engine: spark and training.st"),
    ],
)
def test_wrong_settings_are_named(tmp_path, sections, message):
    write_charter(tmp_path, SOURCES, **sections)
    with pytest.raises(CharterError, match=message) as caught:
        Project.load(tmp_path)
    assert "\n" not in str(caught.value).strip()


def test_the_defaults_are_the_embedded_engine_and_no_online_store(tmp_path):
    write_charter(tmp_path, SOURCES)
    charter = Project.load(tmp_path).charter
    assert charter.engine == "duckdb" and charter.online is None
    assert charter.spark.master == "local[*]"
    write_charter(
        tmp_path, SOURCES, engine="spark", spark={"master": "spark://10.0.0.5:7077"},
        online={"url": "redis://:${REDIS_PASSWORD}@cache:6379/0"},
    )  # fmt: skip
    charter = Project.load(tmp_path).charter
    assert charter.engine == "spark" and charter.online.ttl_s == 300
