"""Render the dossier: ``report/index.html`` (self-contained) and ``report/referential.json``."""

import base64
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from atelier._artifacts import library_versions, staged_artifact_dir
from atelier._project import Project
from atelier._text import LANGUAGES, Text
from atelier._version import __version__
from atelier.report._artifacts import STAGES, Artifacts, load_artifacts
from atelier.report._deep import deep_sentences
from atelier.report._ethics import ethics_documents
from atelier.report._facts import money
from atelier.report._observations import observations
from atelier.report._plan import plan_sentences
from atelier.report._privacy import documents, markdown
from atelier.report._referential import referential
from atelier.report._scale import scale_sentences
from atelier.report._sentences import ml_sentences
from atelier.report._summary import summary, unit_of

REPORT_DIR = "report"
FIGURES = {  # name in the dossier: (stage, figure name in its result)
    "schema": ("ingest", None),
    "missing": ("profile", None),
    "by_target": ("explore", "by_target"),
    "associations": ("explore", "associations"),
    "effects": ("explore", "effects"),
    "pca": ("explore", "pca"),
    "ranking": ("explore", "ranking"),
    "clustering": ("explore", "clustering"),
    "leaderboard": ("train", "leaderboard"),
    "thresholds": ("train", "thresholds"),
    "learning_curve": ("train", "learning_curve"),
    "refit_curve": ("train", "refit_curve"),
    "importance": ("train", "importance"),
    "calibration": ("train", "calibration"),
    "deep_architecture": ("deep", "architecture"),
    "deep_range_test": ("deep", "range_test"),
    "deep_curves": ("deep", "curves"),
    "deep_improvements": ("deep", "improvements"),
    "deep_confusion": ("deep", "confusion"),
    "deep_residuals": ("deep", "residuals"),
    "deep_misclassified": ("deep", "misclassified"),
    "plan_gantt": ("plan", "gantt"),
    "landscape_opportunities": ("landscape", "opportunities"),
    "landscape_system": ("landscape", "information_system"),
    "plan_network": ("plan", "network"),
}


def build_report(project: Project, language: str | None = None) -> Path:
    """Write the dossier of ``project`` from its artifacts; return ``report/index.html``.

    Parameters
    ----------
    project : Project
    language : {"en", "fr"} or None
        The dossier's language; the charter's ``project.language`` when None.

    Returns
    -------
    Path

    Raises
    ------
    StageOrderError
        When no stage has run, or the artifacts come from another atelier version.
    """
    artifacts = load_artifacts(project)
    text = Text(language or artifacts.charter["project"]["language"])
    matrix = referential(artifacts)
    html = _template().render(**_context(artifacts, text, matrix))
    # written beside its place and renamed in, like a stage's artifacts: never half-written
    with staged_artifact_dir(project.root, REPORT_DIR) as folder:
        (folder / "index.html").write_text(html, encoding="utf-8")
        _write_privacy_files(artifacts, folder / "privacy")
        (folder / "referential.json").write_text(
            json.dumps(matrix, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return project.root / REPORT_DIR / "index.html"


def _privacy_documents(artifacts: Artifacts, text: Text) -> list[dict]:
    result = artifacts.get("privacy")
    gdpr = documents(result, artifacts.charter, text) if result else []
    return gdpr + ethics_documents(artifacts, text)


def _write_privacy_files(artifacts: Artifacts, folder: Path) -> None:
    """Each GDPR document as Markdown, in French and in English, for the DPO's files."""
    for language in LANGUAGES:
        for document in _privacy_documents(artifacts, Text(language)):
            folder.mkdir(exist_ok=True)
            path = folder / f"{document['id']}.{language}.md"
            path.write_text(markdown(document), encoding="utf-8")


def _template():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=PackageLoader("atelier.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("dossier.html.j2")


def _context(artifacts: Artifacts, text: Text, matrix: list[dict]) -> dict:
    results = {stage: artifacts.get(stage) for stage in STAGES}
    page = summary(artifacts, text)
    figures = {
        name: _inline(_figure_path(artifacts, stage, key)) for name, (stage, key) in FIGURES.items()
    }
    if page["chart"] is not None:
        figures["summary_chart"] = (
            "data:image/png;base64," + base64.b64encode(page["chart"]).decode()
        )
    train = artifacts.get("train") or {}
    costs = money(train) if train else None
    return {
        "t": text,
        "version": __version__,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "charter": artifacts.charter,
        "results": results,
        "summary": page,
        "summary_currency": costs["currency"] if costs else "",
        "figures": {name: uri for name, uri in figures.items() if uri},
        "personal": (artifacts.get("ingest") or {}).get("personal_data") or [],
        "privacy_documents": _privacy_documents(artifacts, text),
        "plan": plan_sentences(results["plan"], text) if results.get("plan") else {},
        "scale": scale_sentences(results["scale"], artifacts.checks, text, train)
        if results.get("scale")
        else {},
        "last_score": artifacts.checks.get("score"),
        "unit": unit_of(artifacts, text),
        "ml": ml_sentences(train, text) if train else {},
        "dl": deep_sentences(results["deep"], text, unit_of(artifacts, text))
        if results.get("deep")
        else {},
        "leaderboard": best_of_each_family(train.get("leaderboard", [])),
        "observations": observations(artifacts, text),
        "api_fields": (artifacts.serving or {}).get("accepted", []),
        "media_input": artifacts.media_input,
        "not_applicable": {
            stage: record["not_applicable"]
            for stage, record in (artifacts.run_state or {}).items()
            if "not_applicable" in record
        },
        "project_folder": artifacts.project.root.name,
        "run_rows": _run_rows(artifacts),
        "versions": library_versions(),
        "matrix": matrix,
        "counts": Counter({"met": 0, "partly": 0, "not_yet": 0})
        + Counter(entry["status"] for entry in matrix),
    }


def _figure_path(artifacts: Artifacts, stage: str, key: str | None) -> Path | None:
    if key is not None:
        return artifacts.figure(stage, key)
    folder = artifacts.project.artifact_dir(stage)
    path = folder / ("schema.png" if stage == "ingest" else "missing.png")
    return path if stage in artifacts.results and path.exists() else None


def _inline(path: Path | None) -> str | None:
    """A PNG as a data URI, so that the dossier opens offline as one file."""
    if path is None:
        return None
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def best_of_each_family(board: list[dict]) -> list[dict]:
    """The leaderboard's trials with each family's best first, then the others.

    A search spends most trials on its best families: listed by score alone, the
    first rows would all be one family's.
    """
    trials = [r for r in board if r.get("trial", -1) >= 0]
    seen, first, rest = set(), [], []
    for row in trials:  # already best first
        (rest if row["model"] in seen else first).append(row)
        seen.add(row["model"])
    return first + rest


def _run_rows(artifacts: Artifacts) -> list[dict]:
    rows = []
    for stage, manifest in artifacts.manifests.items():
        rows.append(
            {
                "stage": stage,
                "finished_at": manifest.get("started_at", "")[:16].replace("T", " "),
                "duration_s": manifest.get("duration_s"),
            }
        )
    return rows
