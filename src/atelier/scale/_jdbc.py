"""Database sources read by Spark over JDBC, with the drivers Debian packages."""

from pathlib import Path

from atelier.charter import SqlSource, resolve_environment
from atelier.exceptions import SourceError
from atelier.scale._session import JDBC_DRIVERS
from atelier.sources._snapshot import first_line

_BACKENDS = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mariadb",
    "mariadb": "mariadb",
}
_LOGIN_TIMEOUT_S = 5


def jdbc_options(name: str, spec: SqlSource) -> tuple[dict[str, str], str]:
    """Spark's JDBC options for a charter's SQLAlchemy URL, and where it is, safe to log.

    >>> spec = SqlSource(kind="sql", url="postgresql+psycopg://ana:secret@db:5432/crm", table="t")
    >>> options, location = jdbc_options("crm", spec)
    >>> options["url"], options["password"], location
    ('jdbc:postgresql://db:5432/crm', 'secret', 'postgresql+psycopg://ana:***@db:5432/crm [t]')
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(resolve_environment(spec.url, field=f"sources.{name}.url"))
    except ArgumentError:
        raise SourceError(f"source {name!r}: {spec.url!r} is not a SQLAlchemy URL") from None
    location = f"{url.render_as_string(hide_password=True)} [{spec.table or 'query'}]"
    backend = _BACKENDS.get(url.get_backend_name())
    if backend is None:
        raise SourceError(
            f"source {name!r}: engine: spark reads PostgreSQL and MariaDB/MySQL over JDBC, "
            f"not {url.get_backend_name()}"
        )
    jar, driver = JDBC_DRIVERS[backend]
    if not Path(jar).exists():
        package = "libpostgresql-jdbc-java" if backend == "postgresql" else "libmariadb-java"
        raise SourceError(
            f"source {name!r}: Spark needs the JDBC driver {jar} "
            f"(Debian: apt-get install {package})"
        )
    port = f":{url.port}" if url.port else ""
    options = {
        "url": f"jdbc:{backend}://{url.host or '127.0.0.1'}{port}/{url.database or ''}",
        "driver": driver,
        "user": url.username or "",
        "password": url.password or "",
        "loginTimeout": str(_LOGIN_TIMEOUT_S),
    }
    if spec.table is not None:
        options["dbtable"] = spec.table
    else:
        options["query"] = spec.query
    return options, location


def read_jdbc(spark, name: str, spec: SqlSource):
    """A table or query of a database server as a Spark DataFrame.

    Returns
    -------
    tuple of (pyspark.sql.DataFrame, str, dict)
        The rows, where they came from (no password in it), and the details.

    Raises
    ------
    SourceError
        The server refuses the connection, or the table or query does not exist.
    """
    options, location = jdbc_options(name, spec)
    try:
        frame = spark.read.format("jdbc").options(**options).load()
    except Exception as error:  # py4j wraps the driver's SQLException
        reason = (
            first_line(error).replace(options["password"], "***")
            if options["password"]
            else first_line(error)
        )
        raise SourceError(
            f"source {name!r}: cannot read {location} over JDBC: {_cause(reason)}"
        ) from None
    return frame, location, {"reader": "spark jdbc"}


def _cause(reason: str) -> str:
    # py4j's first line names only the Java call; the driver's reason follows the colon.
    return (
        reason.split(": ", 1)[1]
        if reason.startswith("An error occurred") and ": " in reason
        else reason
    )
