"""The dossier tells the truth on projects where there is nothing (or something else) to find."""

import json
from html import unescape

import numpy as np
import pandas as pd
import pytest

from atelier import Project
from atelier.clean import clean
from atelier.deep import deep
from atelier.explore import explore
from atelier.learn import train
from atelier.quality import profile
from atelier.report import build_report
from atelier.warehouse import ingest
from tests.conftest import write_charter

pytestmark = pytest.mark.slow
USEFUL = (
    "A machine learning solution is proposed and makes a predictive analysis.",
    "Existing learning algorithms are compared (for example by their prediction thresholds), "
    "and a solution suited to the business problem is proposed.",
)


def trained(root, data: pd.DataFrame, **sections) -> Project:
    root.mkdir()
    data.to_csv(root / "t.csv", index=False)
    write_charter(
        root,
        {"t": {"kind": "csv", "path": "t.csv", "key": "id"}},
        training={"families": ["linear", "lightgbm"], "max_trials": 4},
        deep={"max_epochs": 6, "trials": 0},
        **sections,
    )
    project = Project.load(root)
    ingest(project)
    profile(project)
    project, _ = clean(project)
    train(project, budget=300)
    return project


def test_a_target_independent_of_its_features_gets_no(tmp_path):
    rng = np.random.default_rng(0)
    n = 3_000
    data = pd.DataFrame(
        {
            "id": range(n),
            **{f"x{i}": rng.normal(size=n) for i in range(5)},
            "y": rng.choice(["yes", "no"], size=n),
        }
    )
    project = trained(tmp_path / "noise", data)
    explore(project)
    index = build_report(project, language="en")
    html = unescape(index.read_text())
    first_page = html[html.index('id="summary"') : html.index('id="framing"')]
    assert "No, not yet" in first_page and "Yes, to a useful degree" not in first_page
    matrix = json.loads((index.parent / "referential.json").read_text())
    status = {entry["criterion_en"]: entry["status"] for entry in matrix}
    for criterion in USEFUL:
        assert status[criterion] in {"partly", "not_yet"}, criterion
    assert "do not form distinct groups" in html  # k-means on noise finds no real segments
    french = unescape(build_report(project, language="fr").read_text())
    assert "Non, pas encore" in french


@pytest.mark.parametrize("kind", ["regression", "multiclass"])
def test_regression_and_multiclass_dossiers_render(tmp_path, kind):
    rng = np.random.default_rng(1)
    n = 400
    x = rng.normal(size=n)
    y = 3 * x + rng.normal(size=n) if kind == "regression" else np.digitize(x, [-0.5, 0.5])
    data = pd.DataFrame({"id": range(n), "x": x, "z": rng.normal(size=n), "y": y})
    if kind == "multiclass":
        data["y"] = data["y"].map({0: "low", 1: "mid", 2: "high"})
    project = trained(
        tmp_path / kind,
        data,
        project={
            "name": kind,
            "question": "How much?",
            "decision": "Plan.",
            "kpi": {"name": "error"},
            "language": "fr",
            "unit": "commandes",
        },
    )
    html = unescape(build_report(project).read_text())
    assert '<html lang="fr">' in html and "Oui, dans une mesure utile" in html
    assert "commandes" in html and "clients" not in html
    assert "Validation croisée : validation" in html and "Robustesse aux plis extrêmes" in html
    assert "L'étape deep n'a pas tourné" in html
    # the network of this task, with its own indicators, in the charter's language
    result = deep(project, budget=300)
    indicators = result.indicators
    if kind == "regression":
        assert {"rmse", "mae", "r2"} <= set(indicators["network"]) and "residuals" in indicators
        assert "residuals" in result.figures and indicators["network"]["r2"] > 0.5
    else:
        assert len(indicators["confusion"]) == 3 and set(indicators["recall"]) == {
            "high",
            "low",
            "mid",
        }
    html = unescape(build_report(project).read_text())
    chapter = html[html.index('id="deep"') : html.index('id="deploy"')]
    assert "Méthode d'entraînement" in chapter and "Perte : " in chapter


def test_the_dashboard_speaks_the_charters_language(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from atelier.dashboard import APP_FILE, check_dashboard
    from atelier.dashboard._run import PROJECT_VARIABLE

    rng = np.random.default_rng(2)
    n = 400
    x = rng.normal(size=n)
    data = pd.DataFrame(
        {"id": range(n), "x": x, "y": np.where(x + rng.normal(size=n) > 0, "oui", "non")}
    )
    project = trained(tmp_path / "fr", data, project={
        "name": "fr", "question": "Qui partira ?", "decision": "Appeler.",
        "kpi": {"name": "départs"}, "language": "fr", "unit": "salariés",
    })  # fmt: skip
    assert check_dashboard(project)["passed"]
    monkeypatch.setenv(PROJECT_VARIABLE, str(project.root))
    app = AppTest.from_file(str(APP_FILE), default_timeout=180)
    app.run()
    assert not app.exception
    assert app.title[0].value == "Question et réponse"
    assert app.info[0].value.startswith("Au seuil de") and "salariés" in app.info[0].value
    assert app.metric[0].label == "Version du modèle"
