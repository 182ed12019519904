"""`atelier run`: stages in order, skipped when unchanged, resumable after an interruption."""

import json

import pytest
import yaml

from atelier import Project
from atelier.exceptions import AtelierError
from atelier.runner import run
from tests.conftest import credit_holders

pytestmark = pytest.mark.slow
LATER = ["privacy", "profile", "clean", "explore", "train", "fairness", "segments", "deep"]


@pytest.fixture
def credit_project(tmp_path) -> Project:
    # a few epochs and no search: the network's records, not its quality, are run here
    return credit_holders(tmp_path, deep={"budget_s": 300, "max_epochs": 4, "trials": 0})


def statuses(outcome) -> dict[str, str]:
    return {stage.name: stage.status for stage in outcome.stages}


def test_a_rerun_skips_what_did_not_change_and_resumes_after_an_interruption(
    credit_project, monkeypatch
):
    import atelier.explore._stage

    def interrupted(folder, **_):
        assert folder.name.startswith(".explore-"), "inside the staged folder"
        (folder / "half-written.png").write_bytes(b"...")
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        # raised while the stage writes its artifacts: the rollback must remove them
        patch.setattr(atelier.explore._stage, "write_result", interrupted)
        with pytest.raises(KeyboardInterrupt):
            run(credit_project, report=False)
    state = json.loads((credit_project.state_dir / "run.json").read_text())["stages"]
    assert set(state) == {"ingest", "privacy", "profile", "clean"}, (
        "only completed stages are recorded"
    )
    leftovers = [p.name for p in credit_project.artifacts_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == [], "an interrupted stage leaves no half-written folder"
    assert not credit_project.artifact_dir("explore").exists()

    resumed = run(Project.load(credit_project.root))
    assert statuses(resumed) == {
        "ingest": "ran",
        "privacy": "skipped",
        "profile": "skipped",
        "clean": "skipped",
        "explore": "ran",
        "train": "ran",
        "fairness": "ran",
        "segments": "ran",
        "deep": "ran",
        "plan": "ran",  # always: its progress follows the run
        "landscape": "ran",  # always: it reads every stage's result
        "resources": "ran",  # always: it reads every stage's footprint
        "scale": "ran",  # always: it sizes from every stage's and check's measurements
    }
    assert resumed.report.exists()

    again = run(Project.load(credit_project.root))
    assert [statuses(again)[name] for name in LATER] == ["skipped"] * len(LATER)

    forced = run(Project.load(credit_project.root), force=["explore"], report=False)
    assert statuses(forced)["explore"] == "ran"
    assert statuses(forced)["train"] == "skipped", "train does not read explore's artifacts"
    assert statuses(forced)["segments"] == "skipped"
    assert statuses(forced)["deep"] == "skipped", "deep does not read explore's artifacts"


EDITS = [  # a change to one section of the charter, and the stages that must rerun
    # (deep reads train's model: it reruns whenever train does)
    # the record of processing names the stakeholders as recipients
    (
        "stakeholders",
        lambda c: c.update(stakeholders=[{"name": "CFO", "role": "sponsor"}]),
        {"privacy"},
    ),
    ("costs", lambda c: c["costs"].update(false_negative=50), {"train", "fairness", "deep"}),
    ("training", lambda c: c["training"].update(holdout=0.25), {"train", "fairness", "deep"}),
    # fairness audits the served model, which may be the network
    ("deep", lambda c: c["deep"].update(max_epochs=5), {"deep", "fairness"}),
    (  # the profile and the charts are written in the project's language; the card has its question
        "project",
        lambda c: c["project"].update(question="Who defaults?"),
        {"privacy", "profile", "explore", "train", "fairness", "segments", "deep"},
    ),
    (
        "cleaning",
        lambda c: c["cleaning"].update(impute={"income": "mean"}),
        {"clean", "explore", "train", "fairness", "segments", "deep"},
    ),
    (  # clean read the target only to propose its plan: with a plan it does not
        "target",
        lambda c: c["target"].update(positive_class="No"),
        {"profile", "explore", "train", "fairness", "segments", "deep"},
    ),
]


def test_editing_a_section_reruns_exactly_the_stages_that_read_it(credit_project):
    run(credit_project, report=False)
    state = json.loads((credit_project.state_dir / "run.json").read_text())["stages"]
    assert "costs" in state["train"]["sections"] and "costs" not in state["profile"]["sections"]
    for section, edit, expected in EDITS:
        charter = yaml.safe_load(credit_project.charter_path.read_text())
        edit(charter)
        credit_project.charter_path.write_text(yaml.safe_dump(charter, sort_keys=False))
        outcome = run(Project.load(credit_project.root), report=False)
        ran = {name for name, status in statuses(outcome).items() if status == "ran"}
        assert ran == {"ingest", "plan", "landscape", "resources", "scale", *expected}, section


def test_an_unknown_stage_to_force_is_named(credit_project):
    with pytest.raises(
        AtelierError, match=r"force: unknown stage 'trian'; expected one of ingest, .* or all"
    ):
        run(credit_project, force=["trian"])
