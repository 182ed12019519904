"""``atelier plan``: the schedule, its critical path, its chances, its people, its progress.

Reads the charter's ``plan`` (or proposes a CRISP-DM plan tied to atelier's stages
when there is none) and the runner's record of the stages that completed; writes
``.atelier/artifacts/plan/``: the result (PERT durations, CPM dates and slack, the
critical path, the probability of meeting the deadline by the normal approximation
and by Monte Carlo, each person's load per week and a levelled schedule, progress in
earned-value terms), a Gantt chart and the PERT network.
"""

import datetime as dt
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files

import numpy as np
import yaml

from atelier._artifacts import run_records, staged_artifact_dir, write_result
from atelier._project import Project
from atelier._text import Text
from atelier.charter._plan import Plan
from atelier.plan import _figures
from atelier.plan._network import chance_of_meeting, critical_path_method, dependency_graph
from atelier.plan._people import levelled, weekly_load

STAGE = "plan"
PROPOSED_WEEKS = 12  # a proposed plan's deadline, from its start


@dataclass(frozen=True)
class PlanResult:
    """What ``atelier plan`` computed; ``result.json`` holds the same fields.

    Attributes
    ----------
    proposed : bool
        The charter has no plan: this one is atelier's CRISP-DM proposal.
    start, deadline, today : str
        ISO dates.
    tasks : list of dict
        In the plan's order: ``id``, ``name``, ``estimate``, ``after``, ``raci``,
        ``stage``, PERT's ``expected`` and ``variance``, CPM's ``earliest_start``,
        ``earliest_finish``, ``latest_start``, ``latest_finish`` (working days from
        the start), ``slack``, ``critical``, their dates, and progress: ``done``,
        ``done_on``, ``late``.
    duration, variance : float
        Expected working days to the end, and the variance of the critical path.
    critical_path : list of str
    deadline_days : float
        Working days from the start to the deadline.
    chance : dict
        See :func:`atelier.plan._network.chance_of_meeting`.
    load : list of dict
        Per person and week of the CPM schedule (see :func:`weekly_load`).
    levelled : dict
        The levelled schedule (per task ``start``, ``finish``), its ``duration``,
        ``delay`` and ``load``.
    progress : dict
        ``planned_value``, ``earned_value`` (days of work), ``schedule_variance``,
        ``schedule_performance``, ``forecast_days``, ``forecast_end``, ``late``.
    figures : dict of str to str
    duration_s : float
    """

    proposed: bool
    start: str
    deadline: str
    today: str
    tasks: list
    duration: float
    variance: float
    critical_path: list
    deadline_days: float
    chance: dict
    load: list
    levelled: dict
    progress: dict
    figures: dict
    duration_s: float


def plan(project: Project, today: dt.date | None = None) -> PlanResult:
    """Schedule the project's plan and measure its progress; write its artifacts.

    Parameters
    ----------
    project : Project
    today : date or None
        The day progress is measured on; the machine's date when None.

    Returns
    -------
    PlanResult
    """
    started_at, clock = datetime.now(UTC), time.monotonic()
    today = today or dt.date.today()
    charter = project.charter
    proposed = charter.plan is None
    say = Text(charter.project.language)
    the_plan = proposed_plan(today, say) if proposed else charter.plan
    graph = dependency_graph(the_plan.tasks)
    schedule = critical_path_method(graph)
    deadline_days = working_days(the_plan.start, the_plan.deadline)
    chance = chance_of_meeting(graph, schedule, deadline_days)
    cpm_timing = {
        node: {"start": row["earliest_start"], "finish": row["earliest_finish"]}
        for node, row in schedule["tasks"].items()
    }
    load = weekly_load(the_plan.tasks, cpm_timing, the_plan.people)
    level = levelled(graph, the_plan.tasks, schedule, the_plan.people)
    level["load"] = weekly_load(the_plan.tasks, level["tasks"], the_plan.people)
    done = _done_on(project, the_plan)
    rows = [
        _row(task, schedule["tasks"][task.id], the_plan.start, done, today)
        for task in the_plan.tasks
    ]
    progress = _progress(rows, the_plan.start, today, schedule["duration"])
    with staged_artifact_dir(project.artifacts_dir, STAGE) as folder:
        names = {task.id: task.name for task in the_plan.tasks}
        figures = {
            "gantt": _figures.draw_gantt(rows, the_plan.deadline, today, folder / "gantt.png", say),
            "network": _figures.draw_network(
                graph, schedule["tasks"], names, folder / "network.png", say
            ),
        }
        result = PlanResult(
            proposed=proposed,
            start=the_plan.start.isoformat(),
            deadline=the_plan.deadline.isoformat(),
            today=today.isoformat(),
            tasks=rows,
            duration=schedule["duration"],
            variance=schedule["variance"],
            critical_path=schedule["critical_path"],
            deadline_days=deadline_days,
            chance=chance,
            load=load,
            levelled=level,
            progress=progress,
            figures={name: path.name for name, path in figures.items()},
            duration_s=round(time.monotonic() - clock, 3),
        )
        write_result(
            folder,
            stage=STAGE,
            result=result,
            inputs={},
            parameters={"today": today.isoformat(), "proposed": proposed},
            started_at=started_at,
            duration_s=result.duration_s,
        )
    return result


def proposed_plan(today: dt.date, say: Text) -> Plan:
    """CRISP-DM's phases as atelier's stages, from the next Monday, twelve weeks to the deadline.

    The task names are in ``say``'s language.
    """
    text = files("atelier.plan").joinpath("crisp_dm.yaml").read_text(encoding="utf-8")
    tasks = [
        task | {"name": say(f"plan_task_{task['id']}")} for task in yaml.safe_load(text)["tasks"]
    ]
    start = today + dt.timedelta(days=7 - today.weekday())
    deadline = start + dt.timedelta(weeks=PROPOSED_WEEKS)
    return Plan.model_validate({"tasks": tasks, "start": start, "deadline": deadline})


def working_days(start: dt.date, end: dt.date) -> float:
    """Working days (Monday to Friday) from ``start`` to the end of ``end``, both included."""
    return float(np.busday_count(start, end + dt.timedelta(days=1)))


def working_date(start: dt.date, days: float) -> dt.date:
    """The date of the working day ``days`` after ``start`` (day 0 is ``start``'s working day)."""
    return np.busday_offset(start, int(np.floor(days)), roll="forward").astype(dt.date)


def _row(task, timing: dict, start: dt.date, done: dict, today: dt.date) -> dict:
    finish_day = max(timing["earliest_finish"] - 1e-9, timing["earliest_start"])
    latest_day = max(timing["latest_finish"] - 1e-9, timing["latest_start"])
    row = {
        "id": task.id,
        "name": task.name,
        "estimate": list(task.estimate),
        "after": list(task.after),
        "raci": task.raci.model_dump(),
        "stage": task.stage,
        "milestone": task.milestone,
        **timing,
        "start_date": working_date(start, timing["earliest_start"]).isoformat(),
        "finish_date": working_date(start, finish_day).isoformat(),
        "latest_finish_date": working_date(start, latest_day).isoformat(),
        "done": task.id in done,
        "done_on": done.get(task.id),
    }
    row["late"] = not row["done"] and dt.date.fromisoformat(row["latest_finish_date"]) < today
    return row


def _done_on(project: Project, the_plan: Plan) -> dict[str, str | None]:
    """The tasks done, with the date: given in the charter, or the day their stage completed."""
    stages = run_records(project.state_dir)
    done = {}
    for task in the_plan.tasks:
        if task.done is not None:
            done[task.id] = task.done.isoformat()
            continue
        record = stages.get(task.stage or "", {})
        if "finished_at" in record:
            done[task.id] = record["finished_at"][:10]
        elif "not_applicable" in record:
            done[task.id] = None  # nothing to do for this project: done, on no date
    return done


def _progress(rows: list[dict], start: dt.date, today: dt.date, duration: float) -> dict:
    """Earned value in days of work: planned by today against done, and the forecast end."""
    elapsed = working_days(start, today - dt.timedelta(days=1)) if today > start else 0.0
    planned = sum(
        row["expected"] * min(max((elapsed - row["earliest_start"]) / row["expected"], 0.0), 1.0)
        for row in rows
        if row["expected"] > 0
    )
    earned = sum(row["expected"] for row in rows if row["done"])
    performance = earned / planned if planned > 0 else None
    forecast = duration / performance if performance else None
    return {
        "elapsed_days": elapsed,
        "planned_value": planned,
        "earned_value": earned,
        "schedule_variance": earned - planned,
        "schedule_performance": performance,
        "forecast_days": forecast,
        "forecast_end": None
        if forecast is None
        else working_date(start, forecast - 1e-9).isoformat(),
        "late": [row["id"] for row in rows if row["late"]],
    }
