"""The speech demo's project (fewer voices) through every stage, the API and the dashboard."""

import json

import pytest
import yaml

from atelier import Project

pytest.importorskip("torch")
VOICES = ("m1", "m3", "f2", "f4", "klatt", "croak")


@pytest.fixture(scope="module")
def speech_project(tmp_path_factory):
    """Six espeak-ng voices saying the ten digits four ways; whole voices held out."""
    from atelier.demo._speech import create_speech_demo
    from atelier.runner import run

    root = create_speech_demo(tmp_path_factory.mktemp("speech"), voices=VOICES)
    charter = yaml.safe_load((root / "atelier.yaml").read_text(encoding="utf-8"))
    charter["training"] |= {"max_trials": 2, "families": ["linear"], "budget_s": 900}
    charter["deep"] = {"max_epochs": 6, "budget_s": 900}
    (root / "atelier.yaml").write_text(yaml.safe_dump(charter, allow_unicode=True))
    return run(Project.load(root), report=False).project


@pytest.mark.slow
def test_the_speech_project_runs_end_to_end_on_unseen_voices(speech_project):
    from atelier.report import build_report

    project = speech_project
    learn = json.loads((project.artifact_dir("learn") / "result.json").read_text())
    assert learn["holdout_plan"]["kind"] == "group"  # whole voices held out
    assert learn["scores"]["holdout_accuracy"] > 0.6
    deep = json.loads((project.artifact_dir("deep") / "result.json").read_text())
    assert deep["architecture"]["kind"] == "audio_cnn" and deep["onnx"]["equal"]
    steps = [step["step"] for step in deep["improvements"]["steps"]]
    assert steps[0] == "plain_sound_cnn" and "spec_augment" in steps
    assert deep["architecture"]["inputs"]["sample_rate"] == 16_000
    assert (project.artifact_dir("deep") / "misclassified.png").exists() or not deep["errors"][
        "holdout"
    ]["misclassified"]
    build_report(project)
    criteria = json.loads((project.root / "report" / "referential.json").read_text())
    assert [c["status"] for c in criteria if c["block"] == 4][:4] == ["met"] * 4


@pytest.mark.slow
def test_the_api_hears_an_uploaded_recording_and_refuses_what_is_none(speech_project, tmp_path):
    import httpx

    from atelier.demo._speech import synthesise
    from atelier.serve import ModelService, check_api, create_app
    from tests.serve.conftest import running

    assert check_api(speech_project)["passed"]
    synthesise("sept", "m7", 160, 50, tmp_path / "sept.wav")  # a voice never heard
    content = (tmp_path / "sept.wav").read_bytes()
    app = create_app(ModelService.from_project(speech_project))
    with running(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        answer = client.post("/v1/predict", files={"file": ("sept.wav", content, "audio/wav")})
        assert answer.status_code == 200
        [prediction] = answer.json()["predictions"]
        assert set(prediction["probability"]) == {str(d) for d in range(10)}
        for name, body, words in (
            ("cut.wav", content[: len(content) // 2], "cut short"),
            ("notes.wav", b"rappeler", "not a PCM WAV"),
            ("empty.wav", b"", "empty upload"),
        ):
            refused = client.post("/v1/predict", files={"file": (name, body, "audio/wav")})
            assert refused.status_code == 422 and words in refused.json()["detail"]
        assert client.get("/health").status_code == 200  # still serving


@pytest.mark.slow
def test_the_dashboard_hears_one_recording(speech_project, monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    from atelier.dashboard._run import APP_FILE, PROJECT_VARIABLE
    from atelier.demo._speech import synthesise

    monkeypatch.setenv(PROJECT_VARIABLE, str(speech_project.root))
    synthesise("trois", "f5", 160, 50, tmp_path / "trois.wav")
    app = AppTest.from_file(str(APP_FILE), default_timeout=120)
    app.query_params["page"] = "try-one"
    app.run()
    assert app.title[0].value == "Essayer un enregistrement"
    app.file_uploader[0].upload("trois.wav", (tmp_path / "trois.wav").read_bytes(), "audio/wav")
    app.run()
    assert not app.exception and not app.error
    assert app.success[0].value.startswith("Réponse du modèle : **")
