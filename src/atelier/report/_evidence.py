"""The rules that decide, from a run's artifacts alone, whether a criterion is met.

Each rule returns a status (``met``, ``partly``, ``not_yet``) and the anchor of
the dossier section that shows the evidence. A rule earns ``met`` only from
what a stage actually wrote; what atelier does not do yet stays ``not_yet``.
"""

from collections.abc import Callable

from atelier._text import Text
from atelier.charter import template_costs
from atelier.report._artifacts import Artifacts
from atelier.report._facts import beats_baseline
from atelier.report._observations import observations as observations_of

MET, PARTLY, NOT_YET = "met", "partly", "not_yet"
Verdict = tuple[str, str]
RULES: dict[str, Callable[[Artifacts], Verdict]] = {}


def rule(function: Callable[[Artifacts], Verdict]) -> Callable[[Artifacts], Verdict]:
    """Register ``function`` under its name, as ``criteria.yaml`` refers to it."""
    RULES[function.__name__] = function
    return function


def _when(condition: bool, anchor: str, otherwise: str = NOT_YET) -> Verdict:
    return (MET, anchor) if condition else (otherwise, anchor if otherwise != NOT_YET else "")


# What atelier does not do yet.
NOT_BUILT = frozenset()


def verdict(name: str, artifacts: Artifacts) -> Verdict:
    """The status of the evidence rule ``name`` on ``artifacts``, and its anchor."""
    if name in NOT_BUILT:
        return NOT_YET, ""
    if name not in RULES:
        raise KeyError(f"criteria.yaml names an unknown evidence rule {name!r}")
    return RULES[name](artifacts)


# ---- block 1: framing --------------------------------------------------------------


def framed(charter: dict) -> bool:
    """The KPI has a baseline and a target, and the costs are the project's own.

    Costs copied unchanged from ``atelier init``'s template are an example, not a
    framing of this project.
    """
    kpi = charter["project"]["kpi"]
    measured = kpi.get("baseline") is not None and kpi.get("target") is not None
    costs = {k: v for k, v in charter["costs"].items() if v is not None}
    return measured and costs != template_costs()


@rule
def charter_question(a: Artifacts) -> Verdict:
    return _when(framed(a.charter), "framing-charter", PARTLY)


@rule
def functional_needs(a: Artifacts) -> Verdict:
    return _when(framed(a.charter), "framing-charter", PARTLY)


@rule
def kpi_targets(a: Artifacts) -> Verdict:
    kpi = a.charter["project"]["kpi"]
    return _when(
        kpi.get("baseline") is not None and kpi.get("target") is not None,
        "framing-charter",
        PARTLY,
    )


@rule
def stakeholders(a: Artifacts) -> Verdict:
    return _when(bool(a.charter["stakeholders"]), "framing-stakeholders")


@rule
def stakeholder_interests(a: Artifacts) -> Verdict:
    people = a.charter["stakeholders"]
    if not people:
        return NOT_YET, ""
    return _when(all(p.get("interest") for p in people), "framing-stakeholders", PARTLY)


@rule
def risks(a: Artifacts) -> Verdict:
    return _when(any(r.get("mitigation") for r in a.charter["risks"]), "framing-risks", NOT_YET)


def _audited(a: Artifacts) -> bool:
    """The fairness stage compared groups, with reweighting measured."""
    audits = (a.get("fairness") or {}).get("audits") or []
    return bool(audits) and all(audit.get("mitigation") for audit in audits)


def _footprint_recorded(a: Artifacts) -> bool:
    """Every stage the run state records has its energy and CO2."""
    stages = [r for r in (a.run_state or {}).values() if "not_applicable" not in r]
    return bool(stages) and all(
        (record.get("footprint") or {}).get("energy_kwh") is not None for record in stages
    )


@rule
def impacts(a: Artifacts) -> Verdict:
    # human and societal: groups compared; environmental: energy and CO2 of each stage
    audited, measured = _audited(a), _footprint_recorded(a)
    if audited and measured:
        return MET, "privacy-footprint"
    if audited or measured:
        return PARTLY, "privacy-fairness" if audited else "privacy-footprint"
    return NOT_YET, ""


@rule
def ethics(a: Artifacts) -> Verdict:
    # personal data handled by a complete policy, and the decisions audited across groups
    privacy = a.get("privacy")
    protected = privacy is not None and _policy_complete(privacy)
    audited = _audited(a)
    if protected and audited:
        return MET, "privacy-fairness"
    if protected or audited:
        return PARTLY, "data-personal" if protected else "privacy-fairness"
    return NOT_YET, ""


@rule
def data_map(a: Artifacts) -> Verdict:
    """The information system drawn and commented; met once every source has its owner."""
    system = (a.get("landscape") or {}).get("information_system")
    drawn = a.file_sha256(
        "landscape", ((a.get("landscape") or {}).get("figures") or {}).get("information_system")
    )
    if system is None or not drawn:
        return (PARTLY, "data-sources") if a.get("ingest") else (NOT_YET, "")
    owned = not any(remark["kind"] == "no_owner" for remark in system["remarks"])
    return _when(owned, "landscape-system", PARTLY)


# ---- block 2: data -----------------------------------------------------------------


@rule
def sources_listed(a: Artifacts) -> Verdict:
    return _when(bool((a.get("ingest") or {}).get("sources")), "data-sources")


@rule
def warehouse_built(a: Artifacts) -> Verdict:
    tables = (a.get("ingest") or {}).get("tables") or []
    return _when(any(t.get("schema") == "mart" for t in tables), "data-warehouse")


@rule
def warehouse_diagram(a: Artifacts) -> Verdict:
    ingest = a.get("ingest") or {}
    drawn = (
        bool(ingest.get("diagram"))
        and a.project.artifact_dir("ingest").joinpath("schema.png").exists()
    )
    return _when(drawn and bool(ingest.get("tables")), "data-warehouse")


@rule
def anomalies_detected(a: Artifacts) -> Verdict:
    return _when(a.get("profile") is not None, "data-quality")


@rule
def anomalies_resolved(a: Artifacts) -> Verdict:
    clean = a.get("clean")
    if clean is None:
        return NOT_YET, ""
    findings = (a.get("profile") or {}).get("findings") or []
    return _when(bool(clean["actions"]) or not findings, "data-cleaning", PARTLY)


@rule
def preprocessing(a: Artifacts) -> Verdict:
    return _when(a.get("clean") is not None and a.get("explore") is not None, "data-cleaning")


@rule
def dimensionality(a: Artifacts) -> Verdict:
    explore = a.get("explore") or {}
    return _when(bool(explore.get("pca")) and bool(explore.get("selection")), "data-reduction")


@rule
def visualisation(a: Artifacts) -> Verdict:
    figures = (a.get("explore") or {}).get("figures") or {}
    return _when(len(figures) >= 3, "data-exploration")


@rule
def relations(a: Artifacts) -> Verdict:
    return _when(a.figure("explore", "associations") is not None, "data-exploration")


@rule
def statistical_models(a: Artifacts) -> Verdict:
    regression = (a.get("explore") or {}).get("regression") or {}
    return _when(bool(regression.get("terms")), "data-statistics")


@rule
def statistical_tests(a: Artifacts) -> Verdict:
    return _when(bool((a.get("explore") or {}).get("against_target")), "data-statistics")


@rule
def univariate_multivariate(a: Artifacts) -> Verdict:
    explore = a.get("explore") or {}
    multivariate = bool((explore.get("regression") or {}).get("terms") or explore.get("pca"))
    return _when(bool(explore.get("univariate")) and multivariate, "data-statistics")


@rule
def operational_information(a: Artifacts) -> Verdict:
    explore = a.get("explore")
    if explore is None:
        return NOT_YET, ""
    significant = [t for t in explore["against_target"] if (t.get("p_value") or 1) < 0.05]
    return _when(bool(significant), "data-statistics", PARTLY)


@rule
def segments(a: Artifacts) -> Verdict:
    kmeans = ((a.get("explore") or {}).get("clustering") or {}).get("kmeans") or {}
    if not kmeans.get("k"):
        return NOT_YET, ""
    # groups that are not there (low silhouette) are reported, not earned
    return _when(bool(kmeans.get("structured")), "data-segments", PARTLY)


# ---- block 3: machine learning -----------------------------------------------------


def _train(a: Artifacts) -> dict:
    return a.get("train") or {}


def _reasoned(train: dict) -> bool:
    return bool((train.get("metric_reason") or {}).get("basis"))


@rule
def ml_objectives(a: Artifacts) -> Verdict:
    train = _train(a)
    if not train:
        return NOT_YET, ""
    priced = train["task"] != "binary" or train.get("thresholds") is not None
    return _when(priced and _reasoned(train) and beats_baseline(train), "ml-metric", PARTLY)


@rule
def ml_solution(a: Artifacts) -> Verdict:
    train = _train(a)
    if not train:
        return NOT_YET, ""
    return _when(beats_baseline(train), "ml-choice", PARTLY)


@rule
def ml_comparison(a: Artifacts) -> Verdict:
    train = _train(a)
    if not train:
        return NOT_YET, ""
    families = {r["model"] for r in train["leaderboard"] if r["status"] == "complete"}
    thresholds_compared = train["task"] != "binary" or train.get("thresholds") is not None
    useful = beats_baseline(train)
    return _when(len(families) >= 3 and thresholds_compared and useful, "ml-leaderboard", PARTLY)


@rule
def observations(a: Artifacts) -> Verdict:
    # earned by what the diagnostics found, not by the section's existence
    text = Text("en")
    found = observations_of(a, text)
    steps = [s for s in found["next_steps"] if s != text("obs_later_blocks")]
    specific = found["weaknesses"] and steps and found["strengths"]
    return _when(bool(specific), "observations", PARTLY if _train(a) else NOT_YET)


@rule
def metric_justified(a: Artifacts) -> Verdict:
    train = _train(a)
    if not train:
        return NOT_YET, ""
    return _when(_reasoned(train), "ml-metric", PARTLY)


@rule
def features_justified(a: Artifacts) -> Verdict:
    diagnostics = _train(a).get("diagnostics") or {}
    if not diagnostics.get("importance"):
        return NOT_YET, ""
    compared = "score_selected" in (diagnostics.get("selection") or {})
    every_feature_counts = (diagnostics.get("selection") or {}).get("dropped") == []
    return _when(compared or every_feature_counts, "ml-features", PARTLY)


@rule
def generalisation(a: Artifacts) -> Verdict:
    diagnostics = _train(a).get("diagnostics") or {}
    if not diagnostics.get("overfitting"):
        return NOT_YET, ""
    return _when(bool(diagnostics.get("learning_curve")), "ml-overfitting", PARTLY)


@rule
def cross_validation(a: Artifacts) -> Verdict:
    train = _train(a)
    if not train:
        return NOT_YET, ""
    spread = any(r.get("cv_std") is not None for r in train["leaderboard"] if r["trial"] >= 0)
    robustness = (train.get("diagnostics") or {}).get("robustness")
    return _when(spread and robustness is not None, "ml-validation", PARTLY)


def _tuning(a: Artifacts) -> dict | None:
    return (_train(a).get("diagnostics") or {}).get("tuning")


@rule
def tuning(a: Artifacts) -> Verdict:
    tuned = _tuning(a)
    if tuned is None:
        return NOT_YET, ""
    tried = any(f["tuned_trials"] for f in tuned["families"])
    return _when(tried, "ml-leaderboard", PARTLY)


@rule
def optimisation_justified(a: Artifacts) -> Verdict:
    tuned = _tuning(a)
    if tuned is None:
        return NOT_YET, ""
    # met when tuned trials beat their family's defaults, the gain shown
    return _when(bool(tuned["improved"]), "ml-leaderboard", PARTLY)


# ---- block 4: deep learning ---------------------------------------------------------


def _deep(a: Artifacts) -> dict:
    return a.get("deep") or {}


@rule
def deep_method(a: Artifacts) -> Verdict:
    """The training method is recorded with a rate chosen by a range test, and curves."""
    deep = _deep(a)
    method = deep.get("method") or {}
    history = (deep.get("curves") or {}).get("history") or []
    explained = all(
        method.get(key) is not None
        for key in ("loss", "optimiser", "learning_rate", "batch_size", "seed", "device")
    )
    range_tested = bool((method.get("range_test") or {}).get("losses"))
    return _when(explained and range_tested and len(history) >= 2, "deep-method")


@rule
def deep_architecture(a: Artifacts) -> Verdict:
    """A layer table whose parameters add up to the saved network's, served by ONNX as trained."""
    deep = _deep(a)
    architecture = deep.get("architecture") or {}
    layers = architecture.get("layers") or []
    counted = sum(layer["parameters"] for layer in layers)
    matches = bool(layers) and counted == architecture.get("parameters")
    saved = a.file_sha256("deep", deep.get("model_file")) == deep.get("model_sha256")
    return _when(matches and saved and (deep.get("onnx") or {}).get("equal"), "deep-architecture")


@rule
def deep_indicators(a: Artifacts) -> Verdict:
    """The network and the classical model on the same hold-out, and the task's indicators.

    A transcriber's classical answer is the constant one (no family writes text);
    its own indicators are the kinds of character errors.
    """
    indicators = _deep(a).get("indicators") or {}
    compared = all(k in indicators for k in ("network", "classical", "comparison"))
    own = any(k in indicators for k in ("confusion", "residuals", "error_kinds"))
    return _when(compared and own, "deep-indicators")


@rule
def deep_improvements(a: Artifacts) -> Verdict:
    """Steps measured from a baseline; met when at least one of them was kept."""
    steps = (_deep(a).get("improvements") or {}).get("steps") or []
    measured = [s for s in steps[1:] if s.get("validation") is not None]
    if not measured:
        return NOT_YET, ""
    return _when(any(s["kept"] for s in measured), "deep-improvements", PARTLY)


@rule
def deep_errors(a: Artifacts) -> Verdict:
    """Errors analysed on the hold-out; met when a treatment they called for was measured."""
    errors = _deep(a).get("errors") or {}
    analysed = bool((errors.get("holdout") or {}).get("largest"))
    if not analysed:
        return NOT_YET, ""
    treated = [t for t in errors.get("treatments", []) if t.get("validation") is not None]
    return _when(bool(treated), "deep-errors", PARTLY)


# ---- block 5: deployment -----------------------------------------------------------


@rule
def business_summary(a: Artifacts) -> Verdict:
    train = _train(a)
    if not train:
        return NOT_YET, ""
    return _when(train.get("thresholds") is not None, "summary", PARTLY)


def _checked(a: Artifacts, name: str) -> bool:
    """Whether ``atelier serve --check`` or ``dashboard --check`` passed on the served model."""
    check = a.checks.get(name) or {}
    deep = a.get("deep") or {}
    served = deep if deep.get("champion") else _train(a)
    return bool(check.get("passed")) and check.get("model_sha256") == served.get(
        "model_sha256", "no model"
    )


@rule
def plain_presentation(a: Artifacts) -> Verdict:
    # the dossier's first page is written for non-specialists; the dashboard must have
    # rendered every page on this very model
    if _checked(a, "dashboard"):
        return MET, "deploy-dashboard"
    return (PARTLY, "summary") if _train(a) else (NOT_YET, "")


@rule
def api(a: Artifacts) -> Verdict:
    # the API answered the documented request with this very model
    if _checked(a, "api"):
        return MET, "deploy-api"
    return (PARTLY, "deploy-api") if a.serving is not None else (NOT_YET, "")


def _policy_complete(privacy: dict) -> bool:
    """Every finding got a rule, and nothing was left for review."""
    handled = {(rule["source"], rule["column"]) for rule in privacy.get("rules", [])}
    findings = privacy.get("findings", [])
    return not privacy.get("for_review") and all(
        (finding["source"], finding["column"]) in handled for finding in findings
    )


@rule
def personal_data(a: Artifacts) -> Verdict:
    # the rules that apply follow from the use case: its AI Act class needs project.domain,
    # and the record of processing needs its controller
    privacy = a.get("privacy")
    if privacy is None:
        return NOT_YET, ""
    identified = privacy["ai_act"]["class"] != "unknown" and bool(privacy["register"]["controller"])
    return (MET if identified else PARTLY), "privacy-gdpr-register"


@rule
def privacy_tooling(a: Artifacts) -> Verdict:
    # a policy applied to every finding, the security analysis and the DPIA's risks written
    privacy = a.get("privacy")
    if privacy is None:
        return NOT_YET, ""
    written = bool(privacy.get("security")) and bool(privacy.get("dpia", {}).get("risks"))
    return _when(written and _policy_complete(privacy), "privacy-security", PARTLY)


def _measured_needs(a: Artifacts) -> bool:
    """The machine described and its memory and CPU set against what the stages measured."""
    found = a.get("resources") or {}
    needs = {row["need"] for row in found.get("needs") or []}
    return bool(found.get("machine")) and {"memory", "cpu"} <= needs


@rule
def resources_check(a: Artifacts) -> Verdict:
    """The machine's resources, and the project's needs measured stage by stage against them."""
    if not (a.get("resources") or {}).get("machine"):
        return NOT_YET, ""
    return _when(_measured_needs(a), "resources", PARTLY)


@rule
def software_resources(a: Artifacts) -> Verdict:
    # software versions are recorded with every stage; met once the hardware is set
    # against the needs each stage measured
    if _measured_needs(a):
        return MET, "resources"
    return (PARTLY, "run") if a.manifests else (NOT_YET, "")


@rule
def big_data(a: Artifacts) -> Verdict:
    """The big-data choice argued from measurements, and a deployment that meets the needs.

    Met when the scale stage sized the project from a measured load and a measured API
    throughput, the deployment kit of the served model version passed its validators,
    the sized pods meet the expected load, and, where the rule calls for Spark, Spark
    did process the data (the lake, or a batch scoring). Partly with any of it missing.
    """
    scale = a.get("scale")
    if not scale:
        return NOT_YET, ""
    sizing, engine = scale["sizing"], scale["engine"]
    kit = a.checks.get("deploy") or {}
    deep = a.get("deep") or {}
    served = deep if deep.get("champion") else _train(a)
    kit_current = bool(kit.get("valid")) and kit.get("model_sha256") == served.get(
        "model_sha256", "no model"
    )
    spark_done = bool(engine["lake_tables"] or engine["spark_scores"])
    engine_fits = sizing["engine"] == "duckdb" or spark_done
    argued = sizing["complete"] and sizing["serving_met"]
    return _when(argued and kit_current and engine_fits, "deploy-scale", PARTLY)


KEPT_CHANCE = 0.8  # of meeting the deadline, by Monte Carlo: below it the plan is a gamble


def _plan(a: Artifacts) -> dict:
    return a.get("plan") or {}


@rule
def project_plan(a: Artifacts) -> Verdict:
    """The charter's own tasks scheduled, with the critical path; atelier's proposal is partly."""
    plan = _plan(a)
    if not plan.get("tasks"):
        return NOT_YET, ""
    return _when(not plan["proposed"] and bool(plan["critical_path"]), "plan", PARTLY)


@rule
def plan_kept(a: Artifacts) -> Verdict:
    """Deadline and people both kept: the levelled schedule ends in time, 80% likely, none late."""
    plan = _plan(a)
    if not plan.get("tasks"):
        return NOT_YET, ""
    in_time = plan["levelled"]["duration"] <= plan["deadline_days"]
    likely = plan["chance"]["monte_carlo"]["probability"] >= KEPT_CHANCE
    kept = not plan["proposed"] and in_time and likely and not plan["progress"]["late"]
    return _when(kept, "plan", PARTLY)


@rule
def plan_tool(a: Artifacts) -> Verdict:
    """The charter's plan drawn as a Gantt chart and a PERT network, both files on disk."""
    plan = _plan(a)
    figures = plan.get("figures") or {}
    drawn = all(a.file_sha256("plan", figures.get(name)) for name in ("gantt", "network"))
    if not drawn:
        return NOT_YET, ""
    return _when(not plan["proposed"], "plan", PARTLY)


def _landscape(a: Artifacts) -> dict:
    return a.get("landscape") or {}


@rule
def technology_partners(a: Artifacts) -> Verdict:
    """Options with pros and cons for each component, and a choice argued from measurements."""
    landscape = _landscape(a)
    partners = landscape.get("partners") or []
    if not partners:
        return NOT_YET, ""
    compared = all(
        len(row["options"]) >= 2
        and all(option.get("strengths") and option.get("weaknesses") for option in row["options"])
        for row in partners
    )
    measured = (landscape.get("measurements") or {}).get("mart_rows") is not None
    return _when(compared and measured, "landscape-partners", PARTLY)


@rule
def opportunities_fit(a: Artifacts) -> Verdict:
    """Candidate use cases scored, the retained one with its sources loaded and an owner."""
    opportunities = _landscape(a).get("opportunities") or []
    if not opportunities:
        return NOT_YET, ""
    retained = [row for row in opportunities if row.get("retained")]
    fits = len(opportunities) >= 2 and bool(retained) and retained[0].get("fits")
    return _when(bool(fits), "landscape-opportunities", PARTLY)


@rule
def research_advances(a: Artifacts) -> Verdict:
    """Every method the run used cited with its research; met once opportunities are weighed."""
    landscape = _landscape(a)
    research = landscape.get("research") or []
    if not research:
        return NOT_YET, ""
    cited = all(row["cited"] for row in research)
    return _when(cited and bool(landscape.get("opportunities")), "landscape-research", PARTLY)


DEFENCE_SECTIONS = {"question", "data", "model", "deployment", "privacy", "plan"}


@rule
def oral_presentation(a: Artifacts) -> Verdict:
    """Decks that cover the run's subjects, timed to their minutes; the talk is a person's.

    Never met: whether the talk keeps to its time is for the jury to see.
    """
    decks = a.checks.get("slides") or {}
    defence, note = decks.get("defence") or {}, decks.get("privacy") or {}
    covered = set(defence.get("sections") or []) >= DEFENCE_SECTIONS
    timed = all(
        deck.get("minutes") and deck.get("seconds") == round(deck["minutes"] * 60)
        for deck in (defence, note)
    )
    return (PARTLY, "summary") if covered and timed else (NOT_YET, "")


@rule
def progress_board(a: Artifacts) -> Verdict:
    """The Project page rendered (checked) on a computed plan; a run record alone is partly."""
    pages = (a.checks.get("dashboard") or {}).get("pages") or []
    shown = any(page["page"] == "project" and not page["errors"] for page in pages)
    if shown and _plan(a).get("tasks"):
        return MET, "plan"
    return (PARTLY, "run") if a.run_state else (NOT_YET, "")
