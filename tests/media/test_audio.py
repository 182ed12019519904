"""Sound files as a source: their record in the warehouse, and what the profile finds."""

import shutil
import subprocess
import wave

import numpy as np
import pytest

from atelier import Project
from atelier.media._audio import decode_audio, log_mel, probe_audio
from atelier.warehouse import ingest
from tests.conftest import write_charter

RATE = 16_000


def _wav(path, samples, rate=RATE):
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as stream:
        stream.setnchannels(1)
        stream.setsampwidth(2)
        stream.setframerate(rate)
        stream.writeframes(pcm.tobytes())


def _tone(frequency, seconds=0.5, level=0.3, rate=RATE):
    t = np.arange(int(seconds * rate)) / rate
    return level * np.sin(2 * np.pi * frequency * t)


@pytest.fixture
def sound_project(tmp_path):
    """Tones filed as low and high, and the problems a real folder of recordings has."""
    folder = tmp_path / "data" / "sounds"
    for i in range(30):
        _wav(folder / "low" / f"{i}.wav", _tone(200 + 5 * i, seconds=0.3 + 0.01 * i))
        _wav(folder / "high" / f"{i}.wav", _tone(2000 + 20 * i, seconds=0.3 + 0.01 * i))
    _wav(folder / "low" / "silent.wav", np.zeros(RATE // 2))
    _wav(folder / "high" / "clipped.wav", _tone(2500, level=1.5))
    _wav(folder / "high" / "phone.wav", _tone(2200, rate=8000), rate=8000)
    content = (folder / "low" / "0.wav").read_bytes()
    (folder / "low" / "cut.wav").write_bytes(content[: len(content) // 2])
    (folder / "high" / "notes.wav").write_text("not a recording\n")
    write_charter(
        tmp_path,
        {"sounds": {"kind": "audio", "path": "data/sounds", "key": "item"}},
        target={"column": "label"},
    )
    return tmp_path


def test_recordings_land_in_the_warehouse_with_their_record(sound_project):
    project = Project.load(sound_project)
    ingest(project)
    with project.connect() as connection:
        rows = connection.execute(
            "SELECT item, label, problem, sample_rate, duration_s, rms, clipped_share "
            "FROM raw.sounds"
        ).fetchall()
    by_item = {row[0]: row for row in rows}
    assert len(rows) == 65
    assert by_item["low/cut.wav"][2] == "truncated"
    assert by_item["high/notes.wav"][2] == "not_audio"
    assert by_item["high/phone.wav"][3:5] == (8000, 0.5)
    assert by_item["low/silent.wav"][5] == 0.0
    assert by_item["high/clipped.wav"][6] > 0.1
    assert by_item["low/0.wav"][4:6] == (0.3, pytest.approx(0.3 / np.sqrt(2), abs=0.01))


def test_the_profile_reports_silent_clipped_unreadable_and_mixed_rates(sound_project):
    from atelier.quality import profile

    project = Project.load(sound_project)
    ingest(project)
    findings = profile(project).findings
    kinds = {f.kind: f for f in findings}
    assert sum(f.rows for f in findings if f.kind == "unreadable_media") == 2
    assert kinds["silent_audio"].examples == ["low/silent.wav"]
    assert kinds["clipped_audio"].examples == ["high/clipped.wav"]
    assert kinds["mixed_sample_rates"].examples == ["8000 Hz"]
    assert "mixed_sizes" not in kinds


def test_the_classical_model_hears_the_tones_apart(sound_project):
    from atelier.learn import train
    from atelier.quality import profile

    charter = (sound_project / "atelier.yaml").read_text()
    charter += "training:\n  max_trials: 2\n  families: [linear]\n"
    (sound_project / "atelier.yaml").write_text(charter)
    project = Project.load(sound_project)
    ingest(project)
    profile(project)
    result = train(project, budget=300)
    assert result.scores["holdout_accuracy"] == 1.0  # a low tone and a high one
    assert any("silent recording(s) left out" in note for note in result.notes)
    assert any("resampled to 16,000 Hz" in note for note in result.notes)
    card = (project.artifact_dir("learn") / "serving.json").read_text()
    assert '"kind": "audio"' in card


def test_speech_from_espeak_is_resampled_and_has_a_log_mel(tmp_path):
    assert shutil.which("espeak-ng"), "Debian's espeak-ng is needed: make test installs it"
    path = tmp_path / "trois.wav"
    subprocess.run(["espeak-ng", "-v", "fr", "-w", str(path), "trois"], check=True)
    shape = probe_audio(path.read_bytes())
    assert shape.sample_rate == 22050 and 0.2 < shape.duration_s < 1.5 and shape.rms > 0.01
    samples = decode_audio(path, RATE)
    assert len(samples) == pytest.approx(shape.duration_s * RATE, rel=0.01)
    spectrogram = log_mel(samples, RATE, n_mels=40)
    assert spectrogram.shape[0] == 40
    assert spectrogram.shape[1] == pytest.approx(shape.duration_s * 100, abs=3)  # 10 ms hops
    loud = spectrogram.max(axis=0)
    assert loud.max() > np.log(1e-6) + 5  # speech, not silence


def test_the_record_of_processing_counts_voices_as_personal_data(sound_project):
    from atelier.privacy import privacy

    project = Project.load(sound_project)
    ingest(project)
    register = privacy(project).register
    assert "voice_recording" in register["categories"]
    assert register["columns"]["sounds.recording"] == "voice_recording"
