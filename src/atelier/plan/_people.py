"""Each person's load per week against their availability, and a levelled schedule.

A task's work (its expected duration) falls on the people responsible for it, shared
equally, over the working days the schedule gives it. A week in which someone has
more days of work than their availability allows (``5 x availability``) is
over-allocated. The levelled schedule is a serial schedule generation scheme
(Kelley, 1963; Kolisch, 1996): the tasks in order of their latest start, each
starting once its predecessors are finished and its people are free, a person doing
one task at a time and a task lasting ``expected / availability`` of the least
available of its people.
"""

import math

import networkx as nx

WEEK = 5  # working days


def weekly_load(tasks, timing: dict, people) -> list[dict]:
    """Days of work per person and week, with the capacity and whether it is exceeded.

    Parameters
    ----------
    tasks : list of Task
    timing : dict
        Per task id, ``start`` and ``finish`` in working days from the plan's start.
    people : list of Person

    Returns
    -------
    list of dict
        ``person``, ``week`` (0 for the first), ``days``, ``capacity``, ``over``.
    """
    availability = {person.name: person.availability for person in people}
    load: dict[tuple[str, int], float] = {}
    for task in tasks:
        doers = [name for name in task.raci.responsible if name in availability]
        start, finish = timing[task.id]["start"], timing[task.id]["finish"]
        if not doers or finish - start <= 0:
            continue
        work = timing[task.id].get("work", finish - start)  # days of work, whatever its span
        per_day = work / (finish - start) / len(doers)
        day = math.floor(start)
        while day < finish:
            covered = min(finish, day + 1) - max(start, day)
            for name in doers:
                key = (name, day // WEEK)
                load[key] = load.get(key, 0.0) + covered * per_day
            day += 1
    rows = []
    for (name, week), days in sorted(load.items(), key=lambda item: (item[0][1], item[0][0])):
        capacity = WEEK * availability[name]
        rows.append(
            {
                "person": name,
                "week": week,
                "days": round(days, 3),
                "capacity": capacity,
                "over": days > capacity + 1e-9,
            }
        )
    return rows


def levelled(graph: nx.DiGraph, tasks, schedule: dict, people) -> dict:
    """A schedule in which nobody works beyond their availability.

    Returns
    -------
    dict
        ``tasks``: per task id ``start``, ``finish`` and ``work`` in working days;
        ``duration``: the levelled end; ``delay``: by how much it ends after the
        unconstrained critical path.
    """
    availability = {person.name: person.availability for person in people}
    by_id = {task.id: task for task in tasks}
    free_at = dict.fromkeys(availability, 0.0)
    timing: dict[str, dict] = {}
    waiting = {node: set(graph.predecessors(node)) for node in graph.nodes}
    while waiting:
        ready = [node for node, before in waiting.items() if not before - set(timing)]
        node = min(ready, key=lambda n: (schedule["tasks"][n]["latest_start"], n))
        del waiting[node]
        doers = [name for name in by_id[node].raci.responsible if name in availability]
        work = schedule["tasks"][node]["expected"]
        pace = min((availability[name] for name in doers), default=1.0)
        start = max((timing[p]["finish"] for p in graph.predecessors(node)), default=0.0)
        start = max([start, *(free_at[name] for name in doers)])
        finish = start + work / pace
        for name in doers:
            free_at[name] = finish
        timing[node] = {"start": start, "finish": finish, "work": work}
    duration = max((t["finish"] for t in timing.values()), default=0.0)
    return {"tasks": timing, "duration": duration, "delay": duration - schedule["duration"]}
