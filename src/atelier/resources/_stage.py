"""``atelier resources``: what this machine has against what the project measured it needs.

The needs come from the run's own records: the peak memory and CPU time of each stage
(``run.json``, see :mod:`atelier._footprint`), the warehouse's bytes and the mart's
rows, the deep stage's seconds per epoch. Each need is set against what the machine
has, with the gap and what to do about it.
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
from atelier._text import Text
from atelier.resources._machine import machine, services

STAGE = "resources"
MEMORY_HEADROOM = 2.0  # a stage's peak should fit twice in memory: the rest of the machine
SLOW_EPOCH_S = 10.0  # above this per epoch on a CPU, a GPU would pay off
SPARK_ROWS = 50_000_000


@dataclass(frozen=True)
class ResourcesResult:
    """What ``atelier resources`` found; ``result.json`` holds the same fields.

    Attributes
    ----------
    machine : dict
        See :func:`atelier.resources._machine.machine`.
    services : list of dict
        The servers the charter's sources name, and whether they answered.
    stages : list of dict
        Per stage that ran: ``stage``, ``peak_rss_mb``, ``cpu_s``, ``duration_s``.
    needs : list of dict
        ``need``, ``measured``, ``available``, ``enough`` and ``advice``.
    duration_s : float
    """

    machine: dict
    services: list
    stages: list
    needs: list
    duration_s: float


def resources(project: Project) -> ResourcesResult:
    """Measure the machine, read what the stages used, and set one against the other."""
    started_at, clock = datetime.now(UTC), time.monotonic()
    say = Text(project.charter.project.language)
    facts = machine(project.root)
    answered = services(project.charter)
    stages = _stages(project)
    needs = _needs(project, facts, stages, answered, say)
    result = ResourcesResult(
        machine=facts,
        services=answered,
        stages=stages,
        needs=needs,
        duration_s=round(time.monotonic() - clock, 3),
    )
    with staged_artifact_dir(project.artifacts_dir, STAGE) as folder:
        write_result(folder, stage=STAGE, result=result, started_at=started_at)
    return result


def _stages(project: Project) -> list[dict]:
    rows = []
    for name, record in run_records(project.state_dir).items():
        footprint = record.get("footprint") or {}
        if "peak_rss_mb" in footprint:
            rows.append(
                {
                    "stage": name,
                    "peak_rss_mb": footprint["peak_rss_mb"],
                    "cpu_s": footprint["cpu_s"],
                    "duration_s": record.get("duration_s"),
                }
            )
    return rows


def _read(project: Project, stage: str) -> dict:
    return stage_result(project.artifacts_dir, stage) or {}


def _needs(project, facts: dict, stages: list[dict], answered: list[dict], say: Text) -> list:
    needs = []
    if stages:
        heaviest = max(stages, key=lambda row: row["peak_rss_mb"])
        memory_mb = facts["memory_gb"] * 1024
        enough = heaviest["peak_rss_mb"] * MEMORY_HEADROOM <= memory_mb
        needs.append(
            {
                "need": "memory",
                "measured": say(
                    "need_memory", mb=say.number(heaviest["peak_rss_mb"]), stage=heaviest["stage"]
                ),
                "available": say("have_memory", gb=say.number(facts["memory_gb"], 1)),
                "enough": enough,
                "advice": say("advice_memory_ok" if enough else "advice_memory_more"),
            }
        )
        cpu = sum(row["cpu_s"] for row in stages)
        wall = sum(row["duration_s"] or 0 for row in stages)
        needs.append(
            {
                "need": "cpu",
                "measured": say("need_cpu", cpu=say.number(cpu), wall=say.number(wall)),
                "available": say("have_cpu", cores=facts["cores"]),
                "enough": True,
                "advice": say(
                    "advice_cpu",
                    ratio=say.number(cpu / wall if wall else 0, 1),
                    cores=facts["cores"],
                ),
            }
        )
    warehouse = project.state_dir / "warehouse.duckdb"
    if warehouse.exists():
        used_gb = sum(p.stat().st_size for p in project.state_dir.rglob("*") if p.is_file()) / 2**30
        enough = used_gb * 10 <= facts["disk_free_gb"]
        rows = _read(project, "ingest").get("mart_rows") or 0
        needs.append(
            {
                "need": "disk",
                "measured": say("need_disk", gb=say.number(used_gb, 2), rows=say.number(rows)),
                "available": say("have_disk", gb=say.number(facts["disk_free_gb"], 1)),
                "enough": enough,
                "advice": say(
                    "advice_spark"
                    if rows > SPARK_ROWS
                    else "advice_disk_ok"
                    if enough
                    else "advice_disk_more"
                ),
            }
        )
    deep = _read(project, "deep")
    if deep:
        per_epoch = deep["method"].get("seconds_per_epoch") or 0
        on_gpu = deep["method"].get("device") == "cuda"
        enough = on_gpu or per_epoch <= SLOW_EPOCH_S
        gpu = facts["gpu"]
        needs.append(
            {
                "need": "gpu",
                "measured": say(
                    "need_gpu",
                    seconds=say.number(per_epoch, 1),
                    device=deep["method"].get("device"),
                ),
                "available": say("have_gpu", name=gpu["name"]) if gpu else say("have_no_gpu"),
                "enough": enough,
                "advice": say("advice_gpu_ok" if enough else "advice_gpu_cloud"),
            }
        )
    serving = _serving_need(project, say)
    if serving is not None:
        needs.append(serving)
    for service in answered:
        needs.append(
            {
                "need": f"service:{service['source']}",
                "measured": say(
                    "need_service",
                    source=service["source"],
                    host=service["host"],
                    port=service["port"],
                ),
                "available": say("have_service" if service["reachable"] else "have_no_service"),
                "enough": service["reachable"],
                "advice": say(
                    "advice_service_ok" if service["reachable"] else "advice_service_down"
                ),
            }
        )
    return needs


def _serving_need(project: Project, say: Text) -> dict | None:
    """The API's measured throughput (``atelier serve --check``) against the charter's load."""
    expected = project.charter.project.expected_load
    measured = (read_check(project.artifacts_dir, "api") or {}).get("throughput")
    if measured is None:
        return None
    rate = measured["requests_per_second"]
    enough = expected is None or rate >= expected
    return {
        "need": "serving",
        "measured": say("need_serving", expected=say.number(expected) if expected else "–"),
        "available": say("have_serving", rate=say.number(rate)),
        "enough": enough,
        "advice": say(
            "advice_serving_unknown"
            if expected is None
            else "advice_serving_ok"
            if enough
            else "advice_serving_more",
            workers=max(1, -(-int(expected or 1) // max(int(rate), 1))),
        ),
    }
