"""The landscape stage: the opportunities scored, the partners compared, the state of the art.

Reads the charter's ``opportunities`` and stakeholders, and the results of the stages
before it; writes ``.atelier/artifacts/landscape/``: each opportunity's score and
whether the retained one fits the company's ecosystem (its sources exist and were
loaded, its decision has an owner among the stakeholders), a value/feasibility matrix,
each component of the chain with its options (``partners.yaml``) and the choice made
from the project's own measurements, and the research behind each method the run used.
"""

import textwrap
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path

import yaml

from atelier._artifacts import stage_result, staged_artifact_dir, write_result
from atelier._project import Project
from atelier._stages import STAGES
from atelier._text import Text
from atelier.landscape._research import state_of_the_art
from atelier.landscape._system import draw_system, information_system

STAGE = "landscape"
RISK_PENALTY = {"low": 0.0, "medium": 0.5, "high": 1.0}
SPARK_ROWS = 50_000_000  # beyond this, or a warehouse larger than memory, one machine strains


@dataclass(frozen=True)
class LandscapeResult:
    """What the landscape stage found; ``result.json`` holds the same fields.

    Attributes
    ----------
    opportunities : list of dict
        Each with its scores, ``score``, ``rank``, and for the retained one ``fits``
        and ``why`` (missing sources, an owner who is no stakeholder).
    information_system : dict
        The systems, flows and remarks (see :func:`atelier.landscape._system.information_system`).
    measurements : dict
        What the choices read: mart rows, warehouse bytes, personal data, AI Act class.
    partners : list of dict
        Per component: ``options`` (from ``partners.yaml``), ``chosen`` and ``why``.
    research : list of dict
        Each method used: ``method``, ``stages``, ``cited``, and its reference.
    figures : dict of str to str
    duration_s : float
    """

    opportunities: list
    information_system: dict
    measurements: dict
    partners: list
    research: list
    figures: dict
    duration_s: float


def landscape(project: Project) -> LandscapeResult:
    """Score the opportunities, compare the partners, cite the research; write the artifacts."""
    started_at, clock = datetime.now(UTC), time.monotonic()
    charter = project.charter
    say = Text(charter.project.language)
    results = _results(project)
    measurements = _measurements(project, results)
    opportunities = _scored(charter, measurements["sources_loaded"])
    partners = _partners(measurements, say)
    research = state_of_the_art(results, charter.project.language)
    answered = (results.get("resources") or {}).get("services") or []
    system = information_system(
        charter, results.get("ingest"), {row["source"]: row["reachable"] for row in answered}
    )
    with staged_artifact_dir(project.artifacts_dir, STAGE) as folder:
        figures = {"information_system": draw_system(system, folder / "system.png", say)}
        if opportunities:
            figures["opportunities"] = _draw_matrix(
                opportunities, folder / "opportunities.png", say
            )
        result = LandscapeResult(
            opportunities=opportunities,
            information_system=system,
            measurements=measurements,
            partners=partners,
            research=research,
            figures={name: path.name for name, path in figures.items()},
            duration_s=round(time.monotonic() - clock, 3),
        )
        write_result(folder, stage=STAGE, result=result, started_at=started_at)
    return result


def _results(project: Project) -> dict[str, dict | None]:
    return {stage.name: stage_result(project.artifacts_dir, stage.artifacts) for stage in STAGES}


def _measurements(project: Project, results: dict) -> dict:
    ingest = results.get("ingest") or {}
    privacy = results.get("privacy") or {}
    warehouse = project.state_dir / "warehouse.duckdb"
    return {
        "mart_rows": ingest.get("mart_rows"),
        "warehouse_bytes": warehouse.stat().st_size if warehouse.exists() else None,
        "personal_data": len(privacy.get("findings") or []),
        "ai_act": (privacy.get("ai_act") or {}).get("class"),
        # the baseline and the final model (made of the others) are no families
        "families": len(
            {m for m in _models(results) if m != "dummy" and not m.startswith("final")}
        ),
        "sources_loaded": sorted(source["name"] for source in ingest.get("sources", [])),
        "network": ((results.get("deep") or {}).get("architecture") or {}).get("kind"),
    }


def _scored(charter, loaded: list[str]) -> list[dict]:
    """Each opportunity's priority: its mean score less a penalty for its risk.

    The retained one fits when it names its sources, each declared and ``loaded`` by
    ingest, and its owner is one of the charter's stakeholders.
    """
    stakeholders = {person.name for person in charter.stakeholders}
    rows = []
    for opportunity in charter.opportunities:
        row = opportunity.model_dump()
        mean = (opportunity.value + opportunity.feasibility + opportunity.data) / 3
        row["score"] = round(mean - RISK_PENALTY[opportunity.risk], 3)
        if opportunity.retained:
            missing = [s for s in opportunity.sources if s not in charter.sources]
            unloaded = [s for s in opportunity.sources if s in charter.sources and s not in loaded]
            ownerless = opportunity.owner is None or opportunity.owner not in stakeholders
            row["why"] = {
                "missing_sources": missing,
                "unloaded_sources": unloaded,
                "owner_is_stakeholder": not ownerless,
            }
            row["fits"] = (
                bool(opportunity.sources) and not missing and not unloaded and not ownerless
            )
        rows.append(row)
    order = sorted(rows, key=lambda row: -row["score"])
    for rank, row in enumerate(order, start=1):
        row["rank"] = rank
    return rows


def _models(results: dict) -> set[str]:
    return {row["model"] for row in (results.get("train") or {}).get("leaderboard", [])}


@cache
def partner_options() -> dict[str, list[dict]]:
    """The options of each component, from the ``partners.yaml`` shipped with atelier."""
    text = files("atelier.landscape").joinpath("partners.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _partners(measurements: dict, say: Text) -> list[dict]:
    """The option chosen for each component, and why, from the project's measurements."""
    rows = measurements["mart_rows"] or 0
    megabytes = (measurements["warehouse_bytes"] or 0) / 1e6
    large = rows > SPARK_ROWS
    sensitive = measurements["personal_data"] > 0 or measurements["ai_act"] == "high"
    reasons = {
        "warehouse": say(
            "partner_why_warehouse", rows=say.number(rows), mb=say.number(megabytes, 1)
        ),
        "big_data": say(
            "partner_why_spark" if large else "partner_why_one_machine",
            rows=say.number(rows),
            bar=say.number(SPARK_ROWS),
        ),
        "training": say("partner_why_training", families=measurements["families"])
        if measurements["families"]
        else say("partner_why_training_deep", network=measurements["network"] or "–"),
        "tracking": say(
            "partner_why_tracking_high"
            if measurements["ai_act"] == "high"
            else "partner_why_tracking"
        ),
        "serving": say("partner_why_serving"),
        "dashboard": say("partner_why_dashboard"),
        "cloud": say(
            "partner_why_cloud_eu" if sensitive else "partner_why_cloud_local",
            n=measurements["personal_data"],
        ),
    }
    only_networks = not measurements["families"] and measurements["network"]
    chosen_instead = {
        "big_data": "Apache Spark" if large else None,
        "cloud": "OVHcloud" if sensitive else None,
        "training": "PyTorch (ONNX Runtime to serve)" if only_networks else None,
    }
    table = []
    for component, options in partner_options().items():
        default = next(option["name"] for option in options if option.get("atelier"))
        table.append(
            {
                "component": component,
                "options": options,
                "chosen": chosen_instead.get(component) or default,
                "why": reasons[component],
            }
        )
    return table


def _draw_matrix(opportunities: list[dict], path: Path, say: Text) -> Path:
    """Value against feasibility; bubble size the data's availability, colour the risk."""
    from atelier.explore._figures import _BLUE, _RED, _figure, _save

    colours = {"low": "#4c956c", "medium": "#e59866", "high": _RED}
    figure, (ax,) = _figure(7, 5.2)
    placed: dict[tuple[int, int], int] = {}  # use cases on the same point: labels stacked
    for row in sorted(opportunities, key=lambda row: -row["data"]):  # small bubbles on top
        ax.scatter(
            row["feasibility"],
            row["value"],
            s=120 * row["data"],
            color=colours[row["risk"]],
            edgecolor=_BLUE if row["retained"] else "white",
            linewidth=3 if row["retained"] else 1,
            alpha=0.85,
        )
        point = (row["feasibility"], row["value"])
        below = placed.get(point, 0)
        placed[point] = below + 1
        ax.annotate(
            row["name"], point, xytext=(10, 8 - 12 * below), textcoords="offset points", fontsize=8
        )
    ax.set_xlim(0.5, 5.5)
    ax.set_ylim(0.5, 5.5)
    ax.axhline(3, color="#cccccc", linewidth=0.8)
    ax.axvline(3, color="#cccccc", linewidth=0.8)
    ax.set_xlabel(say("fig_feasibility"))
    ax.set_ylabel(say("fig_value"))
    ax.set_title(textwrap.fill(say("fig_opportunities"), 70), fontsize=10)
    return _save(figure, path)
