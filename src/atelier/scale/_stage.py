"""The ``scale`` stage: the big-data choice argued from this run's measurements.

It reads what the other stages and checks recorded (the warehouse's lineage, the
run's footprints, the API's throughput, the deployment kit, the scores written on
Spark) and writes the sizing verdict and each option's monthly cost.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from atelier._artifacts import (
    read_check,
    run_records,
    stage_result,
    staged_artifact_dir,
    write_result,
)
from atelier._project import Project
from atelier.resources._machine import machine
from atelier.scale._lake import LAKE_DIR
from atelier.scale._sizing import load_prices, monthly_costs, refresh_period, size
from atelier.warehouse._lineage import latest_loads

STAGE = "scale"
_DEFAULT_POD_MI = 512


@dataclass(frozen=True)
class ScaleResult:
    """What the ``scale`` stage found; ``result.json`` holds the same fields.

    Attributes
    ----------
    measured : dict
        ``rows``, ``load_s``, ``bytes``, ``memory_gb``, ``cores``, ``period``,
        ``period_hours``, ``expected_rps``, ``api_rps``, ``peak_stage``,
        ``peak_rss_mb``, ``train_s``: what the sizing read, and from where.
    sizing : dict
        See :func:`atelier.scale._sizing.size`.
    engine : dict
        ``used`` (the charter's), ``lake_tables`` written by Spark, ``spark_scores``
        (rows scored on Spark, or None).
    deployment : dict or None
        The kit's check (``checks/deploy.json``): valid, pods, memory, model version.
    costs : list of dict
        Per option (see :func:`atelier.scale._sizing.monthly_costs`).
    prices : dict
        ``file`` and ``currency`` of the price list used.
    duration_s : float
    """

    measured: dict
    sizing: dict
    engine: dict
    deployment: dict | None
    costs: list
    prices: dict
    duration_s: float


def scale(project: Project) -> ScaleResult:
    """Size the project's data and serving from its measurements, and cost each option."""
    started_at, clock = datetime.now(UTC), time.monotonic()
    measured = _measurements(project)
    sizing = size(measured)
    deployment = read_check(project.artifacts_dir, "deploy")
    scored = read_check(project.artifacts_dir, "score")
    pod_mi = (deployment or {}).get("sizing", {}).get("memory_mi") or _DEFAULT_POD_MI
    runs = 730 / measured["period_hours"]
    batch_hours = (
        runs * ((measured["load_s"] or 0) + ((scored or {}).get("duration_s") or 0)) / 3600
    )
    prices = load_prices(project.root)
    lake = project.state_dir / LAKE_DIR / "raw"
    result = ScaleResult(
        measured=measured,
        sizing=sizing,
        engine={
            "used": project.charter.engine,
            "lake_tables": sorted(p.name for p in lake.iterdir() if p.is_dir())
            if lake.exists()
            else [],
            "spark_scores": scored["rows"] if scored and scored.get("engine") == "spark" else None,
        },
        deployment=None
        if deployment is None
        else {
            "valid": deployment.get("valid", False),
            "pods": deployment["sizing"]["replicas"],
            "memory_mi": deployment["sizing"]["memory_mi"],
            "model_version": deployment.get("model_version"),
            "checked_at": deployment.get("checked_at"),
        },
        costs=monthly_costs(
            prices, pods=sizing["pods"], pod_memory_mi=pod_mi, batch_hours=batch_hours
        ),
        prices={"file": prices["file"], "currency": prices["currency"]},
        duration_s=round(time.monotonic() - clock, 3),
    )
    with staged_artifact_dir(project.artifacts_dir, STAGE) as folder:
        write_result(folder, stage=STAGE, result=result, started_at=started_at)
    return result


def _measurements(project: Project) -> dict:
    rows, load_s = _loads(project)
    # what the resources stage found of this machine, just before; probed again without it
    facts = (stage_result(project.artifacts_dir, "resources") or {}).get("machine")
    facts = facts or machine(project.root)
    records = run_records(project.state_dir)
    footprints = {
        name: record["footprint"]["peak_rss_mb"]
        for name, record in records.items()
        if "peak_rss_mb" in (record.get("footprint") or {})
    }
    peak_stage = max(footprints, key=footprints.get) if footprints else None
    api = read_check(project.artifacts_dir, "api") or {}
    period, hours = refresh_period(project.charter)
    stored = [
        path.stat().st_size
        for path in [project.warehouse_path, *(project.state_dir / LAKE_DIR).rglob("*.parquet")]
        if path.exists()
    ]
    return {
        "rows": rows,
        "load_s": load_s,
        "bytes": sum(stored) if stored else None,
        "memory_gb": facts["memory_gb"],
        "cores": facts["cores"],
        "period": period,
        "period_hours": hours,
        "expected_rps": project.charter.project.expected_load,
        "api_rps": (api.get("throughput") or {}).get("requests_per_second"),
        "peak_stage": peak_stage,
        "peak_rss_mb": footprints.get(peak_stage),
        "train_s": (records.get("train") or {}).get("duration_s"),
    }


def _loads(project: Project) -> tuple[int | None, float | None]:
    """Rows and seconds of each source's latest load, from the warehouse's lineage."""
    if not project.warehouse_path.exists():
        return None, None
    with project.connect() as connection:
        loads = latest_loads(connection).values()
    rows = sum(load.row_count for load in loads)
    return (rows, sum(load.duration_s for load in loads)) if rows else (None, None)
