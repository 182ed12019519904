"""The sizing rule: when one machine with DuckDB suffices, when Spark is needed, and at what cost.

From the run's own measurements: the rows loaded and the seconds the load took (the
warehouse's lineage), the bytes written, the machine's memory, each stage's peak
memory, the training time, the API's measured throughput and the charter's
expected load and refresh rates.

- **One machine** loads ``rows_per_s`` rows a second (measured); a refresh may spend
  a quarter of its period loading (``LOAD_SHARE``), the rest is for the stages after
  it. So one machine keeps up to ``rows_per_s * period * LOAD_SHARE`` rows.
- **DuckDB works beyond memory** (it spills to disk), but past about ten times the
  machine's memory (``SPILL_FACTOR``) its joins and sorts spend their time on disk.
- Past either bound, **Spark**: the same stages on a cluster, sources read into the
  Parquet lake by executors.
- **The API** needs ``ceil(expected / measured)`` pods of one worker, at least two.
"""

import math
from importlib.resources import files
from pathlib import Path

import yaml

LOAD_SHARE = 0.25
SPILL_FACTOR = 10
PERIOD_HOURS = {"hourly": 1, "daily": 24, "weekly": 168, "monthly": 730, "yearly": 8760}
DEFAULT_PERIOD = "daily"
PRICES_FILE = "prices.yaml"
_SPARK_NODES = 3  # a driver and two executors: the smallest cluster worth the name


def refresh_period(charter) -> tuple[str, float]:
    """The shortest refresh the charter's sources declare (daily when none says), in hours."""
    declared = [
        (spec.refresh.strip().lower(), PERIOD_HOURS[spec.refresh.strip().lower()])
        for spec in charter.sources.values()
        if spec.refresh and spec.refresh.strip().lower() in PERIOD_HOURS
    ]
    return min(declared, key=lambda item: item[1]) if declared else (DEFAULT_PERIOD, 24.0)


def size(measured: dict) -> dict:
    """Apply the sizing rule to the measurements.

    Parameters
    ----------
    measured : dict
        ``rows``, ``load_s``, ``bytes``, ``memory_gb``, ``period_hours``,
        ``expected_rps`` (or None), ``api_rps`` (or None).

    Returns
    -------
    dict
        ``rows_per_s``, ``max_rows`` and ``max_bytes`` one machine handles,
        ``headroom`` (how many times the data may grow before Spark is needed),
        ``engine`` advised (``duckdb`` or ``spark``), ``pods`` and ``serving_met``
        (the pods answer the expected load: False when the charter states none),
        ``complete`` (every measurement was there).

    Examples
    --------
    >>> found = size({"rows": 10_000, "load_s": 2.0, "bytes": 5e6, "memory_gb": 16,
    ...               "period_hours": 24, "expected_rps": 20, "api_rps": 8.0})
    >>> found["engine"], found["max_rows"], found["pods"]
    ('duckdb', 108000000, 3)
    """
    rows_per_s = measured["rows"] / measured["load_s"] if measured.get("load_s") else None
    max_bytes = measured["memory_gb"] * 2**30 * SPILL_FACTOR
    max_rows = None
    if rows_per_s is not None:
        max_rows = int(rows_per_s * measured["period_hours"] * 3600 * LOAD_SHARE)
    bounds = [max_bytes / measured["bytes"]] if measured.get("bytes") else []
    if max_rows is not None and measured["rows"]:
        bounds.append(max_rows / measured["rows"])
    headroom = min(bounds) if bounds else None
    expected, api = measured.get("expected_rps"), measured.get("api_rps")
    pods = max(2, math.ceil(expected / api)) if expected and api else 2
    return {
        "rows_per_s": None if rows_per_s is None else round(rows_per_s, 1),
        "max_rows": max_rows,
        "max_bytes": int(max_bytes),
        "headroom": None if headroom is None else round(headroom, 1),
        "engine": "duckdb" if headroom is None or headroom >= 1 else "spark",
        "pods": pods,
        # the need is the charter's expected load: without it, no deployment meets it
        "serving_met": bool(api) and bool(expected) and api * pods >= expected,
        "complete": all(
            measured.get(key) is not None for key in ("rows", "load_s", "bytes", "api_rps")
        ),
    }


def load_prices(root: Path) -> dict:
    """The price list: the project's own ``prices.yaml`` if it has one, else atelier's."""
    own = root / PRICES_FILE
    text = (
        own.read_text(encoding="utf-8")
        if own.exists()
        else files("atelier.scale").joinpath(PRICES_FILE).read_text(encoding="utf-8")
    )
    prices = yaml.safe_load(text)
    prices["file"] = str(own) if own.exists() else f"atelier/scale/{PRICES_FILE}"
    return prices


def monthly_costs(prices: dict, *, pods: int, pod_memory_mi: int, batch_hours: float) -> list:
    """Each option's cost per month: the API's cluster, and the batch runs on Spark.

    Parameters
    ----------
    prices : dict
        See :func:`load_prices`.
    pods : int
        The API's pods.
    pod_memory_mi : int
        Memory each pod requests.
    batch_hours : float
        Hours a month of loading and scoring, on a cluster of ``_SPARK_NODES`` nodes.
    """
    hours = prices["hours_per_month"]
    node_mi = prices["node"]["memory_gb"] * 1024
    per_node = max(1, min(int(node_mi // max(pod_memory_mi, 1)), prices["node"]["vcpu"] * 2))
    nodes = math.ceil(pods / per_node)
    rows = []
    for option in prices["options"]:
        rate = prices["usd_to_eur"] if option.get("currency") == "USD" else 1.0
        node_hour = option["node_hour"] * rate
        api = (option.get("control_plane", 0) * rate + node_hour * nodes) * hours
        spark_hour = (node_hour + option.get("spark_fee", 0) * rate) * _SPARK_NODES
        batch = spark_hour * batch_hours
        rows.append(
            {
                "id": option["id"],
                "name": option["name"],
                "country": option["country"],
                "node": option.get("node"),
                "api_nodes": 0 if option["kind"] == "local" else nodes,
                "api_per_month": round(api, 2),
                "batch_per_month": round(batch, 2),
                "total_per_month": round(api + batch, 2),
                "source": option.get("source"),
                "read_on": option.get("read_on"),
            }
        )
    return rows
