"""The defence and the data-protection note: PowerPoint that opens, HTML that renders, timed."""

import re
import shutil
from pathlib import Path

import pytest

from atelier.report import build_slides
from tests.conftest import SCREENSHOTS, not_blank

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def decks(demo_project, tmp_path_factory):
    return build_slides(demo_project, minutes=20, privacy_minutes=6)


def seconds_of(notes: str) -> int:
    return int(re.match(r"\((\d+) s\)", notes).group(1))


def test_the_defence_covers_every_subject_in_the_minutes_given(decks):
    from pptx import Presentation

    deck = Presentation(str(decks["defence.pptx"]))
    titles = [slide.shapes.title.text for slide in deck.slides]
    assert titles[1:] == [
        "The question and the decision",
        "The data",
        "What the data showed",
        "The model and its value",
        "Deep learning",
        "Limits and fairness",
        "Deployment",
        "Personal data",
        "Plan and next steps",
        "Thank you: questions?",
    ]
    notes = [slide.notes_slide.notes_text_frame.text for slide in deck.slides]
    assert sum(seconds_of(n) for n in notes) == 20 * 60
    assert "Timing: slide, seconds" in notes[-1] and notes[-1].rstrip().endswith("20:00")
    pictures = [s for slide in deck.slides for s in slide.shapes if s.shape_type == 13]
    assert len(pictures) >= 4  # the dossier's figures: schema, thresholds, network, Gantt
    money = " ".join(
        shape.text_frame.text for shape in deck.slides[4].shapes if shape.has_text_frame
    )
    assert "EUR" in money or "€" in money  # the model's value, in money


def test_the_data_protection_note_has_its_own_minutes(decks):
    from pptx import Presentation

    deck = Presentation(str(decks["privacy.pptx"]))
    notes = [slide.notes_slide.notes_text_frame.text for slide in deck.slides]
    assert sum(seconds_of(n) for n in notes) == 6 * 60
    titles = [slide.shapes.title.text for slide in deck.slides]
    assert "Record of processing" in titles and "Impact assessment and AI Act" in titles


def test_the_html_deck_renders_and_moves_in_chromium(browser, decks, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page = tmp_path / "defence.html"
    shutil.copy(decks["defence.html"], page)  # file:// from a folder of its own
    browser.set_window_size(1280, 720)
    browser.get(page.as_uri() + "#s5")
    shown = browser.find_element(By.CSS_SELECTOR, "section.shown")
    assert shown.find_element(By.TAG_NAME, "h2").text == "The model and its value"
    assert shown.find_element(By.TAG_NAME, "img").get_attribute("naturalWidth") != "0"
    path = folder / "slides-model.png"
    browser.save_screenshot(str(path))
    assert not_blank(path, ink=0.003)
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)

    def next_title(driver):  # the key's handler runs after send_keys returns
        title = driver.find_element(By.CSS_SELECTOR, "section.shown h2").text
        return title if title != "The model and its value" else None

    assert WebDriverWait(browser, 30).until(next_title) == "Deep learning"
    browser.set_window_size(1280, 1400)


def test_a_talk_of_no_minutes_is_refused(demo_project):
    from tests.cli.test_cli import assert_one_line_error, atelier

    refused = atelier("slides", "-p", str(demo_project.root), "--minutes", "0")
    assert_one_line_error(refused, "--minutes: expected a positive number of minutes, got 0")


def test_the_decks_are_recorded_for_the_dossier(decks, demo_project):
    import json

    record = json.loads((demo_project.artifacts_dir / "checks" / "slides.json").read_text())
    assert record["defence"]["seconds"] == 20 * 60 and "plan" in record["defence"]["sections"]
    assert record["privacy"] == record["privacy"] | {"minutes": 6, "seconds": 360}
