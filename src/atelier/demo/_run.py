"""``atelier demo``: build the demo project, then run every stage that exists."""

import datetime as dt
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

from atelier._project import Project
from atelier.charter import CHARTER_FILE
from atelier.demo._api import serve_plans
from atelier.demo._dataset import churn_table
from atelier.demo._files import SOURCE_FILES, write_sources
from atelier.runner import RunResult, run

PORT_VARIABLE = "ATELIER_DEMO_API_PORT"


def create_demo(
    directory: Path,
    max_trials: int | None = None,
    deep_limits: dict | None = None,
    engine: str = "duckdb",
    families: list[str] | None = None,
    ensemble: bool = True,
) -> Path:
    """Write the demo's charter and data sources into ``directory``.

    Existing data files are kept, so a second call changes nothing; the charter is
    written only if absent, so a user's edits survive. ``max_trials``, ``families``
    and ``ensemble=False``, when given, go into the new charter's ``training`` section, and
    ``deep_limits`` (say ``{"trials": 3, "max_epochs": 12}``) into its ``deep``
    section; ``engine: spark``
    adds the engine and Spark in local mode on this machine's cores.

    Returns
    -------
    Path
        The project folder.
    """
    directory = Path(directory)
    data_dir = directory / "data"
    if not all((data_dir / name).exists() for name in SOURCE_FILES.values()):
        write_sources(churn_table(), data_dir)
    charter = directory / CHARTER_FILE
    if not charter.exists():
        text = files("atelier.demo").joinpath("charter.yaml").read_text(encoding="utf-8")
        if max_trials is not None:
            text = text.replace("\ntraining:\n", f"\ntraining:\n  max_trials: {max_trials:d}\n", 1)
        if families is not None:
            text = text.replace("\ntraining:\n", f"\ntraining:\n  families: {families}\n", 1)
        if not ensemble:
            text = text.replace("\ntraining:\n", "\ntraining:\n  ensemble: false\n", 1)
        head, deep_section = text.split("\ndeep:\n", 1)
        for name, value in (deep_limits or {}).items():
            line = re.compile(rf"^  {name}: .*$", re.MULTILINE)
            if line.search(deep_section):
                deep_section = line.sub(f"  {name}: {value:d}", deep_section, count=1)
            else:
                deep_section = f"  {name}: {value:d}\n" + deep_section
        text = f"{head}\ndeep:\n{deep_section}"
        if engine == "spark":
            text += '\nengine: spark\nspark: {master: "local[*]", driver_memory: 2g}\n'
        charter.write_text(_dated_plan(text, dt.date.today()), encoding="utf-8")
    return directory


def _dated_plan(text: str, today: dt.date) -> str:
    """The demo's plan dated from ``today``: begun on the Monday three weeks before."""
    start = today - dt.timedelta(days=today.weekday(), weeks=3)
    dates = {
        "START_MONDAY": start,
        "DEADLINE": start + dt.timedelta(weeks=12) - dt.timedelta(days=3),  # a Friday
        "FRAMING_DONE": start + dt.timedelta(days=3),
    }
    for placeholder, date in dates.items():
        text = text.replace(placeholder, date.isoformat())
    return text


@contextmanager
def plans_api(project_dir: Path, port: int) -> Iterator[int]:
    """Serve the demo's plans API and point the charter's URL at it while it runs."""
    with serve_plans(project_dir / "data" / SOURCE_FILES["plans"], port) as bound_port:
        previous = os.environ.get(PORT_VARIABLE)
        os.environ[PORT_VARIABLE] = str(bound_port)
        try:
            yield bound_port
        finally:
            if previous is None:
                os.environ.pop(PORT_VARIABLE, None)
            else:
                os.environ[PORT_VARIABLE] = previous


CASES = ("churn", "images", "text", "speech", "transcription")


def run_demo(
    directory: Path,
    *,
    case: str = "churn",
    port: int = 8765,
    train_budget: float | None = None,
    deep_budget: float | None = None,
    max_trials: int | None = None,
    deep_limits: dict | None = None,
    engine: str = "duckdb",
    families: list[str] | None = None,
    ensemble: bool = True,
    listener=None,
) -> RunResult:
    """Create the demo project and ``atelier run`` it, serving its plans API meanwhile.

    Parameters
    ----------
    directory : Path
        Folder of the demo project; created if needed.
    case : {"churn", "images", "text", "speech", "transcription"}, default="churn"
        The churn table spread over heterogeneous sources, Fashion-MNIST's garments
        as a folder of images, French book reviews (free text), French digits
        spoken by espeak-ng's voices, or strings of digits they dictate.
    port : int, default=8765
        Port for the plans API on 127.0.0.1; another free port if it is taken.
    train_budget : float or None
        Seconds for the train stage; the charter's ``training.budget_s`` when None.
    deep_budget : float or None
        Seconds for the deep stage; the charter's ``deep.budget_s`` when None.
    max_trials : int or None
        Written into the charter's ``training.max_trials``: the search stops after
        that many trials, so that the demo's model is the same on any machine.
    deep_limits : dict or None
        Written into the charter's ``deep`` section (``trials``, ``max_epochs``).
    engine : {"duckdb", "spark"}, default="duckdb"
        The churn demo's engine, written into a new charter.
    families : list of str or None
        Written into the charter's ``training.families``: the model families the
        search compares (all available ones when None).
    ensemble : bool, default=True
        False writes ``training.ensemble: false``: the final model is one trial.
    listener : object or None
        Told of each stage's progress (see :func:`atelier.runner.run`).

    Returns
    -------
    RunResult
        Each stage's outcome, the project and the dossier's path.
    """
    if case in ("images", "text", "speech", "transcription"):
        return _run_perception_demo(case, directory, train_budget, deep_budget, listener)
    project = Project.load(
        create_demo(
            directory,
            max_trials=max_trials,
            deep_limits=deep_limits,
            engine=engine,
            families=families,
            ensemble=ensemble,
        )
    )
    with plans_api(project.root, port):
        outcome = run(
            project,
            train_budget=train_budget,
            deep_budget=deep_budget,
            listener=listener,
            report=False,
        )
    # the API and the dashboard are tried on the trained model, and the decks written,
    # before the dossier is, so that it credits them from what they did
    _check_and_report(outcome)
    return outcome


def _check_and_report(outcome: RunResult) -> None:
    """Try the API and the dashboard, write the deployment kit and the decks, then the dossier.

    The API's measured throughput and the kit's validation feed the resources and
    scale stages, run again before the dossier credits them.
    """
    from atelier.dashboard import check_dashboard
    from atelier.deploy import deploy
    from atelier.report import build_report, build_slides
    from atelier.resources import resources
    from atelier.scale._stage import scale
    from atelier.serve import check_api

    check_api(outcome.project)
    check_dashboard(outcome.project)
    deploy(outcome.project)
    resources(outcome.project)
    scale(outcome.project)
    build_slides(outcome.project)  # the defence and the data-protection note, timed
    outcome.report = build_report(outcome.project)


def _run_perception_demo(case, directory, train_budget, deep_budget, listener) -> RunResult:
    from atelier.demo._images import create_images_demo
    from atelier.demo._speech import create_speech_demo, create_transcription_demo
    from atelier.demo._texts import create_text_demo

    create = {
        "images": create_images_demo,
        "text": create_text_demo,
        "speech": create_speech_demo,
        "transcription": create_transcription_demo,
    }[case]
    project = Project.load(create(directory))
    outcome = run(
        project,
        train_budget=train_budget,
        deep_budget=deep_budget,
        listener=listener,
        report=False,
    )
    _check_and_report(outcome)
    return outcome
