"""Each evidence rule the dossier relies on, with a case that earns it and one that does not."""

import copy

import pytest

from atelier.report._artifacts import Artifacts
from atelier.report._evidence import MET, NOT_YET, PARTLY, RULES

CHARTER = {
    "project": {
        "name": "p",
        "question": "q",
        "decision": "d",
        "kpi": {"name": "churn", "baseline": 0.26, "target": 0.22},
        "language": "en",
        "unit": None,
    },
    "costs": {"currency": "EUR", "false_positive": 40, "false_negative": 400},
    "stakeholders": [],
    "risks": [],
    "target": {"column": "y"},
}
TRAIN = {
    "task": "binary",
    "metric": "roc_auc",
    "greater_is_better": True,
    "metric_reason": {"text": "a quarter churn", "basis": "charter"},
    "scores": {"cv_roc_auc": 0.84, "holdout_roc_auc": 0.84, "baseline_holdout_roc_auc": 0.5},
    "comparison": {"beats_baseline": True, "gain_low": 0.3, "gain_high": 0.36},
    "thresholds": {"chosen": 0.2},
    "model_sha256": "abc",
    "choice": {"kind": "single", "members": [{"trial": 2, "family": "lightgbm"}]},
    "search_s": 30.0,
    "leaderboard": [
        {"model": "linear", "trial": 1, "status": "complete", "cv_std": 0.01},
        {"model": "lightgbm", "trial": 2, "status": "complete", "cv_std": 0.02},
        {"model": "knn", "trial": 3, "status": "complete", "cv_std": 0.02},
    ],
    "diagnostics": {
        "robustness": {"why": "..."},
        "tuning": {
            "families": [{"family": "lightgbm", "tuned_trials": 3}],
            "improved": ["lightgbm"],
            "why": "...",
        },
    },
}


def artifacts(charter=None, train=None, checks=None, explore=None) -> Artifacts:
    results = {"train": train} if train is not None else {}
    if explore is not None:
        results["explore"] = explore
    return Artifacts(
        project=None,
        charter=charter or copy.deepcopy(CHARTER),
        results=results,
        checks=checks or {},
        serving={"columns": []} if train is not None else None,
    )


PRIVACY = {
    "findings": [{"source": "shop", "column": "email", "kind": "email"}],
    "rules": [{"source": "shop", "column": "email", "action": "drop"}],
    "for_review": [],
    "ai_act": {"class": "minimal"},
    "register": {"controller": "Shop SAS"},
    "security": [{"threat": "logs"}],
    "dpia": {"risks": [{"event": "illegitimate_access"}]},
}


def changed(base: dict, path: str, value) -> dict:
    document = copy.deepcopy(base)
    *parents, leaf = path.split(".")
    node = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[leaf] = value
    return document


def status(name: str, a: Artifacts) -> str:
    return RULES[name](a)[0]


@pytest.mark.parametrize("rule", ["charter_question", "functional_needs"])
def test_framing_needs_a_measured_kpi_and_the_projects_own_costs(rule):
    assert status(rule, artifacts()) == MET
    assert status(rule, artifacts(changed(CHARTER, "project.kpi.baseline", None))) == PARTLY
    template = changed(
        CHARTER,
        "costs",
        {
            "currency": "EUR",
            "false_positive": 50.0,
            "false_negative": 500.0,
            "true_positive_gain": 0.0,
        },
    )
    assert status(rule, artifacts(template)) == PARTLY


def test_the_metric_is_justified_by_a_reason_tied_to_the_project():
    assert status("metric_justified", artifacts(train=TRAIN)) == MET
    bare = changed(TRAIN, "metric_reason", {"text": "set in the charter", "basis": None})
    assert status("metric_justified", artifacts(train=bare)) == PARTLY
    assert status("metric_justified", artifacts()) == NOT_YET


def test_optimisation_is_justified_only_when_tuning_beat_the_defaults():
    assert status("optimisation_justified", artifacts(train=TRAIN)) == MET
    flat = changed(TRAIN, "diagnostics.tuning.improved", [])
    assert status("optimisation_justified", artifacts(train=flat)) == PARTLY


def test_cross_validation_needs_the_spread_and_a_robustness_check():
    assert status("cross_validation", artifacts(train=TRAIN)) == MET
    unchecked = changed(TRAIN, "diagnostics.robustness", None)
    assert status("cross_validation", artifacts(train=unchecked)) == PARTLY


def test_a_model_within_the_holdouts_noise_is_no_solution():
    assert status("ml_solution", artifacts(train=TRAIN)) == MET
    noise = changed(TRAIN, "comparison.beats_baseline", False)
    for rule in ("ml_solution", "ml_comparison", "ml_objectives"):
        assert status(rule, artifacts(train=noise)) == PARTLY, rule


@pytest.mark.parametrize(("rule", "check"), [("api", "api"), ("plain_presentation", "dashboard")])
def test_api_and_dashboard_are_credited_only_from_a_check_on_this_model(rule, check):
    passed = {check: {"passed": True, "model_sha256": "abc"}}
    assert status(rule, artifacts(train=TRAIN, checks=passed)) == MET
    assert status(rule, artifacts(train=TRAIN)) == PARTLY
    failed = {check: {"passed": False, "model_sha256": "abc"}}
    assert status(rule, artifacts(train=TRAIN, checks=failed)) == PARTLY
    other_model = {check: {"passed": True, "model_sha256": "older"}}
    assert status(rule, artifacts(train=TRAIN, checks=other_model)) == PARTLY


def test_segments_are_earned_only_when_the_groups_are_real():
    def explore(structured):
        kmeans = {"k": 3, "silhouette": {"3": 0.4 if structured else 0.08}}
        return {"clustering": {"kmeans": kmeans | {"structured": structured}}}

    assert status("segments", artifacts(explore=explore(True))) == MET
    assert status("segments", artifacts(explore=explore(False))) == PARTLY
    assert status("segments", artifacts()) == NOT_YET


# ---- every other rule: one case that earns its best status, one that does not ------------

CURVE = {"train_sizes": [100, 200], "valid_mean": [0.8, 0.84], "valid_std": [0.01, 0.01]}
OVERFIT = [{"model": "knn", "overfit": True, "cv_score": 0.8, "gap": 0.2}]


def results(**stages) -> Artifacts:
    return Artifacts(project=None, charter=copy.deepcopy(CHARTER), results=stages)


FAIRNESS = {
    "audits": [{"attribute": "senior", "groups": [{}], "mitigation": {"before": {}, "after": {}}}]
}
FOOTPRINT = {"method": "estimate", "energy_kwh": 1e-5, "co2_g": 5e-4, "cpu_s": 3.0}


def footprinted(**stages) -> Artifacts:
    run_state = {"ingest": {"footprint": FOOTPRINT}, "train": {"footprint": FOOTPRINT}}
    return Artifacts(
        project=None, charter=copy.deepcopy(CHARTER), results=stages, run_state=run_state
    )


def test_ethics_and_impacts_need_their_evidence():
    assert status("ethics", results()) == NOT_YET
    assert status("ethics", results(privacy=changed(PRIVACY, "rules", []))) == NOT_YET
    unmitigated = {"audits": [{"attribute": "senior", "groups": [{}], "mitigation": None}]}
    assert status("ethics", results(fairness=unmitigated)) == NOT_YET
    assert status("impacts", footprinted()) == PARTLY, "energy alone is the environment only"
    assert status("impacts", results()) == NOT_YET
    half = footprinted()
    half.run_state["train"] = {"footprint": None}
    assert status("impacts", half) == NOT_YET


def test_a_stage_not_applicable_owes_no_footprint_but_one_that_ran_does():
    skipped = footprinted()
    skipped.run_state["explore"] = {"not_applicable": "the rows are images"}
    assert status("impacts", skipped) == PARTLY  # energy of every stage that ran
    only_skipped = footprinted()
    only_skipped.run_state = {"explore": {"not_applicable": "the rows are images"}}
    assert status("impacts", only_skipped) == NOT_YET  # nothing ran: nothing measured
    unmeasured = footprinted()
    unmeasured.run_state["explore"] = {"not_applicable": "the rows are images"}
    unmeasured.run_state["train"] = {"footprint": None}
    assert status("impacts", unmeasured) == NOT_YET


def with_train(**diagnostics) -> dict:
    train = copy.deepcopy(TRAIN)
    train["diagnostics"] |= diagnostics
    return train


PLAN = {  # the plan stage's result, as the rules read it
    "tasks": [{"id": "collect"}],
    "proposed": False,
    "critical_path": ["collect"],
    "deadline_days": 40.0,
    "levelled": {"duration": 30.0},
    "chance": {"monte_carlo": {"probability": 0.93}},
    "progress": {"late": []},
    "figures": {"gantt": "gantt.png", "network": "network.png"},
}

CASES = {  # rule: (artifacts earning it, its status), (artifacts that do not, their status)
    "project_plan": (
        (results(plan=PLAN), MET),
        (results(plan=changed(PLAN, "proposed", True)), PARTLY),  # atelier's, not the project's
    ),
    "plan_kept": (
        (results(plan=PLAN), MET),
        (results(plan=changed(PLAN, "levelled.duration", 41.0)), PARTLY),  # levelled past it
    ),
    "kpi_targets": (
        (artifacts(), MET),
        (artifacts(changed(CHARTER, "project.kpi.target", None)), PARTLY),
    ),
    "stakeholders": (
        (artifacts(changed(CHARTER, "stakeholders", [{"name": "a", "role": "user"}])), MET),
        (artifacts(), NOT_YET),
    ),
    "stakeholder_interests": (
        (
            artifacts(
                changed(CHARTER, "stakeholders", [{"name": "a", "role": "u", "interest": "x"}])
            ),
            MET,
        ),
        (artifacts(changed(CHARTER, "stakeholders", [{"name": "a", "role": "u"}])), PARTLY),
    ),
    "risks": (
        (artifacts(changed(CHARTER, "risks", [{"description": "d", "mitigation": "m"}])), MET),
        (artifacts(), NOT_YET),
    ),
    "impacts": (
        (footprinted(fairness=FAIRNESS), MET),
        (results(fairness=FAIRNESS), PARTLY),
    ),
    "ethics": (
        (results(privacy=PRIVACY, fairness=FAIRNESS), MET),
        (results(privacy=PRIVACY), PARTLY),
    ),
    "privacy_tooling": (
        (results(privacy=PRIVACY), MET),
        (results(privacy=changed(PRIVACY, "for_review", ["shop.siret"])), PARTLY),
    ),
    "data_map": ((results(ingest={"sources": [{"name": "a"}]}), PARTLY), (results(), NOT_YET)),
    "sources_listed": (
        (results(ingest={"sources": [{"name": "a"}]}), MET),
        (results(ingest={"sources": []}), NOT_YET),
    ),
    "warehouse_built": (
        (results(ingest={"tables": [{"schema": "mart"}]}), MET),
        (results(ingest={"tables": [{"schema": "staging"}]}), NOT_YET),
    ),
    "anomalies_detected": ((results(profile={"findings": []}), MET), (results(), NOT_YET)),
    "anomalies_resolved": (
        (results(profile={"findings": [{}]}, clean={"actions": [{}]}), MET),
        (results(profile={"findings": [{}]}, clean={"actions": []}), PARTLY),
    ),
    "preprocessing": (
        (results(clean={"actions": []}, explore={}), MET),
        (results(clean={"actions": []}), NOT_YET),
    ),
    "dimensionality": (
        (results(explore={"pca": {"k": 2}, "selection": {"kept": 3}}), MET),
        (results(explore={"pca": {"k": 2}}), NOT_YET),
    ),
    "visualisation": (
        (results(explore={"figures": {"a": "a.png", "b": "b.png", "c": "c.png"}}), MET),
        (results(explore={"figures": {"a": "a.png"}}), NOT_YET),
    ),
    "statistical_models": (
        (results(explore={"regression": {"terms": [{"term": "x"}]}}), MET),
        (results(explore={"regression": {"terms": []}}), NOT_YET),
    ),
    "statistical_tests": (
        (results(explore={"against_target": [{"p_value": 0.2}]}), MET),
        (results(explore={"against_target": []}), NOT_YET),
    ),
    "univariate_multivariate": (
        (results(explore={"univariate": [{}], "regression": {"terms": [{}]}}), MET),
        (results(explore={"univariate": [{}], "regression": {}}), NOT_YET),
    ),
    "operational_information": (
        (results(explore={"against_target": [{"p_value": 0.001}]}), MET),
        (results(explore={"against_target": [{"p_value": 0.4}]}), PARTLY),
    ),
    "observations": (
        (
            results(
                profile={"findings": [{}]},
                clean={"actions": [{}]},
                train=changed(
                    with_train(overfitting=OVERFIT, learning_curve=CURVE), "thresholds", None
                ),
            ),
            MET,
        ),
        (results(train=changed(TRAIN, "thresholds", None)), PARTLY),
    ),
    "features_justified": (
        (results(train=with_train(importance=[{}], selection={"score_selected": 0.8})), MET),
        (results(train=with_train(importance=[{}], selection={"why": "not run"})), PARTLY),
    ),
    "generalisation": (
        (results(train=with_train(overfitting=OVERFIT, learning_curve=CURVE)), MET),
        (results(train=with_train(overfitting=OVERFIT, learning_curve=None)), PARTLY),
    ),
    "tuning": (
        (results(train=TRAIN), MET),
        (
            results(train=changed(TRAIN, "diagnostics.tuning.families", [{"tuned_trials": 0}])),
            PARTLY,
        ),
    ),
    "business_summary": (
        (results(train=TRAIN), MET),
        (results(train=changed(TRAIN, "thresholds", None)), PARTLY),
    ),
    "personal_data": (
        (results(privacy=PRIVACY), MET),
        (results(privacy=changed(PRIVACY, "ai_act", {"class": "unknown"})), PARTLY),
    ),
}


def test_personal_data_needs_the_privacy_stage():
    assert status("personal_data", results(profile={"findings": []})) == NOT_YET
    no_controller = changed(PRIVACY, "register", {"controller": None})
    assert status("personal_data", results(privacy=no_controller)) == PARTLY


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_rule_earns_its_status_only_from_its_evidence(rule):
    (earning, best), (lacking, short) = CASES[rule]
    assert status(rule, earning) == best
    assert status(rule, lacking) == short


def test_rules_on_files_need_the_files(tmp_path):
    from atelier import Project
    from tests.conftest import write_charter

    write_charter(tmp_path, {"a": {"kind": "csv", "path": "a.csv"}})
    project = Project.load(tmp_path)
    explore = {"figures": {"associations": "associations.png"}}
    ingest = {"diagram": "schema.png", "tables": [{"schema": "mart"}]}
    a = Artifacts(project=project, charter=CHARTER, results={"explore": explore, "ingest": ingest})
    assert status("relations", a) == NOT_YET and status("warehouse_diagram", a) == NOT_YET
    for stage, name in (("explore", "associations.png"), ("ingest", "schema.png")):
        project.artifact_dir(stage).mkdir(parents=True, exist_ok=True)
        (project.artifact_dir(stage) / name).write_bytes(b"png")
    assert status("relations", a) == MET and status("warehouse_diagram", a) == MET


def test_a_plan_is_kept_only_when_likely_and_nothing_is_late():
    assert status("plan_kept", results()) == NOT_YET
    gamble = changed(PLAN, "chance.monte_carlo.probability", 0.6)
    late = changed(PLAN, "progress.late", ["collect"])
    proposed = changed(PLAN, "proposed", True)
    for plan in (gamble, late, proposed):
        assert status("plan_kept", results(plan=plan)) == PARTLY


def test_the_information_system_is_met_when_drawn_and_every_source_owned(tmp_path):
    from atelier import Project
    from tests.conftest import write_charter

    write_charter(tmp_path, {"a": {"kind": "csv", "path": "a.csv"}})
    project = Project.load(tmp_path)
    landscape = {
        "information_system": {"remarks": [{"kind": "unused", "subject": "api"}]},
        "figures": {"information_system": "system.png"},
    }

    def mapped(landscape):
        stages = {"landscape": landscape, "ingest": {"sources": []}}
        return status("data_map", Artifacts(project=project, charter=CHARTER, results=stages))

    assert mapped(landscape) == PARTLY  # not drawn yet: the sources alone
    folder = project.artifact_dir("landscape")
    folder.mkdir(parents=True)
    (folder / "system.png").write_bytes(b"png")
    assert mapped(landscape) == MET
    unowned = changed(
        landscape, "information_system.remarks", [{"kind": "no_owner", "subject": "a"}]
    )
    assert mapped(unowned) == PARTLY


def test_the_plans_charts_must_be_on_disk(tmp_path):
    from atelier import Project
    from tests.conftest import write_charter

    write_charter(tmp_path, {"a": {"kind": "csv", "path": "a.csv"}})
    project = Project.load(tmp_path)

    def drawn(plan):
        return status(
            "plan_tool", Artifacts(project=project, charter=CHARTER, results={"plan": plan})
        )

    assert drawn(PLAN) == NOT_YET
    folder = project.artifact_dir("plan")
    folder.mkdir(parents=True)
    (folder / "gantt.png").write_bytes(b"png")
    assert drawn(PLAN) == NOT_YET  # the PERT network is missing
    (folder / "network.png").write_bytes(b"png")
    assert drawn(PLAN) == MET
    assert drawn(changed(PLAN, "proposed", True)) == PARTLY


def test_progress_is_followed_on_the_dashboards_project_page():
    checked = {"dashboard": {"pages": [{"page": "project", "errors": []}]}}
    followed = Artifacts(project=None, charter=CHARTER, results={"plan": PLAN}, checks=checked)
    assert status("progress_board", followed) == MET
    failed = {"dashboard": {"pages": [{"page": "project", "errors": ["KeyError"]}]}}
    broken = Artifacts(
        project=None, charter=CHARTER, results={"plan": PLAN}, checks=failed, run_state={"a": {}}
    )
    assert status("progress_board", broken) == PARTLY


LANDSCAPE = {
    "opportunities": [
        {"name": "churn", "retained": True, "fits": True},
        {"name": "fraud", "retained": False},
    ],
    "measurements": {"mart_rows": 7043},
    "partners": [
        {
            "component": "warehouse",
            "options": [
                {"name": "DuckDB", "strengths": "embedded", "weaknesses": "one machine"},
                {"name": "ClickHouse", "strengths": "distributed", "weaknesses": "a cluster"},
            ],
            "chosen": "DuckDB",
        }
    ],
    "research": [{"method": "lightgbm", "cited": True}],
}


def test_the_landscape_rules_need_opportunities_partners_and_citations():
    for rule in ("technology_partners", "opportunities_fit", "research_advances"):
        assert status(rule, results(landscape=LANDSCAPE)) == MET
        assert status(rule, results()) == NOT_YET
    unfit = changed(
        LANDSCAPE, "opportunities", [{"name": "churn", "retained": True, "fits": False}]
    )
    assert status("opportunities_fit", results(landscape=unfit)) == PARTLY
    uncited = changed(LANDSCAPE, "research", [{"method": "new", "cited": False}])
    assert status("research_advances", results(landscape=uncited)) == PARTLY
    no_opportunity = changed(LANDSCAPE, "opportunities", [])
    assert status("research_advances", results(landscape=no_opportunity)) == PARTLY
    one_option = changed(LANDSCAPE, "partners.0.options", LANDSCAPE["partners"][0]["options"][:1])
    assert status("technology_partners", results(landscape=one_option)) == PARTLY


RESOURCES = {
    "machine": {"cores": 2, "memory_gb": 16.0},
    "needs": [{"need": "memory", "enough": True}, {"need": "cpu", "enough": True}],
}


def test_resources_are_met_only_against_measured_needs():
    assert status("resources_check", results(resources=RESOURCES)) == MET
    assert status("software_resources", results(resources=RESOURCES)) == MET
    unmeasured = changed(RESOURCES, "needs", [{"need": "disk", "enough": True}])
    assert status("resources_check", results(resources=unmeasured)) == PARTLY
    assert status("resources_check", results()) == NOT_YET


def test_the_defence_decks_are_at_most_partly_met():
    covering = ["title", "question", "data", "model", "deployment", "privacy", "plan"]
    decks = {
        "defence": {"minutes": 20, "seconds": 1200, "sections": covering},
        "privacy": {"minutes": 5, "seconds": 300, "sections": ["title", "privacy"]},
    }
    timed = Artifacts(project=None, charter=CHARTER, checks={"slides": decks})
    assert status("oral_presentation", timed) == PARTLY  # the talk itself is a person's
    overrun = changed(decks, "defence.seconds", 1260)
    assert (
        status("oral_presentation", Artifacts(None, CHARTER, checks={"slides": overrun})) == NOT_YET
    )
    no_plan = changed(decks, "defence.sections", ["title", "question", "data", "model"])
    assert (
        status("oral_presentation", Artifacts(None, CHARTER, checks={"slides": no_plan})) == NOT_YET
    )
    assert status("oral_presentation", artifacts()) == NOT_YET


def scaled(measured: dict, engine: dict | None = None, kit: dict | None = None) -> Artifacts:
    from atelier.scale._sizing import size

    scale = {
        "measured": measured,
        "sizing": size(measured),
        "engine": engine or {"used": "duckdb", "lake_tables": [], "spark_scores": None},
    }
    checks = {"deploy": kit} if kit is not None else {}
    return Artifacts(
        project=None, charter=CHARTER, results={"scale": scale, "train": TRAIN}, checks=checks
    )


MEASURED = {"rows": 10_000, "load_s": 2.0, "bytes": 5e6, "memory_gb": 16, "period_hours": 24}
MEASURED |= {"expected_rps": 20, "api_rps": 8.0}
KIT = {"valid": True, "model_sha256": TRAIN["model_sha256"]}


def test_big_data_is_met_by_measured_sizing_a_current_kit_and_the_engine_it_calls_for():
    assert status("big_data", scaled(MEASURED, kit=KIT)) == MET
    # each missing piece keeps it partly
    assert status("big_data", scaled(MEASURED)) == PARTLY  # no kit
    assert status("big_data", scaled(MEASURED, kit=KIT | {"valid": False})) == PARTLY
    assert status("big_data", scaled(MEASURED, kit=KIT | {"model_sha256": "older"})) == PARTLY
    assert status("big_data", scaled(MEASURED | {"api_rps": None}, kit=KIT)) == PARTLY
    assert status("big_data", scaled(MEASURED | {"expected_rps": None}, kit=KIT)) == PARTLY
    # a hundred million rows loaded at this speed overflow a day: Spark must have run
    huge = MEASURED | {"rows": 10**9, "load_s": 200_000.0}
    assert scaled(huge).results["scale"]["sizing"]["engine"] == "spark"
    assert status("big_data", scaled(huge, kit=KIT)) == PARTLY
    spark = {"used": "spark", "lake_tables": ["customers"], "spark_scores": None}
    assert status("big_data", scaled(huge, engine=spark, kit=KIT)) == MET
    assert status("big_data", artifacts(train=TRAIN)) == NOT_YET


def test_what_is_not_built_is_never_met_and_run_records_are_partly():
    from atelier.report._evidence import NOT_BUILT, verdict

    for name in NOT_BUILT:
        assert verdict(name, artifacts(train=TRAIN))[0] == NOT_YET
    recorded = Artifacts(project=None, charter=CHARTER, manifests={"a": {}}, run_state={"a": {}})
    assert status("software_resources", recorded) == PARTLY
    assert status("progress_board", recorded) == PARTLY
    assert status("software_resources", artifacts()) == NOT_YET
    assert status("progress_board", artifacts()) == NOT_YET


def test_every_rule_of_the_criteria_is_tested():
    from atelier.report import criteria
    from atelier.report._evidence import NOT_BUILT

    tested = set(CASES) | {
        "charter_question",
        "functional_needs",
        "metric_justified",
        "optimisation_justified",
        "cross_validation",
        "ml_solution",
        "ml_comparison",
        "ml_objectives",
        "api",
        "plain_presentation",
        "segments",
        "relations",
        "warehouse_diagram",
        "software_resources",
        "progress_board",
        "plan_tool",
        "resources_check",
        "oral_presentation",
        "big_data",
        "technology_partners",
        "opportunities_fit",
        "research_advances",
        # tests/report/test_evidence_deep.py
        "deep_method",
        "deep_architecture",
        "deep_indicators",
        "deep_improvements",
        "deep_errors",
    }
    assert {c["evidence"] for c in criteria()} - NOT_BUILT <= tested
