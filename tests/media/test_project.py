"""An images project through every stage, the API and the dossier."""

import json

import pytest
import yaml

from atelier import Project
from tests.media.conftest import add_bad_images

pytest.importorskip("torch")


@pytest.mark.slow
def test_an_images_project_runs_end_to_end(digit_project):
    from atelier.runner import run
    from atelier.serve import check_api

    add_bad_images(digit_project / "data" / "digits")
    charter = yaml.safe_load((digit_project / "atelier.yaml").read_text())
    charter["training"] = {"max_trials": 3, "families": ["linear"], "budget_s": 600}
    charter["deep"] = {"max_epochs": 8, "budget_s": 600}
    (digit_project / "atelier.yaml").write_text(yaml.safe_dump(charter))
    outcome = run(Project.load(digit_project), report=False)
    statuses = {stage.name: stage.status for stage in outcome.stages}
    assert statuses["explore"] == statuses["segments"] == "not applicable"
    assert statuses["train"] == statuses["deep"] == "ran"
    project = outcome.project
    deep = json.loads((project.artifact_dir("deep") / "result.json").read_text())
    steps = [step["step"] for step in deep["improvements"]["steps"]]
    assert steps == ["plain_cnn", "batch_norm", "cnn_dropout", "augmentation", "wider_cnn"]
    assert deep["onnx"]["equal"]
    assert deep["architecture"]["inputs"]["width"] == 8  # the 16 x 16 image was resized
    assert any("do not decode" in note for note in deep["notes"])
    assert (project.artifact_dir("deep") / "misclassified.png").exists()
    learn = json.loads((project.artifact_dir("learn") / "result.json").read_text())
    assert learn["scores"]["holdout_accuracy"] > 0.7  # logistic regression on pixels
    check = check_api(project)
    assert check["passed"], check["problem"]
    assert [s["status"] for s in check["steps"]][-2:] == [200, 422]
    from atelier.report import build_report

    html = build_report(project).read_text()
    assert "deep-errors" in html and "plain CNN" in html


def test_the_api_refuses_what_is_no_image(digit_project):
    from fastapi import HTTPException

    from atelier.serve._images import MAX_IMAGE_BYTES, image_pixels

    class Service:
        image_input = {"kind": "image", "size": [8, 8], "channels": 1}

    png = next((digit_project / "data" / "digits" / "two").glob("*.png")).read_bytes()
    assert image_pixels(Service(), "two.png", png).shape == (1, 1, 8, 8)
    for name, content, words in (
        ("notes.png", b"hello", "not an image"),
        ("cut.png", png[: len(png) // 2], "does not decode"),
        ("empty.png", b"", "empty upload"),
        ("huge.png", b"0" * (MAX_IMAGE_BYTES + 1), "at most"),
    ):
        with pytest.raises(HTTPException) as refused:
            image_pixels(Service(), name, content)
        assert refused.value.status_code == 422 and words in refused.value.detail


def test_the_images_demo_writes_garments_and_what_a_real_folder_holds(tmp_path):
    from atelier.demo._images import CATEGORIES, create_images_demo
    from atelier.quality import profile
    from atelier.warehouse import ingest

    project = Project.load(create_images_demo(tmp_path / "demo", per_category=12))
    ingest(project)
    findings = {f.kind: f for f in profile(project).findings}
    folders = sorted(p.name for p in (project.root / "data" / "garments").iterdir())
    assert folders == sorted(CATEGORIES)
    assert sum(f.rows for f in profile(project).findings if f.kind == "unreadable_media") == 2
    assert findings["duplicate_media"].severity == "critical"  # a shirt filed as a T-shirt
