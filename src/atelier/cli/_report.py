"""How the command line shows a stage's result."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:  # a command imports only the stage it runs
    from atelier._project import Project
    from atelier.clean import CleanResult
    from atelier.deep import DeepResult
    from atelier.explore import ExploreResult
    from atelier.learn import SegmentsResult, TrainResult
    from atelier.quality import ProfileResult
    from atelier.warehouse import IngestResult

_SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


def print_ingest(result: IngestResult) -> None:
    """Print the sources loaded, the mart built, and where the files are."""
    console = Console(soft_wrap=True)  # paths stay whole, to copy and paste
    table = Table(title="Sources", title_justify="left")
    for header in ("source", "kind", "status", "rows", "columns", "seconds"):
        table.add_column(
            header, justify="right" if header in {"rows", "columns", "seconds"} else "left"
        )
    for source in result.sources:
        table.add_row(
            source.name,
            source.kind,
            source.status,
            f"{source.rows:,}",
            str(source.columns),
            f"{source.duration_s:.2f}",
        )
    console.print(table)
    for join in result.joins:
        if join.unmatched_rows:
            console.print(
                f"[yellow]note:[/] {join.unmatched_rows:,} row(s) of the mart found no match "
                f"in {join.source!r} on {', '.join(join.on)}"
            )
    state = "rebuilt" if result.mart_rebuilt else "unchanged"
    console.print(f"mart: {result.mart_table} ({result.mart_rows:,} rows, {state})")
    console.print(f"warehouse: {result.warehouse}")
    if result.online is not None:
        drained = result.online
        if "note" in drained:
            console.print(
                f"[yellow]note:[/] predictions left in the online store: {drained['note']}"
            )
        else:
            console.print(
                f"monitoring: {drained['drained']:,} prediction(s) drained from {drained['store']} "
                "into monitoring.predictions"
            )
    console.print(f"schema diagram: {result.diagram}")


def print_profile(result: ProfileResult, folder: Path) -> None:
    """Print the findings, most severe first, and where the profile was written."""
    console = Console(soft_wrap=True)
    console.print(
        f"{result.table}: {result.rows:,} rows, {len(result.columns)} columns, "
        f"{len(result.findings)} findings ({result.duration_s:.2f} s)"
    )
    table = Table(show_header=True, header_style="bold")
    for header in ("severity", "kind", "rows", "finding", "fix"):
        table.add_column(header, justify="right" if header == "rows" else "left")
    for finding in result.findings:
        style = _SEVERITY_STYLE[finding.severity]
        table.add_row(
            f"[{style}]{finding.severity}[/]",
            finding.kind,
            f"{finding.rows:,}",
            finding.message,
            finding.fix,
        )
    console.print(table)
    console.print(f"profile: {folder / 'result.json'}")


def print_clean(result: CleanResult, project: Project) -> None:
    """Print each cleaning action and the table written."""
    console = Console(soft_wrap=True)
    if result.plan_proposed:
        console.print(f"cleaning plan proposed and written into {project.charter_path}")
    table = Table(title="Cleaning", title_justify="left")
    for header in ("action", "column", "rows changed"):
        table.add_column(header, justify="right" if header == "rows changed" else "left")
    for action in result.actions:
        table.add_row(action["action"], action["column"] or "(rows)", f"{action['rows']:,}")
    console.print(table)
    console.print(
        f"cleaned: {result.cleaned_table} ({result.rows_after:,} rows, "
        f"from {result.rows_before:,} in {result.table})"
    )


def print_explore(result: ExploreResult, folder: Path) -> None:
    """Print the strongest relations with the target, the segments, and the charts' folder."""
    console = Console(soft_wrap=True)
    sample = f" (a sample of {result.rows_analysed:,})" if result.sampled else ""
    console.print(f"{result.table}: {result.rows:,} rows{sample}, target {result.target}")
    table = Table(title=f"Related to {result.target}", title_justify="left")
    for header in ("feature", "test", "effect", "p (BH-adjusted)"):
        table.add_column(header)
    for test in [t for t in result.against_target if t.get("p_adjusted") is not None][:8]:
        table.add_row(
            test["feature"],
            test["test"],
            f"{test['effect_name']} = {test['effect_size']:.3f}",
            f"{test['p_adjusted']:.2g}",
        )
    console.print(table)
    for profile in result.clustering.get("profiles", []):
        console.print(f"- {profile['summary']}")
    console.print(f"charts: {folder}")


def print_train(result: TrainResult, folder: Path) -> None:
    """Print the leaderboard's best rows, the choice, the hold-out scores and the threshold."""
    console = Console(soft_wrap=True)
    console.print(
        f"{result.table}: {result.rows_train:,} training rows, {result.rows_holdout:,} held out; "
        f"{result.task}, {result.metric}; {result.validation}"
    )
    table = Table(title="Leaderboard (best first)", title_justify="left")
    for header in ("model", f"cv {result.metric}", "spread", "fit s", "status"):
        table.add_column(header)
    for row in result.leaderboard[:10]:
        spread = row.get("cv_std")
        table.add_row(
            str(row["model"]),
            f"{row['cv_mean']:.4f}",
            "" if spread is None else f"{spread:.4f}",
            "" if row.get("fit_s") is None else f"{row['fit_s']:.1f}",
            str(row["status"]),
        )
    console.print(table)
    console.print(f"chosen: {result.choice['why']}")
    versus = result.comparison
    noise = "beyond" if versus["beats_baseline"] else "within"
    console.print(
        f"hold-out {result.metric}: {versus['model']:.4f} against {versus['baseline']:.4f} for "
        f"the baseline; gain {versus['gain_low']:.4f} to {versus['gain_high']:.4f} "
        f"({versus['interval']:.0%} interval): {noise} the hold-out's noise"
    )
    if result.thresholds:
        console.print(result.thresholds["in_plain_words"])
    for note in result.notes:
        console.print(f"- {note}")
    console.print(f"{_registered(result.registry)}; charts: {folder}")


def print_segments(result: SegmentsResult, folder: Path) -> None:
    """Print the number of segments, why, and each segment in plain words."""
    console = Console(soft_wrap=True)
    console.print(f"{result.table}: {result.rows:,} rows in {result.k} segments; {result.why}")
    for profile in result.profiles:
        console.print(f"- {profile['summary']}")
    console.print(f"{_registered(result.registry)}; chart: {folder}")


def _shape(config: dict) -> str:
    """The network's size in a few words: layers, filters or embedding."""
    if "time_stride" in config:  # a transcriber
        return (
            f"2 convolutional blocks ({config['channels']} filters), a bidirectional GRU "
            f"({config['hidden']} units each way), CTC"
        )
    if "channels" in config:  # images
        filters = ", ".join(str(c) for c in config["channels"])
        return f"{len(config['channels'])} convolutional blocks ({filters} filters)"
    if "embedding" in config:  # text
        return f"word embeddings of {config['embedding']} dimensions"
    layers = config["layers"]
    return f"{len(layers)} hidden layers ({', '.join(str(units) for units in layers)} units)"


def print_deep(result: DeepResult, folder: Path) -> None:
    """Print the network, its training, the steps kept, and the hold-out comparison."""
    console = Console(soft_wrap=True)
    architecture, method, curves = result.architecture, result.method, result.curves
    console.print(
        f"{result.table}: {architecture['kind']} network, {_shape(architecture['config'])}, "
        f"{architecture['parameters']:,} parameters; trained on {method['device']}"
    )
    console.print(
        f"{method['optimiser']}, learning rate {method['learning_rate']:.2g} "
        f"({method['schedule']}), "
        f"{method['epochs']} epochs, best {method['best_epoch']} ({method['stopped_by']}); "
        f"{method['seconds_per_epoch']:.3f} s per epoch; curves: {curves['diagnosis']['kind']}"
    )
    table = Table(title="Improvements (validation)", title_justify="left")
    for header in ("step", result.metric, "change", "kept"):
        table.add_column(header)
    for step in result.improvements["steps"]:
        if "skipped" in step:
            table.add_row(step["step"], "", "", f"skipped: {step['skipped']}")
        else:
            table.add_row(
                step["step"],
                f"{step['validation']:.4f}",
                f"{step['delta']:+.4f}",
                "yes" if step["kept"] else "no",
            )
    console.print(table)
    versus = result.indicators["comparison"]
    if versus["better"]:
        verdict = "better beyond the hold-out's noise"
    elif versus["gain_high"] < 0:
        verdict = "worse beyond the hold-out's noise"
    else:
        verdict = "within the hold-out's noise"
    transcribed = result.task == "transcription"
    reference = "the constant answer" if transcribed else "classical"
    console.print(
        f"hold-out {result.metric}: network {versus['candidate']:.4f}, {reference} "
        f"{versus['reference']:.4f}; gain {versus['gain_low']:.4f} to {versus['gain_high']:.4f}: "
        f"{verdict}"
    )
    console.print(
        f"ONNX equal to torch within {result.onnx['tolerance']:g} "
        f"(largest difference {result.onnx['max_abs_difference']:.1e})"
    )
    console.print(f"{_registered(result.registry, transcribed)}; charts: {folder}")


def _registered(registry: dict, transcribed: bool = False) -> str:
    where = f"registered {registry['registered_model']} version {registry['version']}"
    if registry["alias"] is None:
        stays = "no model is served" if transcribed else "the champion stays the classical model"
        return f"{where}; {stays}"
    return f"{where} as @{registry['alias']}"


def print_landscape(result) -> None:
    """The opportunity retained, the partners chosen, and the research cited."""
    console = Console(soft_wrap=True)
    retained = [row for row in result.opportunities if row["retained"]]
    if retained:
        fits = "fits" if retained[0]["fits"] else "does not fit"
        console.print(
            f"opportunity retained: {retained[0]['name']} (rank {retained[0]['rank']} of "
            f"{len(result.opportunities)}; {fits} the company's sources and owners)"
        )
    chosen = ", ".join(f"{row['component']}: {row['chosen']}" for row in result.partners)
    console.print(f"partners chosen: {chosen}")
    cited = sum(row["cited"] for row in result.research)
    console.print(f"state of the art: {cited} of {len(result.research)} methods used are cited")


def print_scale(result) -> None:
    """The engine the measurements call for, the API's pods, and the cheapest cloud option."""
    console = Console(soft_wrap=True)
    sizing = result.sizing
    grow = f", the data can grow {sizing['headroom']:,.0f}x first" if sizing["headroom"] else ""
    console.print(
        f"scale: {sizing['engine']} suffices{grow}"
        if sizing["engine"] == "duckdb"
        else "scale: Spark is needed: one machine cannot keep up (engine: spark)"
    )
    paid = sorted(
        (row for row in result.costs if row["id"] != "local"), key=lambda r: r["total_per_month"]
    )
    if paid:
        console.print(
            f"serving: {sizing['pods']} pod(s); cheapest cloud option {paid[0]['name']}, "
            f"{paid[0]['total_per_month']:,.0f} {result.prices['currency']} a month"
        )


def print_plan(result, folder: Path) -> None:
    """The critical path, the chance of meeting the deadline, overloads and progress."""
    console = Console(soft_wrap=True)
    origin = "proposed (CRISP-DM; write a plan: section to replace it)" if result.proposed else ""
    console.print(
        f"plan {origin}: {len(result.tasks)} tasks from {result.start}, deadline "
        f"{result.deadline} ({result.deadline_days:g} working days)"
    )
    console.print(
        f"expected length {result.duration:.1f} working days (sigma "
        f"{result.variance**0.5:.1f}); critical path: {' -> '.join(result.critical_path)}"
    )
    chance = result.chance
    console.print(
        f"chance of meeting the deadline: {chance['normal']['probability']:.1%} (normal "
        f"approximation), {chance['monte_carlo']['probability']:.1%} (Monte Carlo, "
        f"{chance['monte_carlo']['draws']:,} draws)"
    )
    over = sorted({(row["person"], row["week"]) for row in result.load if row["over"]})
    if over:
        weeks = ", ".join(f"{person} week {week + 1}" for person, week in over[:6])
        console.print(
            f"[yellow]over-allocated:[/] {weeks}; levelled, the plan ends "
            f"{result.levelled['delay']:.1f} working days later"
        )
    progress = result.progress
    done = sum(row["done"] for row in result.tasks)
    console.print(
        f"progress on {result.today}: {done} of {len(result.tasks)} tasks done; earned "
        f"{progress['earned_value']:.1f} of {progress['planned_value']:.1f} planned days"
        + (f"; late: {', '.join(progress['late'])}" if progress["late"] else "")
    )
    console.print(f"Gantt chart and PERT network: {folder}")


def print_privacy(result) -> None:
    """The personal data found in the sources, what was done, and the mart's anonymity."""
    console = Console()
    actions = {(rule["source"], rule["column"]): rule["action"] for rule in result.rules}
    for finding in result.findings:
        action = actions.get((finding["source"], finding["column"]), "left for review")
        console.print(
            f"{finding['source']}.{finding['column']}: {finding['kind']} "
            f"({finding['share']:.0%} of {finding['sampled']} values): {action}",
            markup=False,
        )
    if not result.findings:
        console.print("privacy: no personal data found in the sources")
    if result.anonymity is not None:
        a = result.anonymity
        console.print(
            f"k-anonymity on {', '.join(a['quasi_identifiers'])}: k = {a['k']} "
            f"(target {a['k_target']}), {a['rows_at_risk']} rows at risk"
        )


def print_fairness(result) -> None:
    """Each attribute's selection ratio and odds gap, flagged past the usual limits."""
    console = Console()
    if result.note is not None:
        console.print(f"fairness: nothing measured ({result.note.replace('_', ' ')})")
    for audit in result.audits:
        flags = ", ".join(audit["flags"]) or "within the limits"
        after = audit["mitigation"]["after"]
        console.print(
            f"fairness by {audit['attribute']}: selection ratio "
            f"{audit['demographic_parity_ratio']:.2f}, odds gap "
            f"{audit['equalized_odds_difference']:.2f} ({flags}); reweighted: "
            f"{after['demographic_parity_ratio']:.2f}, {after['equalized_odds_difference']:.2f}"
        )


def print_stages(outcome) -> None:
    """Print the result of each stage that ran in an ``atelier run``; name those skipped."""
    project = outcome.project
    printers = {
        "ingest": print_ingest,
        "privacy": print_privacy,
        "profile": lambda r: print_profile(r, project.artifact_dir("profile")),
        "clean": lambda r: print_clean(r, project),
        "explore": lambda r: print_explore(r, project.artifact_dir("explore")),
        "train": lambda r: print_train(r, project.artifact_dir("learn")),
        "fairness": print_fairness,
        "segments": lambda r: print_segments(r, project.artifact_dir("segments")),
        "deep": lambda r: print_deep(r, project.artifact_dir("deep")),
        "plan": lambda r: print_plan(r, project.artifact_dir("plan")),
        "landscape": print_landscape,
        "resources": lambda r: None,  # `atelier resources` prints its table
        "scale": print_scale,
    }
    skipped = [stage.name for stage in outcome.stages if stage.status == "skipped"]
    for stage in outcome.stages:
        if stage.status in ("unavailable", "not applicable"):
            Console().print(f"{stage.name}: not run; {stage.result}")
    for stage in outcome.stages:
        if stage.status == "ran":
            printers[stage.name](stage.result)
    if skipped:
        Console().print(f"skipped, inputs unchanged: {', '.join(skipped)}")
