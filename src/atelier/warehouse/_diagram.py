"""The warehouse's entity-relationship diagram, drawn with matplotlib (no system binary)."""

from dataclasses import dataclass, field
from pathlib import Path

_ROW_HEIGHT = 0.32
_HEADER_HEIGHT = 0.55
_CHAR_WIDTH = 0.085
_LAYER_GAP = 1.4
_TABLE_GAP = 0.5
_HEADER_COLOURS = {"staging": "#2f5d8a", "mart": "#2e7d4f"}


@dataclass(frozen=True)
class TableSchema:
    """A table as the diagram shows it.

    Attributes
    ----------
    schema, name : str
        Where the table lives (``staging``, ``customers``).
    rows : int
        Its row count.
    columns : list of (str, str)
        Column names and types, in order.
    key : list of str
        Columns forming its primary key, drawn with ``PK``.
    personal_data : list of str
        Columns holding personal data, drawn with ``PII``.
    """

    schema: str
    name: str
    rows: int
    columns: list[tuple[str, str]]
    key: list[str] = field(default_factory=list)
    personal_data: list[str] = field(default_factory=list)

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class Relation:
    """A join between two tables: ``child.columns`` refer to ``parent.columns``."""

    child: str
    parent: str
    columns: list[str]
    relationship: str


def draw_schema_diagram(
    tables: list[TableSchema], relations: list[Relation], mart: str, path: Path
) -> Path:
    """Draw the staging tables, their joins, and the mart they build, to a PNG.

    Parameters
    ----------
    tables : list of TableSchema
        Staging tables and the mart table.
    relations : list of Relation
        Joins between staging tables, by qualified name.
    mart : str
        Qualified name of the mart table, drawn last with arrows from its sources.
    path : Path
        Where to write the PNG.

    Returns
    -------
    Path
        ``path``.
    """
    # The object-oriented API: no pyplot, no global figure state, no GUI backend.
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    by_name = {table.qualified_name: table for table in tables}
    layers = _layers(tables, relations, mart)
    width = {name: _box_width(by_name[name]) for name in by_name}
    height = {name: _HEADER_HEIGHT + _ROW_HEIGHT * len(by_name[name].columns) for name in by_name}
    layer_widths = [max(width[name] for name in layer) for layer in layers]
    total_height = max(
        sum(height[name] for name in layer) + _TABLE_GAP * (len(layer) - 1) for layer in layers
    )
    position: dict[str, tuple[float, float]] = {}  # top-left corner of each box
    x = 0.0
    for layer, layer_width in zip(layers, layer_widths, strict=True):
        stacked = sum(height[name] for name in layer) + _TABLE_GAP * (len(layer) - 1)
        y = (total_height + stacked) / 2
        for name in layer:
            position[name] = (x + (layer_width - width[name]) / 2, y)
            y -= height[name] + _TABLE_GAP
        x += layer_width + _LAYER_GAP
    total_width = x - _LAYER_GAP

    figure = Figure(figsize=(max(6.0, total_width * 1.05), total_height + 1.2))
    axes = figure.subplots()
    axes.set_xlim(-0.2, total_width + 0.2)
    axes.set_ylim(-0.3, total_height + 0.9)
    axes.axis("off")
    axes.set_title(
        "Warehouse schema: staging tables, their joins, and the model-ready mart",
        fontsize=12,
        loc="left",
    )

    def row_y(name: str, column: str) -> float:
        names = [col for col, _ in by_name[name].columns]
        top = position[name][1]
        return top - _HEADER_HEIGHT - _ROW_HEIGHT * (names.index(column) + 0.5)

    for name, table in by_name.items():
        left, top = position[name]
        box_width, box_height = width[name], height[name]
        colour = _HEADER_COLOURS.get(table.schema, "#555555")
        axes.add_patch(
            FancyBboxPatch(
                (left, top - box_height),
                box_width,
                box_height,
                boxstyle="round,pad=0,rounding_size=0.06",
                facecolor="white",
                edgecolor=colour,
                linewidth=1.4,
                zorder=2,
            )
        )
        axes.add_patch(
            FancyBboxPatch(
                (left, top - _HEADER_HEIGHT),
                box_width,
                _HEADER_HEIGHT,
                boxstyle="round,pad=0,rounding_size=0.06",
                facecolor=colour,
                edgecolor=colour,
                zorder=3,
            )
        )
        axes.text(
            left + 0.1,
            top - _HEADER_HEIGHT / 2,
            f"{name}  ({table.rows:,} rows)",
            color="white",
            fontsize=9,
            fontweight="bold",
            va="center",
            family="monospace",
            zorder=4,
        )
        for index, (column, data_type) in enumerate(table.columns):
            y = top - _HEADER_HEIGHT - _ROW_HEIGHT * (index + 0.5)
            tags = ("PK " if column in table.key else "   ") + (
                "PII" if column in table.personal_data else "   "
            )
            axes.text(
                left + 0.1,
                y,
                f"{tags} {column}",
                fontsize=8,
                va="center",
                zorder=4,
                family="monospace",
                fontweight="bold" if column in table.key else "normal",
            )
            axes.text(
                left + box_width - 0.1,
                y,
                data_type.lower(),
                fontsize=7.5,
                va="center",
                ha="right",
                family="monospace",
                color="#666666",
                zorder=4,
            )

    for relation in relations:
        column = relation.columns[0]
        child_left, _ = position[relation.child]
        parent_left, _ = position[relation.parent]
        start = (child_left + width[relation.child], row_y(relation.child, column))
        end = (parent_left, row_y(relation.parent, column))
        axes.add_patch(
            FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>",
                mutation_scale=12,
                color="#c0392b",
                linewidth=1.3,
                zorder=5,
            )
        )
        label = "N:1" if relation.relationship == "many_to_one" else "1:1"
        # The arrow links the joined rows, so a short label near its tip suffices.
        axes.text(
            start[0] + 0.8 * (end[0] - start[0]),
            start[1] + 0.8 * (end[1] - start[1]),
            label,
            fontsize=7.5,
            ha="center",
            color="#c0392b",
            zorder=6,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
        )

    mart_left, mart_top = position[mart]
    for name in by_name:
        if name == mart:
            continue
        left, top = position[name]
        start = (left + width[name], top - height[name] / 2)
        end = (mart_left, mart_top - height[mart] / 2)
        axes.add_patch(
            FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>",
                mutation_scale=10,
                color="#2e7d4f",
                alpha=0.35,
                linewidth=1.0,
                linestyle="--",
                zorder=1,
            )
        )
    axes.text(
        0,
        -0.2,
        "PK primary key   PII personal data (never a model feature)   "
        "red: join from a table's column to the table it names (N:1 many rows to one)   "
        "green dashed: columns carried into the mart",
        fontsize=8,
        color="#444444",
    )
    figure.savefig(path, dpi=110, bbox_inches="tight", facecolor="white")
    return path


def _box_width(table: TableSchema) -> float:
    longest_row = max(len(column) + len(data_type) + 7 for column, data_type in table.columns)
    header = 1.15 * (len(table.qualified_name) + len(f"{table.rows:,}") + 9)  # bold is wider
    return _CHAR_WIDTH * max(longest_row, header) + 0.3


def _layers(tables: list[TableSchema], relations: list[Relation], mart: str) -> list[list[str]]:
    """Columns of boxes: a table one layer right of the table it joins to; mart last."""
    depth = {table.qualified_name: 0 for table in tables if table.qualified_name != mart}
    for relation in relations:  # relations come in join order, parents before children
        depth[relation.parent] = depth.get(relation.child, 0) + 1
    layers: dict[int, list[str]] = {}
    for name, level in depth.items():
        layers.setdefault(level, []).append(name)
    ordered = [layers[level] for level in sorted(layers)]
    return [*ordered, [mart]]
