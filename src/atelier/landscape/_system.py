"""The company's information system as the charter and the run know it, drawn and commented.

The source systems (each with its kind, owner and refresh rate, and the rows ingest
loaded from it) flow into the warehouse; the warehouse feeds the models and their
registry; the registry's champion is served by the API and the dashboard, and the
dossier reports on all of it; the stakeholders are joined to what they use. What is
missing or fragile is said: a source without a key, an owner or a refresh rate, a
server that did not answer, a component that nobody uses, a project without a sponsor.
"""

import textwrap
from pathlib import Path

import networkx as nx

from atelier._text import Text

COMPONENTS = ("warehouse", "registry", "api", "dashboard", "dossier")


def information_system(charter, ingest: dict | None, reachable: dict[str, bool]) -> dict:
    """The systems, the flows between them, and the remarks on what is missing or fragile.

    Parameters
    ----------
    charter : Charter
    ingest : dict or None
        The ingest stage's result (rows loaded per source).
    reachable : dict of str to bool
        Per source that names a server, whether it answered.

    Returns
    -------
    dict
        ``sources`` (name, system, kind, owner, refresh, rows, key), ``people`` (name,
        role, uses), ``flows`` (from, to, rows, refresh) and ``remarks`` (``kind``,
        ``subject``).
    """
    loaded = {row["name"]: row.get("rows") for row in (ingest or {}).get("sources", [])}
    sources = [
        {
            "name": name,
            "system": spec.system or name,
            "kind": spec.kind,
            "owner": spec.owner,
            "refresh": spec.refresh,
            "rows": loaded.get(name),
            "key": list(spec.key),
        }
        for name, spec in charter.sources.items()
    ]
    people = [
        {"name": person.name, "role": person.role, "uses": list(person.uses)}
        for person in charter.stakeholders
    ]
    flows = [
        {"from": row["name"], "to": "warehouse", "rows": row["rows"], "refresh": row["refresh"]}
        for row in sources
    ]
    flows += [
        {"from": "warehouse", "to": "registry", "rows": None, "refresh": None},
        {"from": "registry", "to": "api", "rows": None, "refresh": None},
        {"from": "registry", "to": "dashboard", "rows": None, "refresh": None},
        {"from": "warehouse", "to": "dossier", "rows": None, "refresh": None},
    ]
    remarks = []
    for row in sources:
        for missing, kind in ((row["key"], "no_key"), (row["owner"], "no_owner")):
            if not missing:
                remarks.append({"kind": kind, "subject": row["name"]})
        if row["refresh"] is None:
            remarks.append({"kind": "no_refresh", "subject": row["name"]})
        if reachable.get(row["name"]) is False:
            remarks.append({"kind": "unreachable", "subject": row["name"]})
    used = {use for person in people for use in person["uses"]}
    remarks += [
        {"kind": "unused", "subject": c} for c in ("api", "dashboard", "dossier") if c not in used
    ]
    if not any(person["role"] == "sponsor" for person in people):
        remarks.append({"kind": "no_sponsor", "subject": "project"})
    return {"sources": sources, "people": people, "flows": flows, "remarks": remarks}


def draw_system(system: dict, path: Path, say: Text) -> Path:
    """Sources on the left, the project's components in the middle, people on the right."""
    from atelier.explore._figures import _BLUE, _GREY, _RED, _figure, _save

    graph = nx.DiGraph()
    labels, colours, layer = {}, {}, {}
    for row in system["sources"]:
        node = f"source:{row['name']}"
        owner = row["owner"] or say("fig_is_no_owner")
        labels[node] = f"{row['system']}\n({row['kind']}; {owner})"
        colours[node], layer[node] = ("#f5cba7" if row["owner"] is None else "#d6eaf8"), 0
    columns = {"warehouse": 1, "registry": 2, "api": 3, "dashboard": 3, "dossier": 3}
    for component in COMPONENTS:
        node = f"component:{component}"
        labels[node] = say(f"fig_is_{component}")
        colours[node], layer[node] = "#d5f5e3", columns[component]
    for person in system["people"]:
        node = f"person:{person['name']}"
        labels[node] = textwrap.fill(f"{person['name']} ({person['role']})", 22)
        colours[node], layer[node] = "#fdfefe", 4
    for node, column in layer.items():
        graph.add_node(node, layer=column)
    for flow in system["flows"]:
        source = (
            f"source:{flow['from']}" if flow["to"] == "warehouse" else f"component:{flow['from']}"
        )
        graph.add_edge(source, f"component:{flow['to']}", label=_flow_label(flow, say))
    for person in system["people"]:
        for use in person["uses"]:
            graph.add_edge(f"component:{use}", f"person:{person['name']}", label="")
    positions = nx.multipartite_layout(graph, subset_key="layer")
    figure, (ax,) = _figure(13, max(5.0, 0.9 * max(len(system["sources"]), len(system["people"]))))
    nx.draw_networkx_edges(
        graph, positions, ax=ax, edge_color=_GREY, arrows=True, arrowsize=12, node_size=3000
    )
    nx.draw_networkx_edge_labels(
        graph,
        positions,
        ax=ax,
        font_size=6,
        edge_labels={edge: data["label"] for edge, data in graph.edges.items() if data["label"]},
    )
    for node, (x, y) in positions.items():
        ax.text(
            x,
            y,
            labels[node],
            ha="center",
            va="center",
            fontsize=7,
            bbox={"boxstyle": "round", "facecolor": colours[node], "edgecolor": _BLUE},
        )
    unreachable = {r["subject"] for r in system["remarks"] if r["kind"] == "unreachable"}
    for name in unreachable:
        x, y = positions[f"source:{name}"]
        ax.text(x, y - 0.08, say("fig_is_unreachable"), ha="center", color=_RED, fontsize=7)
    ax.set_axis_off()
    ax.set_title(say("fig_is_title"))
    return _save(figure, path)


def _flow_label(flow: dict, say: Text) -> str:
    parts = []
    if flow["rows"] is not None:
        parts.append(say("fig_is_rows", rows=say.number(flow["rows"])))
    if flow["refresh"]:
        parts.append(flow["refresh"])
    return ", ".join(parts)
