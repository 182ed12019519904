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
from atelier.dashboard._run import PAGES, PROJECT_VARIABLE
from atelier.learn._metrics import BINARY
from atelier.serve import ModelService, RequestError
from atelier.serve._drift import population_stability
from atelier.serve._request import read_table

RAISES, LOWERS = "#c0392b", "#2e86c1"


def _project_folder() -> Path:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--project", default=os.environ.get(PROJECT_VARIABLE, "."))
    known, _ = parser.parse_known_args()
    return Path(known.project)


@st.cache_resource(show_spinner="Loading the model...")
def _service(folder: str) -> ModelService:
    return ModelService.from_project(Project.load(Path(folder)))


def _percent(value: float) -> str:
    return f"{value:.0%}" if value >= 0.01 else f"{value:.1%}"


def answer_page(service: ModelService) -> None:
    """The project's question, and the model's answer in plain words."""
    card, info = service.card, service.info
    st.title("Question and answer")
    st.subheader("The question")
    st.markdown(card["question"])
    st.subheader("What the model answers")
    if info.task == BINARY:
        st.markdown(
            "For each record, the model gives the probability that "
            f"**{info.target} = {info.positive_class}**. Above **{_percent(info.threshold)}**, "
            f"the decision applies: {card['decision']}"
        )
        if card.get("answer"):
            st.info(card["answer"])
    else:
        st.markdown(f"The model predicts **{info.target}**. {card['decision']}")
    left, middle, right = st.columns(3)
    left.metric("Model version", f"{info.name} v{info.version}")
    middle.metric(f"Quality on unseen data ({info.metric})", f"{info.holdout_score:.3f}")
    right.metric("Trained on", f"{card['rows_train']:,} rows", help=f"on {info.trained_at}")
    st.caption(
        "The quality was measured on rows the model never saw while it was trained. "
        "The other pages score one customer, a whole file, or check whether new data "
        "still look like the data the model learned from."
    )


def what_if_page(service: ModelService) -> None:
    """One record: its prediction, the decision, and the three reasons that weigh most."""
    st.title("One customer: what if?")
    st.markdown("Change the values and press **Predict** to see the answer and its reasons.")
    reference = service.card["reference"]
    with st.form("what-if"):
        columns = st.columns(3)
        record = {}
        for i, field in enumerate(service.request.fields):
            with columns[i % 3]:
                record[field["name"]] = _input(field, reference.get(field["name"], {}))
        submitted = st.form_submit_button("Predict", type="primary")
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
        st.metric(f"Probability that {info.target} = {info.positive_class}", _percent(chance))
        if flagged:
            st.warning(
                f"At or above the threshold of {_percent(info.threshold)}: "
                f"{service.card['decision']}"
            )
        else:
            st.success(f"Below the threshold of {_percent(info.threshold)}: no action.")
    else:
        st.metric(f"Predicted {info.target}", str(prediction["prediction"]))
    st.subheader("The three reasons that weigh most")
    for reason in explanation["reasons"]:
        st.markdown(f"- {reason}")
    st.plotly_chart(_reasons_chart(explanation), width="stretch")


def _input(field: dict, reference: dict):
    name, typical = field["name"], reference.get("typical")
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


def _reasons_chart(explanation: dict, top: int = 8) -> go.Figure:
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
        title=f"What moves {explanation['explained']} (points, from an average of "
        f"{explanation['baseline']:.0%})",
        xaxis_title="points of probability (red raises, blue lowers)",
        height=360,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return figure


def _uploaded_batch(
    service: ModelService, label: str, key: str
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
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
    st.title("Score a file")
    st.markdown(
        "Upload a CSV or Parquet file with one row per customer and the columns the "
        "model knows. Each row gets its prediction, placed before the file's own columns "
        "(which are kept, identifiers included, so that you know whom to act on)."
    )
    uploaded = _uploaded_batch(service, "File to score", "batch-file")
    if uploaded is None:
        return
    table, frame = uploaded
    predictions = pd.DataFrame(service.predict(frame), index=table.index)
    scored = pd.concat([predictions, table], axis=1)  # the answers first, then the file
    info = service.info
    if info.task == BINARY:
        flagged = int((scored["decision"] == info.positive_class).sum())
        st.metric(
            f"Rows flagged ({info.target} = {info.positive_class} at the "
            f"{_percent(info.threshold)} threshold)",
            f"{flagged:,} of {len(scored):,}",
        )
    st.dataframe(scored.head(200), width="stretch")
    st.download_button(
        "Download the scored file (CSV)",
        scored.to_csv(index=False).encode(),
        file_name="scored.csv",
        mime="text/csv",
    )


def drift_page(service: ModelService) -> None:
    """Compare a batch with the training data, column by column (PSI)."""
    st.title("Has the data changed?")
    st.markdown(
        "Upload recent data: each column is compared with the data the model was trained "
        "on. A large change means the model's answers deserve less trust."
    )
    uploaded = _uploaded_batch(service, "Recent data", "drift-file")
    if uploaded is None:
        return
    rows = population_stability(uploaded[1], service.card["reference"])
    major = [r["feature"] for r in rows if r["level"] == "major"]
    moderate = [r["feature"] for r in rows if r["level"] == "moderate"]
    if major:
        st.error(f"Major change in {', '.join(major)}: retraining the model is advised.")
    elif moderate:
        st.warning(f"Moderate change in {', '.join(moderate)}: worth watching.")
    else:
        st.success("Every column looks like the training data.")
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
        title="Population stability index (dotted: 0.1 watch; dashed: 0.25 act)",
        xaxis_title="PSI: 0 = same distribution as in training",
        height=30 * len(rows) + 120,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    st.plotly_chart(figure, width="stretch")
    st.dataframe(pd.DataFrame(rows), width="stretch", hide_index=True)


def main() -> None:
    """Draw the page the sidebar (or the address) names."""
    st.set_page_config(page_title="atelier dashboard", layout="wide")
    try:
        service = _service(str(_project_folder().resolve()))
    except Exception as error:
        st.error(f"The model cannot be loaded: {error}")
        return
    slugs = list(PAGES)
    asked = st.query_params.get("page", slugs[0])
    slug = st.sidebar.radio(
        "Page",
        slugs,
        index=slugs.index(asked) if asked in slugs else 0,
        format_func=PAGES.get,
        key="page",
    )
    st.query_params["page"] = slug
    st.sidebar.caption(f"Model {service.info.name} v{service.info.version}")
    {"answer": answer_page, "what-if": what_if_page, "batch": batch_page, "drift": drift_page}[
        slug
    ](service)


main()
