"""An images project through every stage, the API and the dossier."""

import json

import pytest

from atelier import Project
from tests.conftest import write_charter
from tests.media.conftest import add_bad_images, write_digit_images

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def trained_digits(tmp_path_factory):
    """The digits project run through every stage (logistic regression, 8 epochs)."""
    from atelier.runner import run

    root = tmp_path_factory.mktemp("digits")
    write_digit_images(root / "data" / "digits")
    add_bad_images(root / "data" / "digits")
    write_charter(
        root,
        {"digits": {"kind": "images", "path": "data/digits", "key": "item"}},
        target={"column": "label"},
        training={"max_trials": 3, "families": ["linear"], "budget_s": 600},
        deep={"max_epochs": 8, "budget_s": 600},
    )
    return run(Project.load(root), report=False)


@pytest.mark.slow
def test_an_images_project_runs_end_to_end(trained_digits):
    from atelier.serve import check_api

    outcome = trained_digits
    statuses = {stage.name: stage.status for stage in outcome.stages}
    assert statuses["explore"] == statuses["segments"] == "not applicable"
    assert statuses["train"] == statuses["deep"] == "ran"
    project = outcome.project
    deep = json.loads((project.artifact_dir("deep") / "result.json").read_text())
    steps = [step["step"] for step in deep["improvements"]["steps"]]
    assert steps == [
        "plain_cnn",
        "batch_norm",
        "range_test",
        "cnn_dropout",
        "augmentation",
        "wider_cnn",
    ]
    assert deep["method"]["range_test"]["losses"] and deep["errors"]["treatments"]
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
    criteria = json.loads((project.root / "report" / "referential.json").read_text())
    assert [c["status"] for c in criteria if c["block"] == 4] == ["met"] * 5


@pytest.mark.slow
def test_the_dashboard_classifies_an_uploaded_image_and_shows_where_it_looked(
    trained_digits, monkeypatch
):
    from streamlit.testing.v1 import AppTest

    from atelier.dashboard._run import APP_FILE, PROJECT_VARIABLE

    root = trained_digits.project.root
    monkeypatch.setenv(PROJECT_VARIABLE, str(root))
    app = AppTest.from_file(str(APP_FILE), default_timeout=120)
    app.query_params["page"] = "try-one"
    app.run()
    assert [option for option in app.sidebar.radio(key="page").options] == [
        "Question and answer",
        "Try one image",
        "Project: plan and progress",
    ]
    seven = sorted((root / "data" / "digits" / "seven").glob("*.png"))[0]
    app.file_uploader[0].upload(seven.name, seven.read_bytes(), "image/png").run()
    assert not app.exception and not app.error
    assert app.success[0].value.startswith("The model's answer: **")
    app.file_uploader[0].upload("notes.png", b"not an image", "image/png").run()
    assert not app.exception
    assert "not an image Pillow can read" in app.error[0].value


@pytest.mark.slow
def test_occlusion_finds_the_ink_not_the_empty_border(trained_digits):
    import numpy as np

    from atelier.serve import ModelService
    from atelier.serve._media import occlusion_map

    service = ModelService.from_project(trained_digits.project)
    pixels = np.zeros((1, 1, 8, 8), dtype=np.float32)
    pixels[0, 0, 1:7, 3:5] = 1.0  # a one: a vertical bar
    heat, _ = occlusion_map(service, pixels, patch=2)
    assert heat.shape == (8, 8)
    assert np.abs(heat[:, 3:5]).mean() > np.abs(heat[:, [0, 7]]).mean()


def test_the_api_refuses_what_is_no_image(digit_project):
    from fastapi import HTTPException

    from atelier.serve._media import MAX_IMAGE_BYTES, image_pixels

    class Service:
        media_input = {"kind": "image", "size": [8, 8], "channels": 1}  # noqa: RUF012

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


@pytest.mark.slow
def test_try_one_image_in_chromium(trained_digits, browser, tmp_path):
    import subprocess
    import time
    from pathlib import Path

    from selenium.webdriver.common.by import By

    from atelier.dashboard._run import streamlit_command
    from tests.conftest import SCREENSHOTS, free_port, not_blank, wait_until_serving
    from tests.dashboard.test_dashboard import wait_for_text

    root = trained_digits.project.root
    port = free_port()
    process = subprocess.Popen(
        streamlit_command(trained_digits.project, "127.0.0.1", port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(
            f"{url}/_stcore/health", process, process.stderr, 60, ready=lambda r: r.text == "ok"
        )
        browser.set_window_size(1280, 1300)
        browser.get(f"{url}/?page=try-one")
        wait_for_text(browser, "Image to classify")
        seven = sorted((root / "data" / "digits" / "seven").glob("*.png"))[0]
        browser.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(seven))
        wait_for_text(browser, "The model's answer")
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(browser, 60).until(
            lambda driver: len(driver.find_elements(By.CSS_SELECTOR, ".main-svg")) >= 2
        )
        time.sleep(3)  # Streamlit fades in charts after the text
        folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        shot = folder / "dashboard-try-one.png"
        browser.save_screenshot(str(shot))
        assert not_blank(shot, ink=0.003)
        assert "Where it looked" in browser.find_element(By.TAG_NAME, "body").text
    finally:
        process.terminate()
        process.wait(10)
        process.stderr.close()
