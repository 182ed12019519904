"""Dictated digit strings (fewer voices): transcription as a project, from the index to the API."""

import html
import json

import pytest
import yaml

from atelier import Project
from atelier.exceptions import CharterError, DataError

pytest.importorskip("torch")
VOICES = ("m1", "m2", "m3", "m4", "f1", "f2", "f3", "f4", "klatt", "croak", "steph", "linda")


@pytest.fixture(scope="module")
def dictation_project(tmp_path_factory):
    """Twelve espeak-ng voices dictating two-digit strings; whole voices held out."""
    from atelier.demo._speech import create_transcription_demo
    from atelier.runner import run

    root = create_transcription_demo(
        tmp_path_factory.mktemp("dictation"), voices=VOICES, per_voice=20, lengths=(2, 2)
    )
    charter = yaml.safe_load((root / "atelier.yaml").read_text(encoding="utf-8"))
    charter["deep"] = {"max_epochs": 20, "budget_s": 1800}  # epochs decide, not the clock
    (root / "atelier.yaml").write_text(yaml.safe_dump(charter, allow_unicode=True))
    return run(Project.load(root), report=False).project


@pytest.mark.slow
def test_the_transcriber_is_trained_measured_and_served_on_unseen_voices(dictation_project):
    from atelier.report import build_report
    from atelier.runner._run import RUN_FILE

    project = dictation_project
    state = json.loads((project.state_dir / RUN_FILE).read_text())["stages"]
    assert "not_applicable" in state["train"]  # no classical family writes transcripts
    deep = json.loads((project.artifact_dir("deep") / "result.json").read_text())
    assert deep["task"] == "transcription" and deep["metric"] == "cer"
    assert deep["architecture"]["kind"] == "ctc_transcriber" and deep["onnx"]["equal"]
    assert deep["architecture"]["inputs"]["alphabet"] == "0123456789"
    steps = [step["step"] for step in deep["improvements"]["steps"]]
    assert steps == ["plain_transcriber", "range_test", "spec_augment", "transcriber_dropout"]
    assert not any("skipped" in step for step in deep["improvements"]["steps"])
    indicators = deep["indicators"]
    assert indicators["classical"]["model"] == "constant"
    assert indicators["network"]["cer"] < indicators["classical"]["cer"]
    assert deep["champion"] == indicators["comparison"]["better"] is True
    assert set(indicators["error_kinds"]) == {"replaced", "dropped", "added"}
    voices_held_out = {row["group"] for row in deep["errors"]["holdout"]["mistranscribed"]}
    assert voices_held_out and voices_held_out <= set(VOICES)
    assert [t["treatment"] for t in deep["errors"]["treatments"]]
    profile = json.loads((project.artifact_dir("profile") / "result.json").read_text())
    kinds = {(f["kind"], tuple(f["columns"])) for f in profile["findings"]}
    assert ("imbalance", ("transcript",)) not in kinds  # each transcript is its own
    assert ("unreadable_media", ("item",)) in kinds and ("silent_audio", ("item",)) in kinds
    build_report(project)
    criteria = json.loads((project.root / "report" / "referential.json").read_text())
    block = {c["criterion_en"]: c["status"] for c in criteria if c["block"] == 4}
    assert list(block.values())[:3] == ["met"] * 3, block
    page = html.unescape((project.root / "report" / "index.html").read_text(encoding="utf-8"))
    assert "réponse constante" in page and "caractères perdus" in page
    summary = page[page.index('id="summary"') : page.index('id="framing"')]
    assert "qui n'entend rien" in summary  # the decision maker's answer, from the transcriber


@pytest.mark.slow
def test_the_api_writes_what_an_uploaded_recording_says(dictation_project, tmp_path):
    import httpx

    from atelier.demo._speech import synthesise
    from atelier.serve import ModelService, check_api, create_app
    from tests.serve.conftest import running

    assert check_api(dictation_project)["passed"]
    synthesise("4 7", "m7", 160, 50, tmp_path / "47.wav")  # a voice never heard
    content = (tmp_path / "47.wav").read_bytes()
    service = ModelService.from_project(dictation_project)
    with running(create_app(service)) as url, httpx.Client(base_url=url, timeout=60) as client:
        answer = client.post("/v1/predict", files={"file": ("47.wav", content, "audio/wav")})
        assert answer.status_code == 200
        [prediction] = answer.json()["predictions"]
        assert set(prediction) == {"transcript"} and prediction["transcript"].isdigit()
        for name, body, words in (
            ("cut.wav", content[: len(content) // 2], "cut short"),
            ("notes.wav", b"rappeler", "not a PCM WAV"),
        ):
            refused = client.post("/v1/predict", files={"file": (name, body, "audio/wav")})
            assert refused.status_code == 422 and words in refused.json()["detail"]
        assert client.get("/v1/model").json()["task"] == "transcription"
        assert client.get("/health").status_code == 200  # still serving


@pytest.mark.slow
def test_the_dashboard_shows_what_it_wrote_and_when_it_heard_each_digit(
    dictation_project, monkeypatch, tmp_path
):
    from streamlit.testing.v1 import AppTest

    from atelier.dashboard import check_dashboard
    from atelier.dashboard._run import APP_FILE, PROJECT_VARIABLE
    from atelier.demo._speech import synthesise

    assert check_dashboard(dictation_project)["passed"]
    monkeypatch.setenv(PROJECT_VARIABLE, str(dictation_project.root))
    synthesise("3 9", "f5", 160, 50, tmp_path / "39.wav")
    app = AppTest.from_file(str(APP_FILE), default_timeout=120)
    app.query_params["page"] = "try-one"
    app.run()
    app.file_uploader[0].upload("39.wav", (tmp_path / "39.wav").read_bytes(), "audio/wav")
    app.run()
    assert not app.exception and not app.error
    assert app.success[0].value.startswith("Ce que le modèle a écrit : **")
    assert "Quand il a entendu chaque caractère" in str(app.get("plotly_chart")[-1].proto)


def test_a_transcription_needs_recordings(tmp_path):
    from importlib.resources import files

    from atelier.charter import load_charter

    charter = yaml.safe_load(files("atelier.demo").joinpath("transcription.yaml").read_text())
    charter["sources"]["dictees"] = {"kind": "csv", "path": "calls.csv", "key": "item"}
    (tmp_path / "atelier.yaml").write_text(yaml.safe_dump(charter, allow_unicode=True))
    with pytest.raises(CharterError, match=r"target\.task: transcription needs recordings"):
        load_charter(tmp_path / "atelier.yaml")
    charter["target"].pop("task")  # the same column as a class: no recordings needed
    (tmp_path / "atelier.yaml").write_text(yaml.safe_dump(charter, allow_unicode=True))
    assert load_charter(tmp_path / "atelier.yaml").target.task is None


def test_an_index_of_transcripts_keeps_them_as_text_and_train_refuses_them(tmp_path):
    from atelier.demo._speech import create_transcription_demo
    from atelier.learn import train
    from atelier.quality import profile
    from atelier.warehouse import ingest

    root = create_transcription_demo(tmp_path, voices=("m1", "f2"), per_voice=3, lengths=(2, 2))
    index = root / "data" / "dictation" / "index.csv"
    lines = index.read_text(encoding="utf-8").splitlines()
    path = lines[1].split(",")[0]
    lines[1] = f"{path},07,m1"  # a leading zero, which a number would lose
    index.write_text("\n".join(lines) + "\n", encoding="utf-8")
    project = Project.load(root)
    ingest(project)
    profile(project)
    with project.connect() as connection:
        said = connection.execute(
            "SELECT transcript FROM mart.model_table WHERE item = ?", [path]
        ).fetchone()[0]
    assert said == "07"
    with pytest.raises(DataError, match=r"target\.task: transcription"):
        train(project)
