"""The Streamlit script of ``atelier dashboard``: four pages for people who are not data scientists.

Run by Streamlit (``streamlit run app.py -- --project DIR``); the project folder may
also come from ``ATELIER_DASHBOARD_PROJECT``. Every prediction goes through
:class:`atelier.serve.ModelService`, the code behind the REST API. The page is
chosen in the sidebar and kept in the address (``?page=what-if``), so that a link
opens the page it names.
"""

import argparse
import os
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from atelier._project import Project
from atelier._text import Text
from atelier.dashboard._run import PROJECT_VARIABLE, pages_for
from atelier.learn._metrics import BINARY, TRANSCRIPTION
from atelier.serve import ModelService, RequestError
from atelier.serve._drift import population_stability
from atelier.serve._request import read_table

RAISES, LOWERS = "#c0392b", "#2e86c1"


def _project_folder() -> Path:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--project", default=os.environ.get(PROJECT_VARIABLE, "."))
    known, _ = parser.parse_known_args()
    return Path(known.project)


@st.cache_resource(show_spinner=False)
def _service(folder: str) -> ModelService:
    return ModelService.from_project(Project.load(Path(folder)))


def _words(service: ModelService) -> Text:
    """The dashboard's words in the charter's language (kept in the serving card)."""
    return Text(service.card.get("language") or "en")


def _unit(service: ModelService, t: Text) -> str:
    return service.card.get("unit") or t("dash_unit")


def _percent(value: float, t: Text) -> str:
    return t.percent(value, 0 if value >= 0.01 else 1)


def answer_page(service: ModelService) -> None:
    """The project's question, and the model's answer in plain words."""
    card, info, t = service.card, service.info, _words(service)
    unit = _unit(service, t)
    st.title(t("dash_page_answer"))
    st.subheader(t("dash_the_question"))
    st.markdown(card["question"])
    st.subheader(t("dash_what_answers"))
    if info.task == BINARY:
        st.markdown(
            t(
                "dash_binary",
                target=info.target,
                positive=info.positive_class,
                threshold=_percent(info.threshold, t),
                decision=card["decision"],
            )
        )
        row = card.get("at_threshold")
        if row:
            st.info(
                t(
                    "dash_at_threshold",
                    threshold=t.number(row["threshold"], 2),
                    recall=t.percent(row["recall"]),
                    positive=info.positive_class,
                    alarms=t.alarms(row["precision"]),
                    cost=t.number(row["cost_per_1000"]),
                    currency=card.get("currency", ""),
                    unit=unit,
                )
            )
    else:
        st.markdown(t("dash_other", target=info.target, decision=card["decision"]))
    left, middle, right = st.columns(3)
    left.metric(t("dash_version"), f"{info.name} v{info.version}")
    middle.metric(t("dash_quality", metric=info.metric), t.number(info.holdout_score, 3))
    right.metric(
        t("dash_trained_on"),
        t("dash_rows", n=t.number(card["rows_train"]), unit=unit),
        help=t("dash_on", date=info.trained_at),
    )
    st.caption(t("dash_quality_caption", unit=unit))


def what_if_page(service: ModelService) -> None:
    """One record: its prediction, the decision, and the three reasons that weigh most."""
    t = _words(service)
    st.title(t("dash_page_what_if"))
    st.markdown(t("dash_what_if_intro"))
    reference = service.card["reference"]
    example = (service.card.get("background") or [{}])[0]
    with st.form("what-if"):
        columns = st.columns(3)
        record = {}
        for i, field in enumerate(service.request.fields):
            name = field["name"]
            with columns[i % 3]:
                record[name] = _input(field, reference.get(name, {}), example.get(name))
        submitted = st.form_submit_button(t("dash_predict"), type="primary")
    if not submitted:
        return
    try:
        frame = service.request.parse_frame(pd.DataFrame([record]))
    except RequestError as error:
        st.error(error.errors[0]["msg"])
        return
    prediction = service.predict_records(frame)[0]
    explanation = service.explain(frame)[0]
    info = service.info
    if info.task == BINARY:
        chance = prediction["probability"]
        flagged = prediction["decision"] == info.positive_class
        st.metric(
            t("dash_probability", target=info.target, positive=info.positive_class),
            _percent(chance, t),
        )
        threshold = _percent(info.threshold, t)
        if flagged:
            st.warning(t("dash_above", threshold=threshold, decision=service.card["decision"]))
        else:
            st.success(t("dash_below", threshold=threshold))
    else:
        st.metric(t("dash_predicted", target=info.target), str(prediction["prediction"]))
    st.subheader(t("dash_three_reasons"))
    explained = _explained(service, prediction, t)
    for contribution in explanation["contributions"][:3]:
        st.markdown(f"- {_reason(contribution, explained, info.task, t)}")
    st.plotly_chart(_reasons_chart(explanation, explained, t), width="stretch")


def _explained(service: ModelService, prediction: dict, t: Text) -> str:
    """What the explanation explains, in words: a probability, or the predicted value."""
    info = service.info
    if info.task not in {BINARY, "multiclass"}:
        return t("dash_explained_value", target=info.target)
    label = info.positive_class if info.task == BINARY else prediction["prediction"]
    return t("dash_explained_probability", target=info.target, label=label)


def _reason(contribution: dict, explained: str, task: str, t: Text) -> str:
    """One contribution as a sentence: which value moves the answer, which way, how much."""
    effect = contribution["contribution"]
    probability = task in {BINARY, "multiclass"}
    size = (
        t("dash_points", n=t.number(abs(effect) * 100, 1)) if probability else f"{abs(effect):,.3g}"
    )
    if "words" in contribution:  # a text: which of its words weighed
        words = ", ".join(
            f"«{w['word']}» ({w['weight'] * 100:+.1f})" for w in contribution["words"][:3]
        )
        return t(
            "dash_reason_words",
            feature=contribution["feature"],
            direction=t("dash_raise" if effect > 0 else "dash_lower"),
            explained=explained,
            size=size,
            words=words,
        )
    typical = contribution.get("typical")
    compared = ""
    if typical is not None:
        key = "dash_median" if isinstance(typical, float) else "dash_most_common"
        compared = t(key, value=_value(typical, t))
    return t(
        "dash_reason",
        feature=contribution["feature"],
        value=_value(contribution["value"], t),
        compared=compared,
        direction=t("dash_raises" if effect > 0 else "dash_lowers"),
        explained=explained,
        size=size,
    )


def _value(value, t: Text) -> str:
    if value is None:
        return t("dash_missing")
    if isinstance(value, float):
        return f"{value:,.4g}"
    return str(value)


def _input(field: dict, reference: dict, example=None):
    name, typical = field["name"], reference.get("typical")
    if field.get("text"):  # free text: an example to edit (names in it hidden)
        return st.text_area(name, value=example or "", height=160, key=f"what-if-{name}")
    if "categories" in field:
        options = field["categories"]
        index = options.index(typical) if typical in options else 0
        return st.selectbox(name, options, index=index, key=f"what-if-{name}")
    if field["type"] in ("integer", "number"):
        low, high = field.get("minimum"), field.get("maximum")
        value = typical if typical is not None else (low or 0)
        if field["type"] == "integer":
            return st.number_input(
                name,
                min_value=low,
                max_value=high,
                value=round(value),
                step=1,
                key=f"what-if-{name}",
            )
        return st.number_input(
            name,
            min_value=float(low) if low is not None else None,
            max_value=float(high) if high is not None else None,
            value=float(value),
            key=f"what-if-{name}",
        )
    return st.text_input(name, value="" if typical is None else str(typical), key=f"what-if-{name}")


def _reasons_chart(explanation: dict, explained: str, t: Text, top: int = 8) -> go.Figure:
    shown = explanation["contributions"][:top][::-1]
    figure = go.Figure(
        go.Bar(
            x=[c["contribution"] * 100 for c in shown],
            y=[f"{c['feature']} = {c['value']}" for c in shown],
            orientation="h",
            marker_color=[RAISES if c["contribution"] > 0 else LOWERS for c in shown],
        )
    )
    figure.update_layout(
        title=t(
            "dash_reasons_title", explained=explained, baseline=t.percent(explanation["baseline"])
        ),
        xaxis_title=t("dash_reasons_axis"),
        height=360,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return figure


def _uploaded_batch(
    service: ModelService, label: str, key: str
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    # read as ingest reads a CSV: delimiter, decimal mark and encoding detected
    """The uploaded table as it is, and its model columns validated; None if unusable."""
    upload = st.file_uploader(label, type=["csv", "parquet"], key=key)
    if upload is None:
        return None
    try:
        table = read_table(upload.name, upload.getvalue())
    except ValueError as error:
        st.error(str(error))
        return None
    known = [c for c in table.columns if c in service.request.columns]
    try:
        return table, service.request.parse_frame(table[known])
    except RequestError as error:
        st.error(f"{upload.name}: " + "; ".join(e["msg"] for e in error.errors[:3]))
        return None


def batch_page(service: ModelService) -> None:
    """Score a CSV or Parquet file, and download the result."""
    t = _words(service)
    st.title(t("dash_page_batch"))
    st.markdown(t("dash_batch_intro"))
    uploaded = _uploaded_batch(service, t("dash_file_to_score"), "batch-file")
    if uploaded is None:
        return
    table, frame = uploaded
    predictions = pd.DataFrame(service.predict(frame), index=table.index)
    scored = pd.concat([predictions, table], axis=1)  # the answers first, then the file
    info = service.info
    if info.task == BINARY:
        flagged = int((scored["decision"] == info.positive_class).sum())
        st.metric(
            t(
                "dash_flagged",
                target=info.target,
                positive=info.positive_class,
                threshold=_percent(info.threshold, t),
            ),
            t("dash_of", k=t.number(flagged), n=t.number(len(scored))),
        )
    st.dataframe(scored.head(200), width="stretch")
    st.download_button(
        t("dash_download"),
        scored.to_csv(index=False).encode(),
        file_name="scored.csv",
        mime="text/csv",
    )


def drift_page(service: ModelService) -> None:
    """Compare a batch with the training data, column by column (PSI)."""
    t = _words(service)
    st.title(t("dash_page_drift"))
    st.markdown(t("dash_drift_intro"))
    uploaded = _uploaded_batch(service, t("dash_recent_data"), "drift-file")
    if uploaded is None:
        return
    rows = population_stability(uploaded[1], service.card["reference"])
    major = [r["feature"] for r in rows if r["level"] == "major"]
    moderate = [r["feature"] for r in rows if r["level"] == "moderate"]
    if major:
        st.error(t("dash_major", columns=", ".join(major)))
    elif moderate:
        st.warning(t("dash_moderate", columns=", ".join(moderate)))
    else:
        st.success(t("dash_stable"))
    colours = {"major": RAISES, "moderate": "#f39c12", "stable": "#27ae60"}
    figure = go.Figure(
        go.Bar(
            x=[r["psi"] for r in rows][::-1],
            y=[r["feature"] for r in rows][::-1],
            orientation="h",
            marker_color=[colours[r["level"]] for r in rows][::-1],
        )
    )
    figure.add_vline(x=0.1, line_dash="dot")
    figure.add_vline(x=0.25, line_dash="dash")
    figure.update_layout(
        title=t("dash_psi_title"),
        xaxis_title=t("dash_psi_axis"),
        height=30 * len(rows) + 120,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    st.plotly_chart(figure, width="stretch")
    table = pd.DataFrame(
        {
            t("dash_column"): [r["feature"] for r in rows],
            "PSI": [r["psi"] for r in rows],
            t("dash_level"): [r["level"] for r in rows],
            t("dash_what_it_means"): [
                t(f"dash_drift_{r['level']}", name=r["feature"]) for r in rows
            ],
        }
    )
    st.dataframe(table, width="stretch", hide_index=True)


def try_one_page(service: ModelService) -> None:
    """One image or recording: the answer, the probability of each label, where it looked."""
    from fastapi import HTTPException

    from atelier.serve._media import decoded_upload, occlusion_map

    t = _words(service)
    heard = service.media_input["kind"] == "audio"
    st.title(t("dash_page_try_one_sound" if heard else "dash_page_try_one"))
    if heard:
        # a transcriber writes what it hears; a classifier of sounds gives a label
        written = "_dictation" if service.info.task == TRANSCRIPTION else "_sound"
        rate = t.number(service.media_input["sample_rate"])
        st.markdown(t(f"dash_try_one{written}_text", rate=rate))
        upload = st.file_uploader(t(f"dash_try_one{written}_upload"), type=["wav"])
    else:
        size = "x".join(str(side) for side in service.media_input["size"])
        st.markdown(t("dash_try_one_text", size=size))
        upload = st.file_uploader(t("dash_try_one_upload"), type=["png", "jpg", "jpeg"])
    if upload is None:
        return
    try:
        arrays = decoded_upload(service, upload.name, upload.getvalue())
    except HTTPException as refused:
        st.error(refused.detail)
        return
    if service.info.task == TRANSCRIPTION:
        _transcribed(service, upload, arrays, t)
        return
    probabilities = service.array_probabilities(arrays)[0]
    classes = service.info.classes
    heat, answer = occlusion_map(service, arrays)
    left, right = st.columns(2)
    if heard:
        left.audio(upload.getvalue(), format="audio/wav")
        left.plotly_chart(_spectrogram_chart(arrays[0, 0], t), width="stretch")
    else:
        left.image(_enlarged(arrays[0]), caption=t("dash_try_one_seen", size=size), width=280)
    right.plotly_chart(_heat_chart(heat, t, heard), width="stretch")
    right.caption(t("dash_try_one_where_caption"))
    st.success(
        t(
            "dash_try_one_answer",
            label=classes[answer],
            probability=_percent(float(probabilities[answer]), t),
        )
    )
    order = probabilities.argsort()[::-1][:5]
    chart = go.Figure(
        go.Bar(
            x=[float(probabilities[i]) for i in order][::-1],
            y=[str(classes[i]) for i in order][::-1],
            orientation="h",
            marker_color=LOWERS,
        )
    )
    chart.update_layout(
        title=t("dash_try_one_labels"), xaxis_tickformat=".0%", height=300, margin={"l": 10}
    )
    st.plotly_chart(chart, width="stretch")


def _transcribed(service: ModelService, upload, spectrograms, t: Text) -> None:
    """What the transcriber wrote, and when it heard each character."""
    (written,), steps, alphabet = service.transcribe(spectrograms)
    st.audio(upload.getvalue(), format="audio/wav")
    st.plotly_chart(_spectrogram_chart(spectrograms[0, 0], t), width="stretch")
    st.success(t("dash_try_one_transcript", transcript=written or "∅"))
    symbols = [t("dash_try_one_blank"), *alphabet]
    chart = go.Figure(
        go.Heatmap(z=steps[0].T, y=symbols, colorscale="Blues", zmin=0, zmax=1, showscale=False)
    )
    chart.update_layout(
        title=t("dash_try_one_when"),
        xaxis={
            "title": t(
                "dash_try_one_steps", ms=10 * service.media_input["frames"] // steps.shape[1]
            )
        },
        yaxis={"type": "category"},
        height=360,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    st.plotly_chart(chart, width="stretch")
    st.caption(t("dash_try_one_when_caption"))


def _enlarged(pixels, side: int = 280):
    """The image as the model sees it, enlarged without smoothing: its pixels stay square."""
    import numpy as np
    from PIL import Image

    values = (np.clip(pixels, 0, 1) * 255).astype("uint8")
    image = Image.fromarray(values[0] if len(values) == 1 else values.transpose(1, 2, 0))
    scale = max(1, side // max(image.size))
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)


def _spectrogram_chart(mel, t: Text) -> go.Figure:
    """The recording as the model hears it: mel bands upwards, frames of 10 ms across."""
    chart = go.Figure(go.Heatmap(z=mel, colorscale="Magma", showscale=False))
    chart.update_layout(
        title=t("dash_try_one_heard"),
        xaxis={"title": t("dash_try_one_frames")},
        yaxis={"title": t("dash_try_one_bands")},
        height=300,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return chart


def _heat_chart(heat, t: Text, sound: bool = False) -> go.Figure:
    limit = float(abs(heat).max()) or 1.0
    chart = go.Figure(
        go.Heatmap(z=heat, colorscale="RdBu_r", zmin=-limit, zmax=limit, showscale=False)
    )
    # an image's first row is its top; a spectrogram's first band its lowest frequency
    chart.update_layout(
        title=t("dash_try_one_where"),
        yaxis={"autorange": True if sound else "reversed", "visible": False}
        | ({} if sound else {"scaleanchor": "x"}),
        xaxis={"visible": False},
        height=330,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return chart


LEVELS = ("low", "medium", "high")


def project_page(service: ModelService) -> None:
    """The plan against what was done: progress, a Gantt chart, what is late, the risks."""
    import json

    t = _words(service)
    st.title(t("dash_page_project"))
    project = Project.load(_project_folder())
    result_file = project.artifact_dir("plan") / "result.json"
    if not result_file.exists():
        st.markdown(t("dash_no_plan", folder=project.root.name))
        return
    plan = json.loads(result_file.read_text())
    progress = plan["progress"]
    done = sum(row["done"] for row in plan["tasks"])
    st.markdown(t("dash_plan_intro", today=plan["today"], deadline=plan["deadline"]))
    tasks, earned, forecast, chance = st.columns(4)
    tasks.metric(t("dash_plan_done"), f"{done} / {len(plan['tasks'])}")
    earned.metric(
        t("dash_plan_earned"),
        t.number(progress["earned_value"], 1),
        delta=t.number(progress["schedule_variance"], 1),
        help=t("dash_plan_earned_help", planned=t.number(progress["planned_value"], 1)),
    )
    forecast.metric(t("dash_plan_forecast"), progress["forecast_end"] or "–")
    chance.metric(t("dash_plan_chance"), _percent(plan["chance"]["monte_carlo"]["probability"], t))
    st.plotly_chart(_gantt_chart(plan, t), width="stretch")
    late = [row["name"] for row in plan["tasks"] if row["late"]]
    if late:
        st.warning(t("dash_plan_late", tasks=", ".join(late)))
    st.subheader(t("dash_risks"))
    st.plotly_chart(_risk_chart(project.charter.risks, t), width="stretch")


def _gantt_chart(plan: dict, t: Text) -> go.Figure:
    """Each task from its planned start to its finish, coloured by where it stands."""
    import datetime as dt

    colours = {"done": "#4c956c", "late": RAISES, "critical": "#e59866", "other": LOWERS}
    chart = go.Figure()
    for state in colours:
        rows = [row for row in plan["tasks"] if _state(row) == state]
        if not rows:
            continue
        starts = [dt.date.fromisoformat(row["start_date"]) for row in rows]
        ends = [dt.date.fromisoformat(row["finish_date"]) + dt.timedelta(days=1) for row in rows]
        chart.add_trace(
            go.Bar(
                y=[row["name"] for row in rows],
                x=[
                    (end - start).days * 86_400_000 for start, end in zip(starts, ends, strict=True)
                ],
                base=[start.isoformat() for start in starts],
                orientation="h",
                marker_color=colours[state],
                name=t(f"dash_plan_state_{state}"),
            )
        )
    chart.add_vline(x=plan["today"], line_dash="dot", line_color="black")
    chart.add_vline(x=plan["deadline"], line_dash="dash", line_color=RAISES)
    order = [row["name"] for row in plan["tasks"]]
    chart.update_layout(
        title=t("dash_plan_gantt"),
        xaxis={"type": "date"},
        yaxis={"categoryorder": "array", "categoryarray": order[::-1]},
        height=120 + 28 * len(order),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return chart


def _state(row: dict) -> str:
    if row["done"]:
        return "done"
    if row["late"]:
        return "late"
    return "critical" if row["critical"] else "other"


def _risk_chart(risks, t: Text) -> go.Figure:
    """The charter's risks on a grid of likelihood against impact, counted in each cell."""
    counts = [[0] * len(LEVELS) for _ in LEVELS]
    named = [[[] for _ in LEVELS] for _ in LEVELS]
    for risk in risks:
        row, column = LEVELS.index(risk.likelihood), LEVELS.index(risk.impact)
        counts[row][column] += 1
        named[row][column].append(risk.description)
    labels = [t(f"dash_level_{level}") for level in LEVELS]
    chart = go.Figure(
        go.Heatmap(
            z=counts,
            x=labels,
            y=labels,
            text=[["<br>".join(cell) for cell in line] for line in named],
            hovertemplate="%{text}<extra></extra>",
            texttemplate="%{z}",
            colorscale=[[0, "#fdfefe"], [0.5, "#f5b041"], [1, RAISES]],
            showscale=False,
        )
    )
    chart.update_layout(
        xaxis={"title": t("dash_impact")},
        yaxis={"title": t("dash_likelihood")},
        height=320,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
    return chart


def main() -> None:
    """Draw the page the sidebar (or the address) names."""
    st.set_page_config(page_title="atelier dashboard", layout="wide")
    try:
        service = _service(str(_project_folder().resolve()))
    except Exception as error:  # shown on the page: a browser has no terminal to read
        st.error(Text("en")("dash_cannot_load", error=error))
        return
    t = _words(service)
    pages = pages_for(service)
    slugs = list(pages)
    asked = st.query_params.get("page", slugs[0])
    slug = st.sidebar.radio(
        t("dash_page"),
        slugs,
        index=slugs.index(asked) if asked in slugs else 0,
        format_func=lambda slug: t(pages[slug]),
        key="page",
    )
    st.query_params["page"] = slug
    st.sidebar.caption(t("dash_model", name=service.info.name, version=service.info.version))
    drawers = {
        "answer": answer_page,
        "what-if": what_if_page,
        "batch": batch_page,
        "drift": drift_page,
        "try-one": try_one_page,
        "project": project_page,
    }
    drawers[slug](service)


main()
