"""The deep-learning chapter's sentences, in the dossier's language, from deep's result."""

from atelier._text import Text
from atelier.report._facts import metric_label


def deep_sentences(deep: dict, text: Text, unit: str = "") -> dict:
    """Every sentence of the chapter, by name."""
    metric = metric_label(deep["metric"])
    why = {
        "cnn": image_why_sentence,
        "audio_cnn": sound_why_sentence,
        "bag": text_why_sentence,
        "ctc_transcriber": transcriber_why_sentence,
    }.get(deep["architecture"]["kind"], why_sentence)
    transcribed = deep["task"] == "transcription"
    compared = transcription_comparison if transcribed else comparison_sentence
    return {
        "why": why(deep["architecture"], text),
        "method": method_sentence(deep, text),
        "curves": curve_sentence(deep["curves"]["diagnosis"], deep["curves"]["stopped_by"], text),
        "comparison": compared(deep, metric, text),
        "transcription": transcription_sentence(deep["indicators"], text) if transcribed else "",
        "improvements": improvements_sentence(deep["improvements"]["steps"], metric, text),
        "search": search_sentence(deep["improvements"].get("search"), text),
        "steps": [step_row(step, text) for step in deep["improvements"]["steps"]],
        "shared": [shared_sentence(t, text) for t in deep["errors"]["holdout"]["shared"]],
        "groups": [group_sentence(g, text) for g in deep["errors"]["holdout"]["groups"]],
        "treatments": [treatment_sentence(t, metric, text) for t in deep["errors"]["treatments"]],
        "pairs": [
            pair_sentence(p, text, unit)
            for p in deep["errors"]["holdout"].get("confused_pairs", [])
        ],
    }


def image_why_sentence(architecture: dict, text: Text) -> str:
    """What the convolutional network reads and how it is built."""
    inputs, config = architecture["inputs"], architecture["config"]
    return text(
        "deep_why_images",
        width=inputs["width"],
        height=inputs["height"],
        channels=text("deep_grey" if inputs["channels"] == 1 else "deep_colour"),
        blocks=len(config["channels"]),
        filters=", ".join(str(c) for c in config["channels"]),
        hidden=config["hidden"],
        extras=_additions(config, "augment", "deep_with_augmentation", text),
        parameters=text.number(architecture["parameters"]),
        rows=text.number(inputs["rows"]),
    )


def _additions(config: dict, augmentation: str, words: str, text: Text) -> str:
    """What the kept CNN adds to a plain one, in words."""
    added = (
        ("deep_with_batch_norm", config["batch_norm"]),
        ("deep_with_dropout", config["dropout"]),
        (words, config.get(augmentation)),
    )
    return ", ".join(text(name) for name, on in added if on) or text("deep_with_nothing")


def sound_why_sentence(architecture: dict, text: Text) -> str:
    """What the network of sounds hears and how it is built."""
    inputs, config = architecture["inputs"], architecture["config"]
    return text(
        "deep_why_sounds",
        rate=text.number(inputs["sample_rate"]),
        mels=inputs["n_mels"],
        frames=inputs["frames"],
        blocks=len(config["channels"]),
        filters=", ".join(str(c) for c in config["channels"]),
        hidden=config["hidden"],
        extras=_additions(config, "masking", "deep_with_masking", text),
        parameters=text.number(architecture["parameters"]),
        rows=text.number(inputs["rows"]),
    )


def transcriber_why_sentence(architecture: dict, text: Text) -> str:
    """What the transcriber hears, how it is built, and how it writes."""
    inputs, config = architecture["inputs"], architecture["config"]
    added = (("deep_with_masking", config["masking"]), ("deep_with_dropout", config["dropout"]))
    extras = ", ".join(text(name) for name, on in added if on)
    return text(
        "deep_why_transcripts",
        rate=text.number(inputs["sample_rate"]),
        mels=inputs["n_mels"],
        frames=inputs["frames"],
        channels=config["channels"],
        step=10 * config["time_stride"],
        hidden=config["hidden"],
        symbols=inputs["outputs"] - 1,
        alphabet=" ".join(inputs["alphabet"]),
        extras=extras or text("deep_with_nothing_more"),
        parameters=text.number(architecture["parameters"]),
        rows=text.number(inputs["rows"]),
    )


def transcription_comparison(deep: dict, metric: str, text: Text) -> str:
    """The transcriber against the constant answer, on the same hold-out recordings."""
    versus = deep["indicators"]["comparison"]
    return text(
        "deep_comparison_transcription",
        rows=text.number(deep["rows_holdout"]),
        network=text.percent(versus["candidate"], 1),
        classical=text.percent(versus["reference"], 1),
        constant=deep["indicators"]["classical"]["transcript"],
        low=text.percent(versus["gain_low"], 1),
        high=text.percent(versus["gain_high"], 1),
        verdict=text(
            "deep_champion_transcription" if deep["champion"] else "deep_not_champion_transcription"
        ),
    )


def transcription_sentence(indicators: dict, text: Text) -> str:
    """How many recordings are wrong, the word error rate, and the kinds of character errors."""
    kinds = indicators["error_kinds"]
    return text(
        "deep_transcription_errors",
        wrong=text.percent(indicators["network"]["sentence_error_rate"]),
        wer=text.percent(indicators["network"]["wer"], 1),
        words=text(f"deep_words_{indicators['words']}"),
        errors=text.number(sum(kinds.values())),
        dropped=text.number(kinds["dropped"]),
        added=text.number(kinds["added"]),
        replaced=text.number(kinds["replaced"]),
    )


def text_why_sentence(architecture: dict, text: Text) -> str:
    """What the text network reads and how it is built."""
    inputs, config = architecture["inputs"], architecture["config"]
    return text(
        "deep_why_texts",
        column=inputs["text"],
        words=text.number(inputs["max_tokens"]),
        vocabulary=text.number(inputs["vocabulary"]),
        pairs=text("deep_with_pairs") if config["pairs"] else "",
        embedding=config["embedding"],
        hidden=text("deep_with_hidden", units=config["hidden"]) if config["hidden"] else "",
        dropout=text.number(config["dropout"], 2),
        parameters=text.number(architecture["parameters"]),
        rows=text.number(inputs["rows"]),
    )


def pair_sentence(pair: dict, text: Text, unit: str) -> str:
    """One pair of labels the network confuses (``unit``: what a row is, plural)."""
    return text(
        "deep_confused_pair_one" if pair["count"] == 1 else "deep_confused_pair",
        unit=unit,
        actual=pair["actual"],
        predicted=pair["predicted"],
        count=text.number(pair["count"]),
        share=text.percent(pair["share_of_actual"]),
    )


def why_sentence(architecture: dict, text: Text) -> str:
    inputs, config = architecture["inputs"], architecture["config"]
    widths = inputs.get("embedding_widths") or []
    embedded = (
        text(
            "deep_why_embeddings",
            n=inputs["categorical"],
            low=min(widths),
            high=max(widths),
        )
        if widths
        else text("deep_why_no_categories")
    )
    kind = text(
        f"deep_kind_{architecture['kind']}",
        k=config.get("k", 1),
        depth=len(config["layers"]),
        units=", ".join(str(u) for u in config["layers"]),
    )
    origin = text("deep_why_declared" if architecture["declared"] else "deep_why_steps")
    return " ".join(
        [
            text(
                "deep_why_inputs", numeric=inputs["numeric"], missing=inputs["missing_indicators"]
            ),
            embedded,
            text(
                "deep_why_shape",
                kind=kind,
                parameters=text.number(architecture["parameters"]),
                rows=text.number(inputs["rows"]),
            ),
            origin,
        ]
    )


def method_sentence(deep: dict, text: Text) -> str:
    method = deep["method"]
    rate = f"{method['learning_rate']:.1e}"
    tested = text("deep_rate_tested") if method.get("range_test") else ""
    return text(
        "deep_method_text",
        loss=text(f"deep_loss_{method['loss_key']}"),
        rate=rate,
        tested=tested,
        schedule=text(f"deep_schedule_{method['schedule']}"),
        batch=method["batch_size"],
        decay=f"{method['weight_decay']:g}",
        dropout=text.number(method["dropout"], 2),
        scaling=text(f"deep_scaling_{method['scaling']}"),
        patience=method["patience"],
        max_epochs=method["max_epochs"],
        early=text.percent(method["early_stopping_share"]),
        fit=text.number(method["rows_fit"]),
        validation=text.number(method["rows_validation"]),
        holdout=text.number(deep["rows_holdout"]),
        seed=method["seed"],
        device=method["device"],
        seconds=text.number(method["seconds_per_epoch"], 3),
        speed=text.number(method["rows_per_second"] or 0),
    )


def curve_sentence(diagnosis: dict, stopped_by: str, text: Text) -> str:
    return text(
        f"deep_curve_{diagnosis['kind']}",
        best=diagnosis["best_epoch"],
        epochs=diagnosis["epochs"],
        rise=text.percent(max(diagnosis["rise"], 0.0), 1),
        stopped=text(f"deep_stopped_{stopped_by.replace(' ', '_')}"),
    )


def comparison_sentence(deep: dict, metric: str, text: Text) -> str:
    versus = deep["indicators"]["comparison"]
    return text(
        "deep_comparison",
        rows=text.number(deep["rows_holdout"]),
        network=text.score(versus["candidate"]),
        classical=text.score(versus["reference"]),
        metric=metric,
        low=text.score(versus["gain_low"]),
        high=text.score(versus["gain_high"]),
        verdict=text("deep_champion" if deep["champion"] else "deep_not_champion"),
    )


def improvements_sentence(steps: list[dict], metric: str, text: Text) -> str:
    measured = [s for s in steps[1:] if s.get("validation") is not None]
    kept = [s for s in measured if s["kept"]]
    final = kept[-1]["validation"] if kept else steps[0]["validation"]
    return text(
        "deep_improvements_text",
        kept=len(kept),
        measured=len(measured),
        metric=metric,
        baseline=text.score(steps[0]["validation"]),
        final=text.score(final),
    )


def search_sentence(search: dict | None, text: Text) -> str:
    if not search:
        return ""
    importance = search.get("importance") or {}
    if not importance:
        return text("deep_search_few", trials=search["trials"])
    ranked = ", ".join(
        f"{name} {text.percent(value)}"
        for name, value in sorted(importance.items(), key=lambda item: -item[1])
    )
    return text("deep_search_text", trials=search["trials"], importance=ranked)


def step_row(step: dict, text: Text) -> dict:
    name = text(f"step_{step['step']}")
    if "skipped" in step:
        reason = text(
            "deep_skipped_time" if step["skipped"] == "time budget" else "deep_skipped_numbers"
        )
        return {"name": name, "skipped": reason}
    return {
        "name": name,
        "validation": step["validation"],
        "delta": step["delta"],
        "kept": step["kept"],
        "epochs": step["epochs"],
        "parameters": step["parameters"],
        "seconds": step["seconds"],
    }


def shared_sentence(trait: dict, text: Text) -> str:
    if trait["kind"] == "category":
        return text(
            "deep_shared_category",
            column=trait["column"],
            value=trait["value"],
            top=text.percent(trait["share_top"]),
            all=text.percent(trait["share_all"]),
        )
    return text(
        f"deep_shared_{trait['direction']}",
        column=trait["column"],
        top=text.number(trait["median_top"], 2),
        all=text.number(trait["median_all"], 2),
    )


def group_sentence(group: dict, text: Text) -> str:
    return text(
        "deep_group",
        column=group["column"],
        value=group["value"],
        ratio=text.number(group["ratio"], 1),
        rows=text.number(group["rows"]),
    )


def treatment_sentence(treatment: dict, metric: str, text: Text) -> str:
    name = treatment["treatment"]
    if name == "none":
        return text("deep_treatment_none")
    why = treatment["why"]
    reason = text(
        f"deep_reason_{name}",
        cls=why.get("class", ""),
        top=text.percent(why.get("share_top", 0)),
        all=text.percent(why.get("share_all", 0)),
        gap=text.number(why.get("gap", 0), 3),
        stopped=text(f"deep_stopped_{str(why.get('stopped_by', '')).replace(' ', '_')}")
        if "stopped_by" in why
        else "",
    )
    if "skipped" in treatment:
        return text("deep_treatment_skipped", reason=reason, treatment=text(f"deep_cure_{name}"))
    return text(
        "deep_treatment_done",
        reason=reason,
        treatment=text(f"deep_cure_{name}"),
        metric=metric,
        delta=f"{treatment['delta']:+.4f}",
        verdict=text("deep_kept" if treatment["kept"] else "deep_rejected"),
    )
