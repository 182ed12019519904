"""Process-wide settings, read from ``ATELIER_*`` environment variables.

The charter configures a project; these variables configure the process running it.
They are read when asked for, never cached at import time.
"""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Settings of the running process.

    Attributes
    ----------
    duckdb_memory_limit : str or None
        DuckDB's ``memory_limit`` (``"2GB"``); None keeps DuckDB's default (80% of RAM).
    duckdb_threads : int or None
        Threads DuckDB may use; None keeps DuckDB's default (all cores).
    http_timeout : float
        Seconds to wait for an HTTP source before giving up.
    """

    duckdb_memory_limit: str | None
    duckdb_threads: int | None
    http_timeout: float


def settings() -> Settings:
    """Read the settings from the environment as they are now."""
    threads = os.environ.get("ATELIER_DUCKDB_THREADS")
    return Settings(
        duckdb_memory_limit=os.environ.get("ATELIER_DUCKDB_MEMORY_LIMIT") or None,
        duckdb_threads=int(threads) if threads else None,
        http_timeout=float(os.environ.get("ATELIER_HTTP_TIMEOUT", "30")),
    )


def duckdb_config() -> dict[str, str | int]:
    """DuckDB connection settings from the environment (memory limit, threads)."""
    configured = settings()
    config: dict[str, str | int] = {}
    if configured.duckdb_memory_limit:
        config["memory_limit"] = configured.duckdb_memory_limit
    if configured.duckdb_threads:
        config["threads"] = configured.duckdb_threads
    return config
