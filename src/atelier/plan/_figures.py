"""The plan drawn: a Gantt chart and the PERT network."""

import datetime as dt
import textwrap
from pathlib import Path

import networkx as nx

from atelier._text import Text
from atelier.explore._figures import _BLUE, _GREY, _RED, _figure, _save

_DONE = "#4c956c"


def draw_gantt(rows: list[dict], deadline: dt.date, today: dt.date, path: Path, say: Text) -> Path:
    """One bar per task from its planned start to its finish; slack, milestones, today.

    ``rows`` are the result's tasks in plan order, each with ``name``, ``start_date``,
    ``finish_date``, ``latest_finish_date``, ``critical``, ``milestone`` and
    ``done``.
    """
    import matplotlib.dates as mdates
    from matplotlib.patches import Patch

    figure, (ax,) = _figure(11, 0.42 * len(rows) + 1.8)
    for position, row in enumerate(rows):
        start = dt.date.fromisoformat(row["start_date"])
        finish = dt.date.fromisoformat(row["finish_date"])
        latest = dt.date.fromisoformat(row["latest_finish_date"])
        if row["milestone"]:
            ax.plot(start, position, marker="D", color=_RED if row["critical"] else _BLUE)
            continue
        colour = _DONE if row["done"] else _RED if row["critical"] else _BLUE
        ax.barh(position, (finish - start).days + 1, left=start, color=colour, height=0.6)
        if latest > finish:  # slack: how late it may finish without moving the end
            ax.barh(position, (latest - finish).days, left=finish + dt.timedelta(days=1),
                    color=_GREY, alpha=0.3, height=0.6)  # fmt: skip
    ax.set_yticks(range(len(rows)), [row["name"] for row in rows])
    ax.invert_yaxis()
    ax.axvline(deadline, color=_RED, linestyle="--", label=say("fig_plan_deadline"))
    ax.axvline(today, color="k", linestyle=":", label=say("fig_plan_today"))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m"))
    handles = [
        Patch(color=colour, alpha=0.3 if colour == _GREY else 1.0, label=say(words))
        for colour, words in (
            (_RED, "fig_plan_critical"),
            (_BLUE, "fig_plan_other"),
            (_DONE, "fig_plan_done"),
            (_GREY, "fig_plan_slack"),
        )
    ]
    ax.legend(handles=[*handles, *ax.get_lines()[-2:]], loc="upper right", fontsize=8)
    ax.set_title(say("fig_plan_gantt"))
    return _save(figure, path)


def draw_network(graph: nx.DiGraph, tasks: dict, names: dict, path: Path, say: Text) -> Path:
    """The PERT network: each task with its expected duration and slack, critical ones in red."""
    layers: dict = {}  # a task's column: the longest chain of tasks before it
    for node in nx.topological_sort(graph):
        layers[node] = max((layers[p] + 1 for p in graph.predecessors(node)), default=0)
    nx.set_node_attributes(graph, layers, "layer")
    positions = nx.multipartite_layout(graph, subset_key="layer")
    width = max(layers.values()) + 1
    figure, (ax,) = _figure(max(8, 1.7 * width), 4.5)
    critical = {node for node, row in tasks.items() if row["critical"]}
    edges = list(graph.edges)
    nx.draw_networkx_edges(
        graph,
        positions,
        ax=ax,
        edge_color=[_RED if a in critical and b in critical else _GREY for a, b in edges],
        arrows=True,
        arrowsize=12,
        node_size=2600,
    )
    for node, (x, y) in positions.items():
        row = tasks[node]
        ax.text(
            x,
            y,
            say(
                "fig_plan_node",
                name=textwrap.fill(names[node], 18),
                days=f"{row['expected']:.1f}",
                slack=f"{row['slack']:.1f}",
            ),
            ha="center",
            va="center",
            fontsize=7,
            bbox={
                "boxstyle": "round",
                "facecolor": "white",
                "edgecolor": _RED if node in critical else _BLUE,
            },
        )
    ax.set_axis_off()
    ax.set_title(say("fig_plan_network"))
    return _save(figure, path)
