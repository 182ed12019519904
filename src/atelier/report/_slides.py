"""The defence and the data-protection note: slides of the run's facts, timed to the minute.

Each slide says one thing the artifacts show (the question, the data, what the data
showed, the model and its value, its limits and fairness, deployment, personal data,
the plan), in the dossier's words, with one of the dossier's figures. The time of a
talk is shared out by each slide's weight, so that the slides add up to the minutes
asked for; each slide's speaker notes start with its time, and the last one holds the
timing table.
"""

from dataclasses import dataclass
from pathlib import Path

from atelier._text import Text
from atelier.report._artifacts import Artifacts
from atelier.report._deep import deep_sentences
from atelier.report._observations import observations
from atelier.report._plan import plan_sentences
from atelier.report._summary import summary, unit_of


@dataclass
class Slide:
    """One slide: its section, title, points, figure, speaker notes and time.

    ``weight`` is its share of the talk (1 for a plain slide); :func:`timed` turns
    it into ``seconds``.
    """

    section: str
    title: str
    points: list[str]
    notes: str = ""
    figure: Path | None = None
    weight: float = 1.0
    seconds: int = 0


def defence_slides(artifacts: Artifacts, text: Text) -> list[Slide]:
    """The defence: from the question to the plan, in the order a jury follows."""
    charter = artifacts.charter
    project = charter["project"]
    page = summary(artifacts, text)
    seen = observations(artifacts, text)
    unit = unit_of(artifacts, text)
    slides = [
        Slide(
            "title", project["name"], [project["question"]], text("slides_notes_title"), weight=0.5
        ),
        Slide(
            "question",
            text("slides_question"),
            [project["question"], project["decision"], _kpi(project.get("kpi") or {}, text)],
            text("slides_notes_question"),
        ),
    ]
    ingest = artifacts.get("ingest")
    if ingest:
        sources = ingest["sources"]
        slides.append(
            Slide(
                "data",
                text("slides_data"),
                [
                    text(
                        "slides_data_sources",
                        n=len(sources),
                        kinds=", ".join(sorted({s["kind"] for s in sources})),
                        rows=text.number(ingest["mart_rows"]),
                        unit=unit,
                    ),
                    *seen["strengths"][:1],
                ],
                text("slides_notes_data"),
                artifacts.figure("ingest", "diagram")
                or _file(artifacts, "ingest", ingest.get("diagram")),
            )
        )
    profile = artifacts.get("profile")
    if profile:
        findings = profile["findings"]
        worst = sorted(findings, key=lambda f: ("critical", "warning", "info").index(f["severity"]))
        slides.append(
            Slide(
                "findings",
                text("slides_findings"),
                [text("slides_findings_count", n=len(findings))]
                + [f["message"] for f in worst[:3]],
                text("slides_notes_findings"),
                artifacts.figure("explore", "associations") or artifacts.figure("explore", "pca"),
            )
        )
    if page["answer"]:
        slides.append(
            Slide(
                "model",
                text("slides_model"),
                [page["answer"], *page["value"][:2]],
                text("slides_notes_model"),
                artifacts.figure("train", "thresholds") or artifacts.figure("deep", "curves"),
                weight=1.5,
            )
        )
    deep = artifacts.get("deep")
    if deep:
        words = deep_sentences(deep, text, unit)
        slides.append(
            Slide(
                "deep",
                text("slides_deep"),
                [words["comparison"], words["improvements"]],
                words["why"],
                artifacts.figure("deep", "improvements"),
            )
        )
    limits = page["limits"] + seen["weaknesses"]
    fairness = artifacts.get("fairness")
    if limits or fairness:
        slides.append(
            Slide("limits", text("slides_limits"), limits[:4], text("slides_notes_limits"))
        )
    checks = artifacts.checks
    slides.append(
        Slide(
            "deployment",
            text("slides_deployment"),
            [
                text(
                    "slides_api_checked"
                    if (checks.get("api") or {}).get("passed")
                    else "slides_api_unchecked"
                ),
                text(
                    "slides_dashboard_checked"
                    if (checks.get("dashboard") or {}).get("passed")
                    else "slides_dashboard_unchecked"
                ),
            ],
            text("slides_notes_deployment"),
        )
    )
    privacy = artifacts.get("privacy")
    if privacy:
        slides.append(
            Slide(
                "privacy",
                text("slides_privacy"),
                _privacy_points(privacy, text),
                text("slides_notes_privacy"),
            )
        )
    plan = artifacts.get("plan")
    if plan:
        words = plan_sentences(plan, text)
        slides.append(
            Slide(
                "plan",
                text("slides_plan"),
                [words["critical"], words["progress"], *seen["next_steps"][:2]],
                words["chance"],
                artifacts.figure("plan", "gantt"),
            )
        )
    slides.append(Slide("end", text("slides_end"), [], text("slides_notes_end"), weight=0.5))
    return slides


def privacy_slides(artifacts: Artifacts, text: Text) -> list[Slide]:
    """The data-protection note: what personal data there is, and what was done about it."""
    project = artifacts.charter["project"]
    privacy = artifacts.get("privacy") or {}
    register = privacy.get("register") or {}
    dpia = privacy.get("dpia") or {}
    slides = [
        Slide(
            "title",
            text("slides_privacy_title", name=project["name"]),
            [project["question"]],
            text("slides_notes_title"),
            weight=0.5,
        ),
        Slide(
            "privacy",
            text("slides_privacy"),
            _privacy_points(privacy, text),
            text("slides_notes_privacy"),
        ),
        Slide(
            "register",
            text("slides_register"),
            [
                text("slides_register_purpose", purpose=register.get("purpose") or "–"),
                text("slides_register_controller", controller=register.get("controller") or "–"),
                text(
                    "slides_register_bases",
                    bases=", ".join(register.get("legal_bases") or []) or "–",
                ),
            ],
            text("slides_notes_register"),
        ),
        Slide(
            "dpia",
            text("slides_dpia"),
            [
                text("slides_dpia_criteria", met=dpia.get("criteria_met", 0)),
                text("slides_dpia_mandatory" if dpia.get("mandatory") else "slides_dpia_optional"),
                text("slides_ai_act", level=(privacy.get("ai_act") or {}).get("class", "–")),
            ],
            text("slides_notes_dpia"),
        ),
        Slide(
            "security",
            text("slides_security"),
            [
                text("slides_security_measure", threat=row["threat"], measure=row["measure"])
                for row in (privacy.get("security") or [])[:5]
            ],
            text("slides_notes_security"),
        ),
        Slide("end", text("slides_end"), [], text("slides_notes_end"), weight=0.5),
    ]
    return slides


def timed(slides: list[Slide], minutes: float) -> list[Slide]:
    """Share ``minutes`` out by weight, in whole seconds that add up to the total exactly."""
    total = round(minutes * 60)
    weights = sum(slide.weight for slide in slides)
    exact = [total * slide.weight / weights for slide in slides]
    seconds = [int(share) for share in exact]
    # the seconds lost to rounding down go to the slides that lost most
    for index in sorted(range(len(slides)), key=lambda i: seconds[i] - exact[i])[
        : total - sum(seconds)
    ]:
        seconds[index] += 1
    for slide, share in zip(slides, seconds, strict=True):
        slide.seconds = share
    return slides


def _kpi(kpi: dict, text: Text) -> str:
    if not kpi:
        return ""
    return text(
        "slides_kpi",
        name=kpi.get("name", ""),
        baseline=kpi.get("baseline") if kpi.get("baseline") is not None else "–",
        target=kpi.get("target") if kpi.get("target") is not None else "–",
    )


def _privacy_points(privacy: dict, text: Text) -> list[str]:
    findings, rules = privacy.get("findings") or [], privacy.get("rules") or []
    kinds = sorted({finding["kind"] for finding in findings})
    actions = sorted({rule["action"] for rule in rules})
    return [
        text("slides_personal_found", n=len(findings), kinds=", ".join(kinds) or "–"),
        text("slides_personal_done", actions=", ".join(actions) or "–"),
    ]


def _file(artifacts: Artifacts, stage: str, name: str | None) -> Path | None:
    if not name or artifacts.project is None:
        return None
    path = artifacts.project.artifact_dir(stage) / Path(name).name
    return path if path.exists() else None
