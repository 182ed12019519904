"""Why the model predicted what it did, record by record, in plain words.

Contributions are SHAP values computed by shap's permutation explainer, which needs
nothing but the model's predictions: it works the same for a boosted tree, a linear
model or an ensemble, on the raw input columns a client sends. The explained output
is the probability of the positive class (binary), of the predicted class
(multiclass), or the predicted value (regression); the background is the seeded
sample of training rows the train stage kept in its serving card. The permutation
explainer works on numbers, so text columns travel as codes and are decoded before
the model sees them.
"""

import warnings

import numpy as np
import pandas as pd

from atelier._values import json_value
from atelier.learn._metrics import BINARY, REGRESSION

PERMUTATIONS = 2  # each is walked forwards and backwards: 4 x features evaluations
SEED = 0


def explain_records(service, frame: pd.DataFrame, top: int = 3) -> list[dict]:
    """Explain each row of ``frame`` (validated records) with ``service``'s model.

    Parameters
    ----------
    service : ModelService
    frame : DataFrame
        Validated records (see :class:`atelier.serve._request.RequestModel`).
    top : int, default=3
        How many reasons to write in words.

    Returns
    -------
    list of dict
        Per record: ``explained`` (what the numbers are about), ``value`` (its value
        for this record), ``baseline`` (its average over the background),
        ``contributions`` (every feature's ``feature``, ``value``, ``typical`` and
        ``contribution``, largest effect first) and ``reasons`` (the ``top`` largest
        effects as sentences).
    """
    with warnings.catch_warnings():
        # shap's import touches matplotlib APIs that warn of their own deprecation
        warnings.simplefilter("ignore")
        import shap

    info = service.info
    columns = list(frame.columns)
    background = pd.DataFrame.from_records(service.card["background"], columns=columns)
    codes = _Codes(frame, background)
    masker = shap.maskers.Independent(codes.encode(background), max_samples=len(background))
    encoded = codes.encode(frame)
    predicted = service.predict(frame)["prediction"]
    reference = service.card["reference"]
    text = set(service.card.get("text_columns") or ())
    records = []
    for row in range(len(frame)):
        output, about = _output(service, codes, predicted[row])
        explainer = shap.explainers.Permutation(output, masker, seed=SEED)
        values = explainer(
            encoded[row : row + 1], max_evals=PERMUTATIONS * 2 * len(columns) + 1, silent=True
        )
        contributions = [
            {
                "feature": name,
                "value": json_value(frame[name].iloc[row]),
                "typical": reference.get(name, {}).get("typical"),
                "contribution": round(float(values.values[0][i]), 6),
            }
            for i, name in enumerate(columns)
        ]
        for contribution in contributions:
            if contribution["feature"] in text:  # which of its words weighed
                contribution["words"] = _text_words(
                    service, frame.iloc[[row]], contribution["feature"]
                )
        contributions.sort(key=lambda c: -abs(c["contribution"]))
        baseline = float(np.ravel(values.base_values)[0])
        records.append(
            {
                "explained": about,
                "value": round(baseline + sum(c["contribution"] for c in contributions), 6),
                "baseline": round(baseline, 6),
                "contributions": contributions,
                "reasons": [_sentence(c, about, info.task) for c in contributions[:top]],
            }
        )
    return records


def _output(service, codes, predicted):
    """The function of encoded rows that is explained, and what it is in words."""
    info, model = service.info, service.model
    if info.task == REGRESSION:
        return (
            lambda encoded: model.predict(codes.decode(encoded)).astype(float),
            f"the predicted {info.target}",
        )
    # Binary: the positive class; multiclass: the class predicted for this record.
    label = info.positive_class if info.task == BINARY else predicted
    column = info.classes.index(label)
    return (
        lambda encoded: model.predict_proba(codes.decode(encoded))[:, column],
        f"the probability that {info.target} = {label}",
    )


def _text_words(service, record: pd.DataFrame, column: str) -> list[dict]:
    """The words of ``column`` that weighed most (see :func:`atelier.language.word_weights`)."""
    from atelier.language import word_weights

    model = service.model

    def scored(texts):
        variants = pd.concat([record] * len(texts), ignore_index=True)
        variants[column] = texts
        if service.info.task == REGRESSION:
            return model.predict(variants).reshape(-1, 1)
        return model.predict_proba(variants)

    answer = 0
    if service.info.task != REGRESSION:
        answer = int(np.argmax(scored([str(record[column].iloc[0])])[0]))
        if service.info.task == BINARY:
            answer = service.info.classes.index(service.info.positive_class)
    return word_weights(scored, str(record[column].iloc[0]), answer)


def _sentence(contribution: dict, explained: str, task: str) -> str:
    effect = contribution["contribution"]
    direction = "raises" if effect > 0 else "lowers"
    size = f"{abs(effect):,.3g}" if task == REGRESSION else f"{abs(effect) * 100:.1f} points"
    if "words" in contribution:
        words = ", ".join(
            f"«{w['word']}» ({w['weight'] * 100:+.1f})" for w in contribution["words"][:3]
        )
        verb = "raise" if effect > 0 else "lower"
        return (
            f"the words of {contribution['feature']} {verb} {explained} by {size}; "
            f"those that weighed most: {words}"
        )
    value = _words(contribution["value"])
    typical = contribution["typical"]
    kind = "median" if isinstance(typical, float) else "most common"
    compared = "" if typical is None else f" ({kind}: {_words(typical)})"
    return f"{contribution['feature']} = {value}{compared} {direction} {explained} by {size}"


def _words(value) -> str:
    if value is None:
        return "missing"
    if isinstance(value, float):
        return f"{value:,.4g}"
    return str(value)


class _Codes:
    """Text columns as numeric codes (and back), for an explainer that needs numbers."""

    def __init__(self, *frames: pd.DataFrame):
        first = frames[0]
        self.columns = list(first.columns)
        self.dtypes = first.dtypes.to_dict()
        text = [c for c in self.columns if not pd.api.types.is_numeric_dtype(first[c])]
        self.values = {
            c: pd.unique(pd.concat([f[c].astype(object) for f in frames]).dropna()) for c in text
        }

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        out = pd.DataFrame(index=frame.index)
        for column in self.columns:
            if column in self.values:
                codes = pd.Categorical(frame[column], categories=self.values[column]).codes
                out[column] = np.where(codes < 0, np.nan, codes)
            else:
                out[column] = pd.to_numeric(frame[column], errors="coerce")
        return out.to_numpy(dtype="float64")

    def decode(self, encoded: np.ndarray) -> pd.DataFrame:
        frame = {}
        for i, column in enumerate(self.columns):
            if column in self.values:
                codes = encoded[:, i]
                labels = self.values[column]
                safe = np.where(np.isnan(codes), 0, codes).astype(int)
                text = np.asarray(labels, dtype=object)[safe]
                frame[column] = pd.array(np.where(np.isnan(codes), None, text), dtype="str")
            else:
                frame[column] = pd.Series(encoded[:, i]).astype(self._numeric(column))
        return pd.DataFrame(frame)

    def _numeric(self, column):
        dtype = self.dtypes[column]
        return dtype if pd.api.types.is_float_dtype(dtype) else "float64"
