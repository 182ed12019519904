"""The ``atelier`` command line: each command parses, calls one public function, reports."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from atelier._stages import STAGE_NAMES
from atelier.exceptions import AtelierError

app = typer.Typer(
    name="atelier",
    help="From a business question and raw data to a deployed, audited model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ProjectOption = Annotated[
    Path, typer.Option("--project", "-p", help="Project folder (holding atelier.yaml).")
]


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn an AtelierError into one line on stderr and exit code 1; Ctrl-C into 130."""
    try:
        yield
    except AtelierError as error:
        typer.echo(f"atelier: error: {error}", err=True)
        raise typer.Exit(code=1) from None
    except KeyboardInterrupt:
        typer.echo("atelier: interrupted; rerun the command to resume", err=True)
        raise typer.Exit(code=130) from None


def _fail(message: str) -> None:
    """One line on stderr naming the flag, and exit code 1."""
    typer.echo(f"atelier: error: {message}", err=True)
    raise typer.Exit(code=1)


def _check_budget(budget: float | None, option: str = "--budget") -> None:
    if budget is not None and not budget > 0:
        _fail(f"{option}: expected a positive number of seconds, got {budget:g}")


EngineOption = Annotated[
    str | None,
    typer.Option(
        help="Process the data with duckdb or spark (default: the charter's engine).",
        metavar="[duckdb|spark]",
    ),
]


def _load_project(directory: Path, engine: str | None = None):
    """The project in ``directory``, its charter's engine replaced by ``--engine``."""
    from atelier._project import Project

    if engine is not None and engine not in ("duckdb", "spark"):
        _fail(f"--engine: expected duckdb or spark, got {engine!r}")
    loaded = Project.load(directory)
    if engine is None or engine == loaded.charter.engine:
        return loaded
    return Project(loaded.root, loaded.charter.model_copy(update={"engine": engine}))


OnlineOption = Annotated[
    str | None,
    typer.Option(
        "--online",
        help="Redis URL of the online store (default: the charter's online.url).",
        metavar="redis://HOST:PORT/DB",
    ),
]

DeepBudgetOption = Annotated[
    float | None,
    typer.Option(help="Seconds for the deep stage (default: deep.budget_s)."),
]


STAGE_CHOICES = ", ".join(STAGE_NAMES) + " or all"


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder of the new project.")] = Path("."),
    force: Annotated[bool, typer.Option(help="Replace an existing atelier.yaml.")] = False,
) -> None:
    """Write a commented charter template (atelier.yaml) to fill in."""
    from atelier.charter import write_template

    with user_errors():
        path = write_template(directory, overwrite=force)
    typer.echo(f"wrote {path}: fill in the question, costs and sources, then `atelier ingest`")


@app.command()
def ingest(
    project: ProjectOption = Path("."),
    force: Annotated[bool, typer.Option(help="Reload every source, even unchanged.")] = False,
    allow_schema_change: Annotated[
        bool, typer.Option(help="Accept sources whose columns changed since their last load.")
    ] = False,
    engine: EngineOption = None,
) -> None:
    """Load every source into the DuckDB warehouse (raw, staging, mart); with Spark, via a lake."""
    from atelier.cli._report import print_ingest
    from atelier.warehouse import ingest as run_ingest

    with user_errors():
        result = run_ingest(
            _load_project(project, engine), force=force, allow_schema_change=allow_schema_change
        )
    print_ingest(result)


@app.command()
def profile(
    file: Annotated[
        Path | None, typer.Argument(help="A CSV, Parquet, JSON or Excel file to profile alone.")
    ] = None,
    project: ProjectOption = Path("."),
    table: Annotated[
        str | None, typer.Option(help="Warehouse table to profile (default: the mart).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Where to write a file's profile.")] = None,
    target: Annotated[str | None, typer.Option(help="A file's target column.")] = None,
    key: Annotated[
        list[str] | None, typer.Option(help="A file's key column(s), checked for duplicates.")
    ] = None,
) -> None:
    """Profile the data: each column's statistics, and every quality finding."""
    from atelier._project import Project
    from atelier.cli._report import print_profile
    from atelier.quality import profile as run_profile
    from atelier.quality import profile_file

    with user_errors():
        if file is not None:
            folder = out or Path(f"{file.stem}-profile")
            result = profile_file(file, folder, target=target, key=key)
        else:
            loaded = Project.load(project)
            result = run_profile(loaded, table)
            folder = loaded.artifact_dir("profile")
    print_profile(result, folder)


@app.command()
def privacy(project: ProjectOption = Path(".")) -> None:
    """Find personal data in the sources, apply the policy, propose it, measure anonymity.

    The proposed policy is written into atelier.yaml when it has no privacy section;
    otherwise it is printed, for you to copy what you accept.
    """
    from atelier._project import Project
    from atelier.cli._report import print_privacy
    from atelier.privacy import privacy as run_privacy
    from atelier.privacy._proposal import write_proposal
    from atelier.warehouse import ingest as run_ingest

    with user_errors():
        loaded = Project.load(project)
        run_ingest(loaded)
        result = run_privacy(loaded)
        written = write_proposal(loaded, result.proposed_policy)
    print_privacy(result)
    if written:
        typer.echo(f"the proposed policy was written into {loaded.charter_path}")
    else:
        typer.echo("atelier.yaml has a privacy section; the policy proposed from the values:")
        typer.echo(result.proposed_policy)


@app.command()
def forget(
    project: ProjectOption = Path("."),
    key: Annotated[
        str, typer.Option(help="The person's key, as COLUMN=VALUE (customer_id=C00042).")
    ] = "",
) -> None:
    """Erase a person from the warehouse and the artifacts; say which models to retrain."""
    from atelier._project import Project
    from atelier.privacy._forget import forget as run_forget
    from atelier.privacy._forget import parse_key

    with user_errors():
        column, value = parse_key(key)
        result = run_forget(Project.load(project), column, value)
    rows = ", ".join(f"{source}: {count}" for source, count in result.rows_removed.items())
    typer.echo(f"forgotten: rows removed ({rows}); logged in audit.erasures without the value")
    if result.models_to_retrain:
        stages = ", ".join(result.models_to_retrain)
        typer.echo(f"models that saw this person: {stages}; `atelier run` retrains them")


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="The file to write: .parquet or .csv.")],
    project: ProjectOption = Path("."),
    force: Annotated[
        bool, typer.Option(help="Export even below the charter's k-anonymity.")
    ] = False,
) -> None:
    """Export the mart, refused while it is less k-anonymous than privacy.k says."""
    from atelier._project import Project
    from atelier.privacy._export import export_mart

    with user_errors():
        rows = export_mart(Project.load(project), out, force=force)
    typer.echo(f"{rows} rows written to {out}")


@app.command()
def clean(project: ProjectOption = Path(".")) -> None:
    """Clean the mart: propose a plan into atelier.yaml if it has none, then apply it."""
    from atelier._project import Project
    from atelier.clean import clean as run_clean
    from atelier.cli._report import print_clean

    with user_errors():
        loaded, result = run_clean(Project.load(project))
    print_clean(result, loaded)


@app.command()
def fairness(project: ProjectOption = Path(".")) -> None:
    """Compare the model's decisions across the groups of fairness.attributes."""
    from atelier._project import Project
    from atelier.cli._report import print_fairness
    from atelier.fairness import fairness as run_fairness

    with user_errors():
        result = run_fairness(Project.load(project))
    print_fairness(result)


@app.command()
def explore(project: ProjectOption = Path(".")) -> None:
    """Explore the data: statistics against the target, associations, PCA, segments."""
    from atelier._project import Project
    from atelier.cli._report import print_explore
    from atelier.explore import explore as run_explore

    with user_errors():
        loaded = Project.load(project)
        result = run_explore(loaded)
    print_explore(result, loaded.artifact_dir("explore"))


@app.command()
def train(
    project: ProjectOption = Path("."),
    budget: Annotated[
        float | None,
        typer.Option(help="Seconds for the whole stage (default: training.budget_s)."),
    ] = None,
    task: Annotated[
        str,
        typer.Option(
            help="predict: the charter's target; clustering: segments of the rows.",
            metavar="[predict|clustering]",
        ),
    ] = "predict",
) -> None:
    """Train: compare model families within a time budget, pick thresholds, register."""
    # the options first: a mistyped one is answered before seconds of imports
    if task not in {"predict", "clustering"}:
        _fail(f"--task: expected predict or clustering, got {task!r}")
    _check_budget(budget)
    from atelier._project import Project
    from atelier.cli._report import print_segments, print_train
    from atelier.learn import train as run_train
    from atelier.learn import train_segments

    with user_errors():
        loaded = Project.load(project)
        if task == "clustering":
            segments = train_segments(loaded)
        else:
            result = run_train(loaded, budget=budget)
    if task == "clustering":
        print_segments(segments, loaded.artifact_dir("segments"))
    else:
        print_train(result, loaded.artifact_dir("learn"))


@app.command()
def deep(
    project: ProjectOption = Path("."),
    budget: Annotated[
        float | None,
        typer.Option(help="Seconds for the whole stage (default: deep.budget_s)."),
    ] = None,
) -> None:
    """Deep learning: build a neural network step by step, explain it, export it to ONNX."""
    _check_budget(budget)
    from atelier._project import Project
    from atelier.cli._report import print_deep
    from atelier.deep import deep as run_deep

    with user_errors():
        loaded = Project.load(project)
        result = run_deep(loaded, budget=budget)
    print_deep(result, loaded.artifact_dir("deep"))


@app.command()
def plan(
    project: ProjectOption = Path("."),
    today: Annotated[
        str | None,
        typer.Option(help="Measure progress on this day (YYYY-MM-DD; default: today)."),
    ] = None,
) -> None:
    """The plan: PERT, the critical path, the deadline's chances, people's load, progress."""
    import datetime as dt

    from atelier._project import Project
    from atelier.cli._report import print_plan
    from atelier.plan import plan as run_plan

    try:
        day = None if today is None else dt.date.fromisoformat(today)
    except ValueError:
        _fail(f"--today: expected a date as YYYY-MM-DD, got {today!r}")
    with user_errors():
        loaded = Project.load(project)
        result = run_plan(loaded, today=day)
    print_plan(result, loaded.artifact_dir("plan"))


@app.command()
def slides(
    project: ProjectOption = Path("."),
    minutes: Annotated[float, typer.Option(help="Length of the defence.")] = 20,
    privacy_minutes: Annotated[float, typer.Option(help="Length of the data-protection note.")] = 5,
    lang: Annotated[str | None, typer.Option(help="en or fr (default: the charter's).")] = None,
) -> None:
    """The defence and the data-protection note: PowerPoint and HTML decks, timed."""
    from atelier._project import Project
    from atelier._text import LANGUAGES
    from atelier.report import build_slides

    if lang is not None and lang not in LANGUAGES:
        _fail(f"--lang: expected one of {', '.join(LANGUAGES)}, got {lang!r}")
    for option, value in (("--minutes", minutes), ("--privacy-minutes", privacy_minutes)):
        if value <= 0:
            _fail(f"{option}: expected a positive number of minutes, got {value:g}")
    with user_errors():
        written = build_slides(Project.load(project), minutes, privacy_minutes, lang)
    for path in written.values():
        typer.echo(path)


@app.command("resources")
def resources_command(project: ProjectOption = Path(".")) -> None:
    """What this machine has, against the memory, CPU, disk and GPU the stages measured."""
    from rich.console import Console
    from rich.table import Table

    from atelier._project import Project
    from atelier.resources import resources

    with user_errors():
        result = resources(Project.load(project))
    facts = result.machine
    console = Console(soft_wrap=True)
    gpu = facts["gpu"]["name"] if facts["gpu"] else "none"
    console.print(
        f"machine: {facts['cores']} cores, {facts['memory_gb']} GB memory, "
        f"{facts['disk_free_gb']} GB free disk, GPU: {gpu}, Java: {facts['java'] or 'none'}"
    )
    table = Table(title="Needs (measured) against the machine", title_justify="left")
    for header in ("need", "measured", "available", "enough", "what to do"):
        table.add_column(header)
    for row in result.needs:
        table.add_row(
            row["need"],
            row["measured"],
            row["available"],
            "yes" if row["enough"] else "no",
            row["advice"],
        )
    console.print(table)
    if not result.stages:
        console.print("no stage measured yet: run `atelier run` first for the needs")


@app.command("run")
def run_all(
    project: ProjectOption = Path("."),
    force: Annotated[
        list[str] | None,
        typer.Option(
            help=f"Rerun this stage even if its inputs did not change: {STAGE_CHOICES}.",
            metavar="STAGE",
        ),
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option(help="Seconds for the train stage (default: training.budget_s)."),
    ] = None,
    deep_budget: DeepBudgetOption = None,
    engine: EngineOption = None,
) -> None:
    """Run every stage in order, skipping those whose inputs did not change, then report."""
    from atelier.cli._progress import StageProgress
    from atelier.runner import run

    unknown = [stage for stage in force or () if stage not in {*STAGE_NAMES, "all"}]
    if unknown:
        _fail(f"--force: unknown stage {unknown[0]!r}; expected {STAGE_CHOICES}")
    _check_budget(budget)
    _check_budget(deep_budget, "--deep-budget")
    with user_errors():
        loaded = _load_project(project, engine)
        with StageProgress() as progress:
            outcome = run(
                loaded,
                force=force or (),
                train_budget=budget,
                deep_budget=deep_budget,
                listener=progress,
            )
    typer.echo(f"dossier: {outcome.report}")


@app.command()
def report(
    project: ProjectOption = Path("."),
    lang: Annotated[
        str | None,
        typer.Option(
            help="The dossier's language (default: the charter's project.language).",
            metavar="[fr|en]",
        ),
    ] = None,
) -> None:
    """Render the dossier (report/index.html) from the artifacts alone, without recomputing."""
    from atelier._project import Project
    from atelier.report import LANGUAGES, build_report

    if lang is not None and lang not in LANGUAGES:
        _fail(f"--lang: expected fr or en, got {lang!r}")
    with user_errors():
        path = build_report(Project.load(project), language=lang)
    typer.echo(f"dossier: {path}")


@app.command()
def serve(
    project: ProjectOption = Path("."),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes.")] = 1,
    max_body_mb: Annotated[
        float, typer.Option(min=0.001, help="Largest request body accepted, in MB.")
    ] = 20.0,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Send the documented request to the API in-process, record the outcome "
            "for the dossier, and exit.",
        ),
    ] = False,
    online: OnlineOption = None,
) -> None:
    """Serve the champion model: a REST API with its docs at /docs (Ctrl-C stops it)."""
    from atelier._project import Project
    from atelier.serve import check_api
    from atelier.serve import serve as run_server

    if check:
        with user_errors():
            outcome = check_api(Project.load(project))
        _report_check("API", outcome)
        return
    with user_errors():
        run_server(
            Project.load(project),
            host=host,
            port=port,
            workers=workers,
            max_body_bytes=int(max_body_mb * 1024 * 1024),
            online_url=online,
        )


@app.command()
def publish(project: ProjectOption = Path("."), online: OnlineOption = None) -> None:
    """Push each key's features (the mart's rows) to Redis, for scoring by key alone."""
    from atelier.online import online_store
    from atelier.serve import ModelService
    from atelier.serve._publish import publish_features

    with user_errors():
        loaded = _load_project(project)
        store = online_store(loaded, online)
        if store is None:
            _fail(
                "publish: no online store; give --online redis://... or online.url in the charter"
            )
        rows = publish_features(loaded, ModelService.from_project(loaded), store)
    typer.echo(f"published {rows:,} keys' features to {store.location}")


@app.command("deploy")
def deploy_command(
    project: ProjectOption = Path("."),
    target: Annotated[
        list[str] | None,
        typer.Option(help="docker or kubernetes (repeatable; default: both).", metavar="TARGET"),
    ] = None,
) -> None:
    """Write the deployment kit into deploy/: Dockerfile, Kubernetes manifests, Spark Job."""
    from atelier.deploy import TARGETS, deploy

    unknown = [name for name in target or () if name not in TARGETS]
    if unknown:
        _fail(f"--target: expected docker or kubernetes, got {unknown[0]!r}")
    with user_errors():
        result = deploy(_load_project(project), tuple(target or TARGETS))
    for check in result.validation:
        state = {True: "passed", False: "FAILED", None: "not run"}[check["passed"]]
        typer.echo(f"{check['tool']}: {check['file']}: {state}")
        for problem in check["problems"][:5]:
            typer.echo(f"  {problem}")
    sizing = result.sizing
    typer.echo(
        f"kit: {result.folder} ({sizing['replicas']} pod(s) of {sizing['memory_mi']} MiB "
        f"for the expected load)"
    )
    if not result.valid:
        raise typer.Exit(code=1)


@app.command()
def score(
    input_path: Annotated[
        Path,
        typer.Option(
            "--input", help="A CSV, Parquet or JSON-lines file, or a folder of Parquet files."
        ),
    ],
    output: Annotated[
        Path, typer.Option(help="Where to write the scores: a Parquet file (a folder on Spark).")
    ],
    project: ProjectOption = Path("."),
    engine: EngineOption = None,
) -> None:
    """Score a file of any size with the champion: keys, prediction, decision, model version."""
    from atelier.serve import ModelService, score_file

    with user_errors():
        loaded = _load_project(project, engine)
        service = ModelService.from_project(loaded)
        if service.request is None:
            _fail("atelier score reads tables; a model of files is served by `atelier serve`")
        if loaded.charter.engine == "spark":
            from atelier.scale._score import score_with_spark

            result = score_with_spark(loaded, service, input_path, output)
        else:
            result = score_file(loaded, service, input_path, output)
    typer.echo(
        f"scored {result.rows:,} rows with {result.model} on {result.engine} in "
        f"{result.duration_s:.1f} s ({result.rows_per_s:,.0f} rows/s): {result.output}"
    )


@app.command()
def dashboard(
    project: ProjectOption = Path("."),
    port: Annotated[int, typer.Option(help="Port of the dashboard, on 127.0.0.1.")] = 8501,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Render every page once, record the outcome for the dossier, and exit."
        ),
    ] = False,
) -> None:
    """Open the dashboard for business users (Streamlit) on http://127.0.0.1:PORT."""
    from atelier._project import Project
    from atelier.dashboard import check_dashboard, run_dashboard

    if check:
        with user_errors():
            outcome = check_dashboard(Project.load(project))
        _report_check("dashboard", outcome)
        return
    with user_errors():
        code = run_dashboard(Project.load(project), port=port)
    raise typer.Exit(code=code)


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Folder to create the demo in.")] = Path(
        "demo-project"
    ),
    case: Annotated[
        str,
        typer.Option(
            help="churn (a table over heterogeneous sources), images (Fashion-MNIST garments), "
            "text (French book reviews), speech (French digits, espeak-ng's voices) or "
            "transcription (digit strings they dictate)."
        ),
    ] = "churn",
    port: Annotated[int, typer.Option(help="Port of the demo's plans API (0: any free).")] = 8765,
    budget: Annotated[
        float | None,
        typer.Option(help="Seconds for the train stage (default: the charter's)."),
    ] = None,
    deep_budget: DeepBudgetOption = None,
    engine: Annotated[
        str, typer.Option(help="The churn demo's engine: duckdb (embedded) or spark (local).")
    ] = "duckdb",
) -> None:
    """Build a demo project from real data, then `atelier run` it: stages and dossier."""
    from atelier.cli._progress import StageProgress
    from atelier.cli._report import print_stages
    from atelier.demo import run_demo
    from atelier.demo._run import CASES

    _check_budget(budget)
    _check_budget(deep_budget, "--deep-budget")
    if case not in CASES:
        typer.echo(f"--case: expected one of {', '.join(CASES)}, got {case!r}", err=True)
        raise typer.Exit(code=2)
    if engine not in ("duckdb", "spark") or (engine == "spark" and case != "churn"):
        expected = "expected duckdb, or spark for the churn case"
        typer.echo(f"--engine: {expected}; got {engine!r}", err=True)
        raise typer.Exit(code=2)
    with user_errors(), StageProgress() as progress:
        outcome = run_demo(
            directory,
            case=case,
            port=port,
            train_budget=budget,
            deep_budget=deep_budget,
            engine=engine,
            listener=progress,
        )
    print_stages(outcome)
    typer.echo(f"demo project: {outcome.project.root}")
    typer.echo(f"dossier: {outcome.report}")
    typer.echo(f"next: atelier serve -p {directory} (the API) · atelier dashboard -p {directory}")


def _report_check(what: str, outcome: dict) -> None:
    if outcome["passed"]:
        typer.echo(f"{what} check passed; recorded for the dossier (atelier report)")
        return
    problems = outcome.get("problem") or "; ".join(
        f"{page['page']}: {page['errors'][0] if page['errors'] else 'empty'}"
        for page in outcome.get("pages", [])
        if page["errors"] or not page["elements"]
    )
    typer.echo(f"atelier: error: {what} check failed: {problems}", err=True)
    raise typer.Exit(code=1)
