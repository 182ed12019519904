"""Run the stages in order, skipping those whose inputs did not change since their last run.

Each stage publishes its artifacts atomically (see :mod:`atelier._artifacts`), and
its fingerprint is recorded in ``.atelier/run.json`` only once it has completed;
so after Ctrl-C or a crash a rerun redoes the interrupted stage and skips the
ones before it.
"""

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from atelier._artifacts import RESULT_FILE, RUN_FILE, run_records
from atelier._footprint import Footprint
from atelier._project import Project
from atelier._stages import BY_NAME, STAGE_NAMES, STAGES, Stage
from atelier.charter import recording_reads
from atelier.exceptions import AtelierError
from atelier.runner._fingerprint import fingerprint, input_digest, output_digest


@dataclass(frozen=True)
class StageOutcome:
    """What happened to one stage in this run.

    Attributes
    ----------
    name : str
    status : str
        ``"ran"``, ``"skipped"`` (inputs unchanged since its last run),
        ``"unavailable"`` (its optional libraries are not installed; ``result`` says
        what to install) or ``"not applicable"`` (it has nothing to work on in this
        project; ``result`` says why).
    duration_s : float
    result : object or None
        The stage's result when it ran.
    """

    name: str
    status: str
    duration_s: float
    result: Any = None


@dataclass
class RunResult:
    """The outcome of :func:`run`: each stage in order, and the dossier written."""

    project: Project
    stages: list[StageOutcome] = field(default_factory=list)
    report: Path | None = None

    def outcome(self, name: str) -> StageOutcome:
        """The outcome of the stage ``name``."""
        return next(stage for stage in self.stages if stage.name == name)


class _Silent:
    def started(self, stage: str) -> None:
        """Called when ``stage`` starts."""

    def finished(self, outcome: StageOutcome) -> None:
        """Called when a stage has run or been skipped."""


def run(
    project: Project,
    *,
    force: tuple[str, ...] | list[str] = (),
    train_budget: float | None = None,
    deep_budget: float | None = None,
    report: bool = True,
    listener=None,
) -> RunResult:
    """Run every stage in order, then render the dossier.

    Parameters
    ----------
    project : Project
    force : sequence of str
        Stages to rerun even if their inputs did not change (``"all"`` for every one).
    train_budget : float or None
        Seconds for the train stage; the charter's ``training.budget_s`` when None.
    deep_budget : float or None
        Seconds for the deep stage; the charter's ``deep.budget_s`` when None.
    report : bool, default=True
        Render ``report/index.html`` at the end.
    listener : object or None
        Told of progress: ``started(name)`` and ``finished(StageOutcome)``.

    Returns
    -------
    RunResult
    """
    unknown = sorted(set(force) - {*STAGE_NAMES, "all"})
    if unknown:
        raise AtelierError(
            f"force: unknown stage {unknown[0]!r}; expected one of {', '.join(STAGE_NAMES)} or all"
        )
    forced = set(STAGE_NAMES) if "all" in force else set(force)
    listener = listener or _Silent()
    state = _read_state(project)
    outcome = RunResult(project=project)
    budgets = {"train": train_budget, "deep": deep_budget}
    footprint = Footprint()
    try:
        _run_stages(project, state, outcome, budgets, forced, listener, footprint)
    finally:
        footprint.close()
    project = outcome.project
    if report:
        from atelier.report import build_report

        listener.started("report")
        started = time.monotonic()
        outcome.report = build_report(project)
        listener.finished(StageOutcome("report", "ran", time.monotonic() - started))
    return outcome


def _run_stages(project, state, outcome, budgets, forced, listener, footprint) -> None:
    """Run or skip each stage in order, recording what ran in ``run.json``."""
    for stage in STAGES:
        listener.started(stage.name)
        parameters = _parameters(project, stage.name, budgets)
        last = state.get(stage.name, {})
        missing = _missing_libraries(stage.name)
        irrelevant = _not_applicable(project, stage.name)
        if missing is not None:
            done = StageOutcome(stage.name, "unavailable", 0.0, missing)
        elif irrelevant is not None:
            done = StageOutcome(stage.name, "not applicable", 0.0, irrelevant)
            state[stage.name] = {"not_applicable": irrelevant}  # for the dossier to say why
            _write_state(project, state)
        elif (
            not stage.always
            and stage.name not in forced
            and _current(project, stage, last, parameters)
        ):
            done = StageOutcome(stage.name, "skipped", 0.0)
        else:
            started = time.monotonic()
            with recording_reads() as read, footprint.stage(stage.name) as measured:
                project, result = _call(stage.name, project, budgets)
            done = StageOutcome(stage.name, "ran", time.monotonic() - started, result)
            # after the stage: clean may have written its plan into the charter
            sections = sorted(read)
            state[stage.name] = {
                "sections": sections,
                "fingerprint": _fingerprint(project, stage, sections, parameters),
                "parameters": parameters,
                "footprint": measured,
                "finished_at": datetime.now(UTC).isoformat(),
                "duration_s": round(done.duration_s, 3),
            }
            _write_state(project, state)
        outcome.stages.append(done)
        outcome.project = project
        listener.finished(done)


def stale_stages(project: Project) -> list[str]:
    """The stages ``run`` would not skip now, judged from what is on disk.

    A stage is stale when it never completed, or when a charter section it read or
    an upstream output changed since. Stages that always run are left out. The
    charter is read again from disk: a stage (clean) may have written into it.
    """
    project = Project.load(project.root)
    state = _read_state(project)
    stale = []
    for stage in STAGES:
        if stage.always or _not_applicable(project, stage.name) is not None:
            continue
        last = state.get(stage.name, {})
        # the parameters it last ran with: a budget given on the command line is no change
        if not _current(project, stage, last, last.get("parameters", {})):
            stale.append(stage.name)
    return stale


def _current(project: Project, stage: Stage, last: dict, parameters: dict) -> bool:
    """The stage's artifacts exist and its inputs hash as when it last completed."""
    sections = last.get("sections")
    published = (project.artifact_dir(stage.artifacts) / RESULT_FILE).exists()
    return (
        published
        and sections is not None
        and last.get("fingerprint") == _fingerprint(project, stage, sections, parameters)
    )


def _missing_libraries(stage: str) -> str | None:
    """What to install before ``stage`` can run, or None when nothing is missing."""
    from importlib.util import find_spec

    if stage == "deep" and find_spec("torch") is None:
        from atelier.learn._neural import torch_missing_message

        return torch_missing_message("the deep stage")
    return None


# stages about a table's columns, which have none to work on when each row is an image
_COLUMN_STAGES = {
    "explore": "the rows are files (images or sounds): the profile describes them",
    "segments": "the rows are files (images or sounds): there are no columns to segment by",
    "fairness": "the rows are files (images or sounds), with no attribute of a person to audit",
}


def _not_applicable(project: Project, stage: str) -> str | None:
    """Why ``stage`` has nothing to do in this project, or None when it has."""
    from atelier.charter import is_media_source

    charter = project.charter
    if stage == "train" and charter.target.task == "transcription":
        return (
            "a transcript is a sequence of characters, which the classical families do not "
            "write: the deep stage's transcriber is the model"
        )
    if stage in _COLUMN_STAGES and is_media_source(charter.sources[charter.mart.base]):
        return _COLUMN_STAGES[stage]
    if stage in ("explore", "segments"):
        text = _only_text(project)
        if text:
            return (
                f"the only feature is free text ({', '.join(text)}): the profile describes it "
                "and the models read its words"
            )
    return None


def _only_text(project: Project) -> list[str]:
    """The text columns, when the mart has no other feature; else an empty list."""
    from atelier._naming import snake_case
    from atelier.charter import text_columns

    charter = project.charter
    text = sorted(text_columns(charter))
    profile = project.artifact_dir("profile") / RESULT_FILE
    if not text or not profile.exists():
        return []
    columns = {column["name"] for column in json.loads(profile.read_text())["columns"]}
    keys = {snake_case(k) for k in charter.sources[charter.mart.base].key}
    dropped = set(charter.cleaning.drop_columns) if charter.cleaning is not None else set()
    others = columns - set(text) - keys - dropped - {charter.target.column}
    return text if not others else []


def _parameters(project: Project, stage: str, budgets: dict) -> dict:
    charter = project.charter
    defaults = {"train": charter.training.budget_s, "deep": charter.deep.budget_s}
    if stage in defaults:
        budget = budgets[stage] if budgets[stage] is not None else defaults[stage]
        return {"budget_s": float(budget)}
    return {}


def _fingerprint(project: Project, stage: Stage, sections: list[str], parameters: dict) -> str:
    """The hash of what ``stage`` reads.

    That is the charter ``sections`` it read when it last ran, the outputs of its
    upstream stages, and its parameters.
    """
    charter = project.charter.model_dump(mode="json")
    upstream = {}
    for name in stage.upstream:
        folder = project.artifact_dir(BY_NAME[name].artifacts)
        # ingest's result says which sources were reloaded; its inputs say what they hold
        upstream[name] = input_digest(folder) if name == "ingest" else output_digest(folder)
    read = {name: charter.get(name) for name in sections}
    return fingerprint(stage.name, read, upstream, parameters)


def _call(name: str, project: Project, budgets: dict) -> tuple[Project, Any]:
    """Run one stage; return the project (reloaded when the stage changed the charter)."""
    if name == "ingest":
        from atelier.warehouse import ingest

        return project, ingest(project)
    if name == "privacy":
        from atelier.privacy import privacy

        return project, privacy(project)
    if name == "profile":
        from atelier.quality import profile

        return project, profile(project)
    if name == "clean":
        from atelier.clean import clean

        return clean(project)  # the plan it proposes is written into the charter
    if name == "explore":
        from atelier.explore import explore

        return project, explore(project)
    if name == "train":
        from atelier.learn import train

        return project, train(project, budget=budgets["train"])
    if name == "fairness":
        from atelier.fairness import fairness

        return project, fairness(project)
    if name == "plan":
        from atelier.plan import plan

        return project, plan(project)
    if name == "landscape":
        from atelier.landscape import landscape

        return project, landscape(project)
    if name == "resources":
        from atelier.resources import resources

        return project, resources(project)
    if name == "scale":
        from atelier.scale._stage import scale

        return project, scale(project)
    if name == "segments":
        from atelier.learn import train_segments

        return project, train_segments(project)
    from atelier.deep import deep

    return project, deep(project, budget=budgets["deep"])


def _read_state(project: Project) -> dict:
    return run_records(project.state_dir)  # an unreadable record: every stage reruns


def _write_state(project: Project, stages: dict) -> None:
    """Replace ``run.json`` in one rename, so that it is never half-written."""
    project.state_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".run-", dir=project.state_dir)
    with os.fdopen(handle, "w") as stream:
        json.dump({"stages": stages}, stream, indent=2)
    os.replace(temporary, project.state_dir / RUN_FILE)
