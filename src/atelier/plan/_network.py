"""PERT durations, the critical path by CPM, and the chance of meeting the deadline.

PERT (Malcolm et al., 1959) turns each task's three estimates into an expected
duration ``(o + 4m + p) / 6`` and a variance ``((p - o) / 6)²``. The critical path
method computes each task's earliest and latest start and finish on the graph of
dependencies (``networkx``); a task without slack is critical. The deadline is met
with the probability of the normal law whose mean is the critical path's length and
whose variance is the sum of its tasks' variances, and, side by side, with the share
of Monte Carlo draws (each task's duration drawn from a beta law of PERT's mean and
variance) whose longest path ends in time: the simulation also counts the paths that
are almost critical, which the normal approximation ignores.
"""

import math

import networkx as nx
import numpy as np
from scipy import stats

TOLERANCE = 1e-9  # days: a slack below this is none
DRAWS = 10_000


def pert(estimate) -> tuple[float, float]:
    """Expected duration and variance of ``(optimistic, likely, pessimistic)``."""
    optimistic, likely, pessimistic = estimate
    return (optimistic + 4 * likely + pessimistic) / 6, ((pessimistic - optimistic) / 6) ** 2


def dependency_graph(tasks) -> nx.DiGraph:
    """Tasks as nodes (with ``estimate``), an edge from each task to those that wait for it."""
    graph = nx.DiGraph()
    for task in tasks:
        graph.add_node(task.id, estimate=tuple(task.estimate))
    for task in tasks:
        for before in task.after:
            graph.add_edge(before, task.id)
    return graph


def critical_path_method(graph: nx.DiGraph) -> dict:
    """Earliest and latest start and finish, slack, and the critical path, in days from the start.

    Returns
    -------
    dict
        ``tasks``: per task ``expected``, ``variance``, ``earliest_start``,
        ``earliest_finish``, ``latest_start``, ``latest_finish``, ``slack``,
        ``critical``; ``duration`` (the project's expected length), ``critical_path``
        (task ids in order; of the critical chains, the one of largest variance) and
        ``variance`` (the sum of its tasks' variances).
    """
    order = list(nx.topological_sort(graph))
    expected = {node: pert(graph.nodes[node]["estimate"]) for node in order}
    early_start, early_finish = {}, {}
    for node in order:
        early_start[node] = max((early_finish[p] for p in graph.predecessors(node)), default=0.0)
        early_finish[node] = early_start[node] + expected[node][0]
    duration = max(early_finish.values())
    late_start, late_finish = {}, {}
    for node in reversed(order):
        late_finish[node] = min((late_start[s] for s in graph.successors(node)), default=duration)
        late_start[node] = late_finish[node] - expected[node][0]
    slack = {node: late_start[node] - early_start[node] for node in order}
    critical = {node for node in order if slack[node] < TOLERANCE}
    path = _heaviest_chain(graph, order, critical, early_start, early_finish, expected)
    return {
        "tasks": {
            node: {
                "expected": expected[node][0],
                "variance": expected[node][1],
                "earliest_start": early_start[node],
                "earliest_finish": early_finish[node],
                "latest_start": late_start[node],
                "latest_finish": late_finish[node],
                "slack": max(slack[node], 0.0),
                "critical": node in critical,
            }
            for node in order
        },
        "duration": duration,
        "critical_path": path,
        "variance": sum(expected[node][1] for node in path),
    }


def _heaviest_chain(graph, order, critical, early_start, early_finish, expected) -> list[str]:
    """Of the chains of critical tasks from start to end, the one whose variance is largest."""
    best: dict[str, tuple[float, list[str]]] = {}
    for node in order:
        if node not in critical:
            continue
        feeding = [
            best[p]
            for p in graph.predecessors(node)
            if p in best and abs(early_finish[p] - early_start[node]) < TOLERANCE
        ]
        if not feeding and early_start[node] > TOLERANCE:
            continue  # critical only through a chain that does not start at day 0
        variance, chain = max(feeding, default=(0.0, []), key=lambda item: item[0])
        best[node] = (variance + expected[node][1], [*chain, node])
    duration = max(early_finish.values())
    ends = [best[n] for n in best if abs(early_finish[n] - duration) < TOLERANCE]
    return max(ends, key=lambda item: (item[0], len(item[1])))[1]  # milestones included


def chance_of_meeting(graph: nx.DiGraph, schedule: dict, days: float, seed: int = 0) -> dict:
    """The probability of finishing within ``days`` working days, two ways.

    Parameters
    ----------
    graph : DiGraph
        From :func:`dependency_graph`.
    schedule : dict
        From :func:`critical_path_method`.
    days : float
        Working days from the start to the deadline.
    seed : int
        Of the Monte Carlo draws.

    Returns
    -------
    dict
        ``days``; ``normal``: the probability under the normal approximation (and
        its ``z``); ``monte_carlo``: the share of ``draws`` that end in time, its
        standard error, and the 50th, 80th and 95th percentiles of the duration.
    """
    sigma = math.sqrt(schedule["variance"])
    z = (
        (days - schedule["duration"]) / sigma
        if sigma
        else math.copysign(math.inf, days - schedule["duration"] + TOLERANCE)
    )
    lengths = simulate(graph, DRAWS, seed)
    share = float(np.mean(lengths <= days + TOLERANCE))
    return {
        "days": days,
        "normal": {"probability": float(stats.norm.cdf(z)), "z": z, "sigma": sigma},
        "monte_carlo": {
            "probability": share,
            "standard_error": math.sqrt(share * (1 - share) / DRAWS),
            "draws": DRAWS,
            "seed": seed,
            "percentiles": {
                str(q): float(v)
                for q, v in zip((50, 80, 95), np.percentile(lengths, [50, 80, 95]), strict=True)
            },
        },
    }


def simulate(graph: nx.DiGraph, draws: int, seed: int) -> np.ndarray:
    """The project's length in each of ``draws`` runs, each task drawn from its beta law.

    Each task's law is the beta on ``[optimistic, pessimistic]`` with PERT's mean and
    variance (by the method of moments): the simulation keeps PERT's assumptions about
    each task, so that it differs from the normal approximation only where the network
    does (paths that merge, few tasks on the critical path).
    """
    rng = np.random.default_rng(seed)
    finish = {}
    for node in nx.topological_sort(graph):
        estimate = graph.nodes[node]["estimate"]
        optimistic, _, pessimistic = estimate
        span = pessimistic - optimistic
        if span < TOLERANCE:
            duration = np.full(draws, optimistic, dtype=np.float64)
        else:
            mean = (pert(estimate)[0] - optimistic) / span  # in [1/6, 5/6]
            total = 36 * mean * (1 - mean) - 1  # alpha + beta, for a variance of 1/36
            duration = optimistic + span * rng.beta(mean * total, (1 - mean) * total, draws)
        start = np.zeros(draws)
        for before in graph.predecessors(node):
            start = np.maximum(start, finish[before])
        finish[node] = start + duration
    return np.max(np.vstack(list(finish.values())), axis=0)
