"""The dossier as a person sees it: headless Chromium (Debian's) opens it offline."""

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from atelier.report import build_report

pytestmark = pytest.mark.slow
CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# `make screenshots` points this at docs/images to refresh the README's pictures
SCREENSHOTS = os.environ.get("ATELIER_SCREENSHOTS")


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert Path(CHROMIUM).exists() and Path(DRIVER).exists(), (
        "Debian's chromium and chromium-driver are needed: `make setup` installs them"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--window-size=1280,1400"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def not_blank(path: Path) -> bool:
    from PIL import Image

    pixels = np.asarray(Image.open(path).convert("L"), dtype=float)
    return pixels.std() > 10 and (pixels < 128).mean() > 0.01  # some dark ink on the page


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
    assert {name for name, _ in sections} >= {"summary", "framing", "data", "ml", "referential"}
    assert [name for name, length in sections if length < 40] == []
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    shots = {
        "dossier-summary.png": browser.find_element(By.ID, "summary"),
        "dossier-ml.png": browser.find_element(By.ID, "ml-leaderboard"),
    }
    for name, element in shots.items():
        browser.execute_script("arguments[0].scrollIntoView()", element)
        browser.save_screenshot(str(folder / name))
        assert not_blank(folder / name), name
    if SCREENSHOTS:
        shutil.copy(index.parent / "referential.json", folder / "referential-demo.json")
