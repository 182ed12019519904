"""The CTC transcriber: error rates, decoding, learning alignments it was never given."""

import pickle

import numpy as np
import pytest

from atelier.deep._transcribe import edit_distance, error_rates, greedy_decode

ALPHABET = "0123"


def test_edit_distance_counts_substitutions_insertions_and_deletions():
    assert edit_distance("3719", "3719") == 0
    assert edit_distance("3719", "3819") == 1  # one substitution
    assert edit_distance("3719", "37219") == 1  # one insertion
    assert edit_distance("3719", "319") == 1  # one deletion
    assert edit_distance("", "12") == 2
    assert edit_distance(["trois", "sept"], ["trois"]) == 1


def test_error_rates_weigh_each_transcript_by_its_length():
    rates = error_rates(["3719", "12"], ["3719", "1"])
    assert rates["cer"] == pytest.approx(1 / 6)
    assert rates["sentence_error_rate"] == 0.5
    assert rates["wer"] == pytest.approx(1 / 2)  # "3719" and "12" are one word each
    assert error_rates(["3719", "12"], ["3719", "1"], characters_are_words=True)["wer"] == (
        pytest.approx(1 / 6)
    )
    words = error_rates(["trois sept", "un"], ["trois six", "un"])
    assert words["wer"] == pytest.approx(1 / 3) and words["cer"] > 0
    with pytest.raises(ValueError):
        error_rates(["1"], ["1", "2"])


def test_greedy_decoding_merges_repeats_and_drops_blanks():
    path = [0, 2, 2, 0, 2, 3, 3, 0]  # blank, "1" twice, blank, "1", "2" twice, blank
    probabilities = np.eye(1 + len(ALPHABET))[path][None]
    assert greedy_decode(probabilities, ALPHABET) == ["112"]


def spoken_strings(n: int, seed: int, frames: int = 64, bands: int = 16):
    """Toy spectrograms: each symbol lights its own 4 bands for 6 to 10 frames, in order.

    Where each symbol starts is never given to the model: CTC must find it.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 0.3, (n, 1, bands, frames)).astype(np.float32)
    transcripts = []
    for row in range(n):
        text = "".join(rng.choice(list(ALPHABET), rng.integers(1, 5)))
        at = int(rng.integers(0, 6))
        for symbol in text:
            band, width = 4 * ALPHABET.index(symbol), int(rng.integers(6, 11))
            X[row, 0, band : band + 4, at : at + width] += 2.0
            at += width + int(rng.integers(2, 5))
        transcripts.append(text)
    return X, transcripts


@pytest.fixture(scope="module")
def transcriber():
    pytest.importorskip("torch")
    from atelier.deep._transcribe import SpeechTranscriber

    X, y = spoken_strings(240, seed=0)
    return SpeechTranscriber(
        channels=8,
        hidden=32,
        masking=0.0,
        learning_rate=1e-2,
        batch_size=16,
        max_epochs=14,
        patience=14,
        random_state=0,
    ).fit(X, y)


def test_the_transcriber_learns_strings_it_was_never_shown(transcriber):
    X, y = spoken_strings(80, seed=1)
    assert error_rates(y, transcriber.predict(X))["cer"] < 0.1
    assert transcriber.alphabet_ == ALPHABET
    history = transcriber.history_
    assert len(history) == 14 and history[-1]["validation_cer"] < history[0]["validation_cer"]


def test_the_frozen_transcriber_writes_the_same_without_torch_weights(transcriber):
    X, _ = spoken_strings(20, seed=2)
    before, by_torch = transcriber.predict(X), transcriber.step_probabilities(X)
    frozen = pickle.loads(pickle.dumps(transcriber.freeze()))
    assert "network_" not in frozen.__dict__  # onnxruntime alone transcribes
    assert list(frozen.predict(X)) == list(before)
    np.testing.assert_allclose(frozen.step_probabilities(X), by_torch, atol=1e-4)


def test_a_transcript_longer_than_the_recording_allows_is_refused():
    pytest.importorskip("torch")
    from atelier.deep._transcribe import SpeechTranscriber

    X, _ = spoken_strings(4, seed=3, frames=16)
    with pytest.raises(ValueError, match="too long for recordings of 16 frames"):
        SpeechTranscriber(max_epochs=1).fit(X, ["0123012301"] * 4)
    with pytest.raises(ValueError, match="expected \\(n, 1, n_mels, frames\\)"):
        SpeechTranscriber(max_epochs=1).fit(X[:, 0], ["0"] * 4)


def test_digit_strings_are_said_digit_by_digit_by_each_voice(tmp_path):
    import shutil

    from atelier.demo._speech import digit_strings
    from atelier.media._audio import AudioShape, probe_audio

    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is needed: `make test` installs Debian's espeak-ng")
    said = digit_strings(tmp_path, ("m1", "f2"), per_voice=2, seed=0, lengths=(2, 4))
    assert [voice for _, _, voice in said] == ["m1", "m1", "f2", "f2"]
    for path, transcript, _ in said:
        assert transcript.isdigit() and 2 <= len(transcript) <= 4
        shape = probe_audio(path.read_bytes())
        assert isinstance(shape, AudioShape) and shape.duration_s > 0.2 * len(transcript)
    again = digit_strings(tmp_path / "again", ("m1", "f2"), per_voice=2, seed=0, lengths=(2, 4))
    assert [t for _, t, _ in again] == [t for _, t, _ in said]  # the seed fixes the strings


def test_the_transcriber_says_where_it_trained_and_comes_back_to_the_cpu():
    pytest.importorskip("torch")
    from atelier.deep._transcribe import SpeechTranscriber

    X, y = spoken_strings(16, seed=4)
    fitted = SpeechTranscriber(channels=4, hidden=8, max_epochs=1, device="cpu").fit(X, y)
    assert fitted.device_ == "cpu" and fitted.history_[0]["epoch"] == 1
    assert next(fitted.network_.parameters()).device.type == "cpu"
    assert fitted.step_probabilities(X).shape == (16, X.shape[3] // 2, 1 + len(fitted.alphabet_))


def test_edit_operations_name_each_kind_of_error_and_add_up_to_the_distance():
    from atelier.deep._transcribe import edit_operations

    assert edit_operations("3719", "3719") == {"replaced": 0, "dropped": 0, "added": 0}
    assert edit_operations("3719", "379") == {"replaced": 0, "dropped": 1, "added": 0}
    assert edit_operations("37", "3719") == {"replaced": 0, "dropped": 0, "added": 2}
    assert edit_operations("12", "13") == {"replaced": 1, "dropped": 0, "added": 0}
    rng = np.random.default_rng(0)
    for _ in range(200):
        a, b = ("".join(rng.choice(list(ALPHABET), rng.integers(0, 7))) for _ in range(2))
        assert sum(edit_operations(a, b).values()) == edit_distance(a, b)


def test_the_range_test_and_the_layer_table_of_the_transcriber(transcriber):
    from atelier.deep._transcribe import SpeechTranscriber

    X, y = spoken_strings(64, seed=5)
    tested = SpeechTranscriber(channels=8, hidden=32, batch_size=16).range_test(X, y)
    assert len(tested["losses"]) == len(tested["learning_rates"]) > 10
    assert tested["learning_rates"][0] < tested["chosen"] < tested["learning_rates"][-1]
    layers = transcriber.layer_table()
    assert sum(row["parameters"] for row in layers) == transcriber.n_parameters_
    recurrent = next(row for row in layers if row["kind"] == "GRU")
    assert recurrent["output_shape"] == ["batch", 32, 64]  # 64 frames / 2, both directions
    assert layers[-1]["output_shape"] == ["batch", 32, 1 + len(ALPHABET)]


def test_the_transcriber_is_compared_with_the_constant_answer_on_the_same_recordings():
    from atelier.deep._transcription import indicators

    truth = ["3719", "12", "4444", "905"] * 10
    trained = ["12", "12", "3719"]
    perfect = indicators(truth, truth, trained)
    assert perfect["classical"]["transcript"] == "12"  # the most frequent training transcript
    assert perfect["network"]["cer"] == 0 and perfect["classical"]["cer"] > 0.5
    assert perfect["comparison"]["better"] and perfect["words"] == "characters"
    garbled = indicators(truth, ["371", "112", "4", "905"] * 10, trained)
    assert garbled["error_kinds"] == {"replaced": 0, "dropped": 40, "added": 10}
    assert garbled["by_length"]["3"]["cer"] == 0 and garbled["by_length"]["4"]["cer"] > 0
    constant = indicators(truth, ["12"] * len(truth), trained)
    assert not constant["comparison"]["better"]  # no better than knowing nothing
