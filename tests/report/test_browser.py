"""The dossier as a person sees it: headless Chromium (Debian's) opens it offline."""

import shutil
from pathlib import Path

import pytest

from atelier.report import build_report
from tests.conftest import SCREENSHOTS, not_blank

pytestmark = pytest.mark.slow


def test_every_image_loads_and_no_section_is_empty(demo_project, browser, tmp_path):
    from selenium.webdriver.common.by import By

    index = build_report(demo_project)
    browser.get(index.as_uri())
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.alt, i.complete && i.naturalWidth > 0])"
    )
    assert len(images) >= 10
    assert [alt for alt, loaded in images if not loaded] == []
    sections = browser.execute_script(
        "return Array.from(document.querySelectorAll('section'))"
        ".map(s => [s.id, s.innerText.trim().length - s.querySelector('h2').innerText.length])"
    )
    assert {name for name, _ in sections} >= {
        "summary",
        "framing",
        "data",
        "ml",
        "deep",
        "privacy",
        "referential",
    }
    assert [name for name, length in sections if length < 40] == []
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    shots = {
        "dossier-summary.png": browser.find_element(By.ID, "summary"),
        "dossier-ml.png": browser.find_element(By.ID, "ml-leaderboard"),
        "dossier-deep.png": browser.find_element(By.ID, "deep-architecture"),
        "dossier-fairness.png": browser.find_element(By.ID, "privacy-fairness"),
    }
    for name, element in shots.items():
        browser.execute_script("arguments[0].scrollIntoView()", element)
        browser.save_screenshot(str(folder / name))
        assert not_blank(folder / name), name
    if SCREENSHOTS:
        shutil.copy(index.parent / "referential.json", folder / "referential-demo.json")
