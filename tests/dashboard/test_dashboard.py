"""The dashboard as a person uses it: Streamlit's AppTest, then a real headless Chromium."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from atelier.dashboard import APP_FILE
from atelier.dashboard._run import PROJECT_VARIABLE, streamlit_command
from tests.conftest import SCREENSHOTS, free_port, not_blank, wait_until_serving

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def recent_batch(demo_project, tmp_path_factory) -> Path:
    """Recent customers only (tenure under a year): a batch that has drifted."""
    frame = demo_project.warehouse.execute(
        "SELECT * FROM mart.customers_clean WHERE tenure < 12 ORDER BY customer_id LIMIT 300"
    ).df()
    path = tmp_path_factory.mktemp("batches") / "recent_customers.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def app(demo_project, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv(PROJECT_VARIABLE, str(demo_project.root))
    return AppTest.from_file(str(APP_FILE), default_timeout=180)


def test_first_page_states_the_question_and_the_answer(app, demo_project):
    app.run()
    assert not app.exception
    text = " ".join(m.value for m in app.markdown)
    assert demo_project.charter.project.question in text
    assert "probability that **churn = Yes**" in text
    assert app.metric[0].label == "Model version"
    assert app.info[0].value.startswith("At a threshold of")


def test_what_if_gives_the_decision_and_three_reasons(app):
    app.run()
    app.sidebar.radio(key="page").set_value("what-if").run()
    app.selectbox(key="what-if-contract").set_value("Month-to-month")
    app.number_input(key="what-if-tenure").set_value(1)
    app.button[0].click().run()
    assert not app.exception
    [probability] = [m for m in app.metric if m.label.startswith("Probability")]
    month_to_month = float(probability.value.rstrip("%"))
    reasons = [m.value for m in app.markdown if m.value.startswith("- ")]
    assert len(reasons) == 3
    assert any(r.startswith("- tenure = 1 ") or r.startswith("- contract = ") for r in reasons)
    # A two-year contract and a long tenure make cancelling less likely
    app.selectbox(key="what-if-contract").set_value("Two year")
    app.number_input(key="what-if-tenure").set_value(60)
    app.button[0].click().run()
    [probability] = [m for m in app.metric if m.label.startswith("Probability")]
    assert float(probability.value.rstrip("%")) < month_to_month


def test_batch_page_scores_an_upload_and_offers_the_download(app, recent_batch):
    app.run()
    app.sidebar.radio(key="page").set_value("batch").run()
    app.file_uploader[0].upload(recent_batch.name, recent_batch.read_bytes(), "text/csv").run()
    assert not app.exception and not app.error
    [flagged] = app.metric
    assert flagged.label.startswith("Rows flagged (churn = Yes at the ")
    assert flagged.value.endswith("of 300")
    assert app.get("download_button")[0].proto.label == "Download the scored file (CSV)"


def test_batch_page_names_the_problem_of_a_bad_file(app):
    app.run()
    app.sidebar.radio(key="page").set_value("batch").run()
    app.file_uploader[0].upload("bad.csv", b"tenure,contract\nabc,Weekly\n", "text/csv").run()
    assert not app.exception
    assert app.error[0].value.startswith("bad.csv: record 0, field ")


def test_drift_page_flags_a_shifted_batch_in_plain_words(app, recent_batch):
    app.run()
    app.sidebar.radio(key="page").set_value("drift").run()
    app.file_uploader[0].upload(recent_batch.name, recent_batch.read_bytes(), "text/csv").run()
    assert not app.exception
    assert app.error[0].value.startswith("Major change in tenure")
    assert "retraining the model is advised" in app.error[0].value


# ---- a real browser -----------------------------------------------------------------


def test_project_page_shows_the_plan_against_the_run_and_the_risks(app, demo_project):
    app.query_params["page"] = "project"
    app.run()
    assert not app.exception
    assert app.title[0].value == "Project: plan and progress"
    metrics = {m.label: m.value for m in app.metric}
    done, total = (int(n) for n in metrics["tasks done"].split(" / "))
    assert total == len(demo_project.charter.plan.tasks)
    # the run's stages mark their tasks done; the framing was done by hand; the
    # dossier, the deployment and the defence are still to do
    assert done == total - 3
    charts = [str(chart.proto) for chart in app.get("plotly_chart")]
    assert len(charts) == 2 and "Sources into the warehouse" in charts[0]
    assert "Senior customers get worse predictions" in charts[1]


@pytest.fixture(scope="module")
def dashboard_url(demo_project):
    port = free_port()
    process = subprocess.Popen(
        streamlit_command(demo_project, "127.0.0.1", port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(
        f"{url}/_stcore/health", process, process.stderr, 60, ready=lambda r: r.text == "ok"
    )
    yield url
    process.terminate()
    process.wait(10)
    process.stderr.close()


def wait_for_text(browser, text: str, timeout: float = 120) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, timeout).until(
        lambda driver: text in driver.find_element("tag name", "body").text
    )


def test_each_page_in_chromium(browser, dashboard_url, recent_batch, tmp_path):
    from selenium.webdriver.common.by import By

    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    shots = []

    def shoot(name):
        time.sleep(1.5)  # Streamlit fades in charts after the text
        path = folder / f"dashboard-{name}.png"
        browser.save_screenshot(str(path))
        shots.append(path)

    browser.set_window_size(1280, 1800)  # the what-if answer sits below its form
    browser.get(f"{dashboard_url}/?page=answer")
    wait_for_text(browser, "What the model answers")
    shoot("answer")

    browser.get(f"{dashboard_url}/?page=what-if")
    wait_for_text(browser, "tenure")
    buttons = browser.find_elements(By.XPATH, "//button[normalize-space()='Predict']")
    assert len(buttons) == 1
    buttons[0].click()
    wait_for_text(browser, "The three reasons that weigh most")
    assert "Probability that churn = Yes" in browser.find_element(By.TAG_NAME, "body").text
    shoot("what-if")

    for page, done in (("batch", "Download the scored file"), ("drift", "Major change in")):
        browser.get(f"{dashboard_url}/?page={page}")
        wait_for_text(browser, "File to score" if page == "batch" else "Recent data")
        browser.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(recent_batch))
        wait_for_text(browser, done)
        shoot(page)

    browser.get(f"{dashboard_url}/?page=project")
    wait_for_text(browser, "days of work done")
    shoot("project")

    browser.set_window_size(1280, 1400)
    # A dashboard page is mostly white space around its text: less ink than the dossier
    assert [path.name for path in shots if not not_blank(path, ink=0.003)] == []


def test_dashboard_without_a_trained_model_says_what_to_run(make_project):
    project = make_project({"rows": {"kind": "csv", "path": "rows.csv"}})
    process = subprocess.run(
        [sys.executable, "-m", "atelier", "dashboard", "-p", str(project.root)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert process.returncode == 1
    assert process.stderr.strip() == (
        f"atelier: error: {project.root}: no model yet; run `atelier train` first"
    )
