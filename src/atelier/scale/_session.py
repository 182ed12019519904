"""One Spark session per process, started from the charter's ``spark:`` settings."""

import os
import shutil
import socket
import sys
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlparse

from atelier.charter import SparkSettings
from atelier.exceptions import EngineError
from atelier.sources._snapshot import first_line

# JDBC drivers from Debian's packages (libpostgresql-jdbc-java, libmariadb-java): Spark
# finds them on the machine and never fetches a jar from a repository.
JDBC_DRIVERS = {
    "postgresql": ("/usr/share/java/postgresql.jar", "org.postgresql.Driver"),
    "mariadb": ("/usr/share/java/mariadb-java-client.jar", "org.mariadb.jdbc.Driver"),
    "mysql": ("/usr/share/java/mariadb-java-client.jar", "org.mariadb.jdbc.Driver"),
}
_CONNECT_TIMEOUT_S = 3.0


def java_home() -> str | None:
    """The Java installation Spark would use, or None when there is none."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return home
    java = shutil.which("java")
    return str(Path(java).resolve().parent.parent) if java else None


def spark_session(settings: SparkSettings):
    """The process's Spark session, started with ``settings`` on first use.

    Parameters
    ----------
    settings : SparkSettings
        The charter's ``spark:`` section.

    Returns
    -------
    pyspark.sql.SparkSession

    Raises
    ------
    EngineError
        pyspark is not installed, Java is missing, or the master cannot be reached.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError("engine: spark needs pyspark: pip install 'atelier[spark]'") from None
    if java_home() is None:
        raise EngineError(
            "engine: spark needs Java 17 or later, found neither JAVA_HOME nor java on PATH "
            "(Debian: apt-get install openjdk-17-jre-headless)"
        )
    _check_master_reachable(settings.master)
    if settings.master.startswith("local"):
        # Python functions (pseudonyms, scoring) run in this interpreter, with its packages;
        # PySpark reads the variable, not the setting, when it starts its workers.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("atelier").master(settings.master)
    for key, value in _settings(settings).items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as error:  # py4j and Spark raise many types; all mean "did not start"
        raise EngineError(
            f"spark.master {settings.master!r}: Spark did not start: {first_line(error)}"
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def _settings(settings: SparkSettings) -> dict[str, str]:
    jars = sorted({path for path, _ in JDBC_DRIVERS.values() if Path(path).exists()})
    values = {
        "spark.driver.memory": settings.driver_memory,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        # Timestamps without a zone, as DuckDB's TIMESTAMP: a value reads the same in both.
        "spark.sql.timestampType": "TIMESTAMP_NTZ",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    }
    quiet = files("atelier.scale").joinpath("log4j2.properties")
    values["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile=file:{quiet}"
    if settings.master.startswith("local"):
        values["spark.driver.host"] = "127.0.0.1"
        values["spark.driver.bindAddress"] = "127.0.0.1"
    if jars:
        values["spark.jars"] = ",".join(jars)
        values["spark.driver.extraClassPath"] = ":".join(jars)
    values |= {
        key: str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in settings.conf.items()
    }
    return values


def _check_master_reachable(master: str) -> None:
    """Refuse a standalone master that does not answer, instead of Spark's long retries."""
    if not master.startswith("spark://"):
        return
    address = urlparse(master.split(",")[0])
    host, port = address.hostname, address.port or 7077
    try:
        with socket.create_connection((host, port), timeout=_CONNECT_TIMEOUT_S):
            pass
    except OSError as error:
        raise EngineError(
            f"spark.master {master!r}: no Spark master answers at {host}:{port} "
            f"({error.strerror or error})"
        ) from None
