"""The deep stage on transcripts: a CTC transcriber of recordings, one measured step at a time.

Where the charter says ``target.task: transcription``, each recording's target is
what it says. There is no classical model to beat (the families of the train stage
predict one value per row): the network is compared with the constant answer, the
most frequent training transcript, on the same hold-out recordings. From a plain
transcriber (:class:`atelier.deep.SpeechTranscriber`), the steps are the
learning-rate range test, SpecAugment and dropout, each kept only if it lowers the
character error rate on validation recordings of unseen groups (voices). The
validation errors are read by kind (characters dropped, added or replaced) and
call for a treatment: finer time steps when characters are dropped, more epochs
when training was still improving, a wider recurrent layer otherwise.
"""

from collections import Counter

import numpy as np
import pandas as pd

from atelier.deep._errors import analyse
from atelier.deep._improvements import better
from atelier.deep._sounds import Sounds
from atelier.deep._transcribe import edit_distance, edit_operations, error_rates
from atelier.learn._data import SEED
from atelier.learn._metrics import REGRESSION, Metric
from atelier.learn._verdicts import paired_gain

SHOWN = 8  # the worst hold-out transcripts, listed and drawn
RATES = ("cer", "wer", "sentence_error_rate")
DROPPED_SHARE = 0.4  # of the character errors: dropped characters call for finer steps


def _character_error_rate(references, hypotheses) -> float:
    return error_rates(list(references), list(hypotheses))["cer"]


CER = Metric("cer", False, _character_error_rate)


class Transcripts(Sounds):
    """Recordings and what they say, as the deep stage trains, explains and serves them."""

    kind, title = "ctc_transcriber", "CNN + GRU (CTC)"
    baseline = {  # noqa: RUF012 -- read-only class data
        "channels": 32,
        "hidden": 128,
        "time_stride": 2,
        "dropout": 0.0,
        "masking": 0.0,
        "learning_rate": 3e-3,
        "weight_decay": 0.01,
        "batch_size": 16,  # more steps per epoch: CTC needs them to leave the all-blank start
    }
    first_step = "plain_transcriber"
    steps = (
        ("range_test", {}),
        ("spec_augment", {"masking": 0.1}),
        ("transcriber_dropout", {"dropout": 0.2}),
    )

    def network(self, config: dict):
        from atelier.deep._transcribe import SpeechTranscriber

        return SpeechTranscriber(**config, random_state=self.seed)

    def method_extras(self, config: dict) -> dict:
        return {
            "loss": "connectionist temporal classification",
            "loss_key": "ctc",
            "schedule": "one_cycle",
            "augmentation": config["masking"],
            "scaling": "log_mel",
            "time_stride": config["time_stride"],
        }


def indicators(truth, said, trained) -> dict:
    """The transcriber and the constant answer on the same hold-out recordings.

    Parameters
    ----------
    truth, said : sequences of str
        What each hold-out recording says, and what the network wrote.
    trained : sequence of str
        The training transcripts. The most frequent is the constant answer, which
        knows nothing of the sound; when none has a space, each character counts as
        a word (digit strings).

    Returns
    -------
    dict
        ``network`` and ``classical`` (the constant) error rates, their paired
        ``comparison`` (gain in character error rate, with its 90% interval from a
        bootstrap of the recordings), ``words`` (how words were counted),
        ``error_kinds`` (characters replaced, dropped, added) and ``by_length`` (the
        rates per transcript length).
    """
    trained = [str(t) for t in trained]
    counts = Counter(trained)
    constant = min(counts, key=lambda text: (-counts[text], text))
    words_are_characters = not any(" " in t for t in [*trained, *map(str, truth)])
    truth, said = [str(t) for t in truth], [str(s) for s in said]
    guessed = [constant] * len(truth)
    lengths = np.array([len(t) for t in truth], dtype=np.float64)
    ours = np.array([edit_distance(t, s) for t, s in zip(truth, said, strict=True)])
    theirs = np.array([edit_distance(t, constant) for t in truth])
    # the rate is a ratio of sums: resampling recordings resamples both sums together
    pooled = Metric("cer", False, lambda length, errors: errors.sum() / length.sum())
    comparison = paired_gain(lengths, theirs, ours, pooled, REGRESSION, SEED)
    kinds = {"replaced": 0, "dropped": 0, "added": 0}
    for reference, hypothesis in zip(truth, said, strict=True):
        for kind, count in edit_operations(reference, hypothesis).items():
            kinds[kind] += count
    by_length = {
        str(length): error_rates(
            [t for t in truth if len(t) == length],
            [s for t, s in zip(truth, said, strict=True) if len(t) == length],
            words_are_characters,
        )
        for length in sorted({len(t) for t in truth})
    }
    network = error_rates(truth, said, words_are_characters)
    classical = error_rates(truth, guessed, words_are_characters)
    return {
        "network": {key: network[key] for key in RATES},
        "classical": {key: classical[key] for key in RATES}
        | {"model": "constant", "transcript": constant},
        "rows": len(truth),
        "comparison": comparison,
        "words": "characters" if words_are_characters else "spaces",
        "error_kinds": kinds,
        "by_length": by_length,
    }


def holdout_errors(truth, said, items, extra, group: str | None) -> dict:
    """What the hold-out errors share, and the recordings transcribed worst.

    :func:`atelier.deep._errors.analyse` of each recording's character error rate,
    grouped by the charter's group column (a voice) when there is one, and
    ``mistranscribed``: the worst ones, each with its ``item`` (of ``items``).
    """
    rates = np.array([edit_distance(t, s) / len(t) for t, s in zip(truth, said, strict=True)])
    columns = extra if extra is not None else pd.DataFrame(index=range(len(truth)))
    groups = None if group is None else extra[group].astype(str).tolist()
    analysed = analyse(columns, rates, np.array(truth, dtype=object), np.array(said, dtype=object))
    shown = worst(truth, said, groups)
    for row in shown:
        row["item"] = items[row.pop("row")]
    return analysed | {"mistranscribed": shown}


def worst(truth, said, groups=None, top: int = SHOWN) -> list[dict]:
    """The hold-out recordings with the highest character error rate (``row``: position)."""
    rates = np.array(
        [edit_distance(t, s) / max(len(t), 1) for t, s in zip(truth, said, strict=True)]
    )
    order = np.argsort(-rates, kind="stable")
    shown = []
    for row in order[:top]:
        if rates[row] == 0:
            break
        shown.append(
            {
                "row": int(row),
                "actual": str(truth[row]),
                "predicted": str(said[row]),
                "cer": round(float(rates[row]), 4),
            }
            | ({"group": str(groups[row])} if groups is not None else {})
        )
    return shown


def treatments(trainer, config: dict, model, score: float) -> dict:
    """What the validation errors call for, each tried and kept only if it helps.

    Returns
    -------
    dict
        ``config`` (the kept one), ``model``, ``score`` and ``tried``: one row per
        treatment with ``treatment``, ``why``, and ``validation``, ``delta``, ``kept``
        (or ``skipped``).
    """
    said = model.predict(trainer.X_valid)
    kinds = {"replaced": 0, "dropped": 0, "added": 0}
    for reference, hypothesis in zip(trainer.y_valid, said, strict=True):
        for kind, count in edit_operations(str(reference), str(hypothesis)).items():
            kinds[kind] += count
    errors = sum(kinds.values())
    calls = []  # (name, why, change); the dossier reads ``share_top`` as the share in question
    if errors and kinds["dropped"] / errors >= DROPPED_SHARE and config["time_stride"] > 1:
        calls.append(
            (
                "finer_steps",
                {"share_top": kinds["dropped"] / errors},
                {"time_stride": 1},
            )
        )
    if model.stopped_by_ == "maximum epochs":
        longer = {"max_epochs": 2 * config["max_epochs"], "patience": 2 * config["patience"]}
        calls.append(("more_epochs", {"stopped_by": model.stopped_by_}, longer))
    elif errors:
        calls.append(
            ("wider_recurrent", {"share_top": kinds["replaced"] / errors}, {"hidden": 256})
        )
    tried = []
    if not calls:
        tried.append({"treatment": "none", "why": {}})
    for name, why, change in calls:
        row = {"treatment": name, "why": why, "change": change}
        if trainer.time_left() < 1.5 * trainer.last_seconds:
            tried.append(row | {"skipped": "time budget"})
            continue
        candidate = config | change
        new_model, new_score = trainer.fit(candidate)
        delta = better(CER, new_score, score)
        tried.append(row | {"validation": new_score, "delta": delta, "kept": delta > 0})
        if delta > 0:
            config, model, score = candidate, new_model, new_score
    return {"config": config, "model": model, "score": score, "tried": tried}
