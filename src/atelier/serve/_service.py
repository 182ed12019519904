"""The champion model, loaded from the registry, with what serving it needs.

One object answers the API and the dashboard alike: it validates records against
the training schema, predicts, applies the decision threshold, explains a
prediction in plain words and compares a batch with the training data.
"""

import json
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from atelier._artifacts import CARD_FILE, SCHEMA_FILE
from atelier._project import Project
from atelier.exceptions import StageOrderError
from atelier.learn._metrics import BINARY, REGRESSION, TRANSCRIPTION
from atelier.learn._tracking import CHAMPION, STAGE_TAG, tracking_uri
from atelier.serve._compiled import compile_boosters
from atelier.serve._explain import explain_records
from atelier.serve._request import RequestModel
from atelier.serve._threads import ThreadCounts


@dataclass(frozen=True)
class ModelInfo:
    """What the served model is: its registry name and version, and its training facts."""

    name: str
    version: int
    run_id: str
    task: str
    target: str
    metric: str
    holdout_score: float
    trained_at: str
    classes: list | None
    positive_class: object
    threshold: float | None

    @classmethod
    def from_card(cls, card: dict, *, name: str, version: int, run_id: str) -> "ModelInfo":
        """The registry's facts joined to the training facts of the serving card."""
        facts = ("task", "target", "metric", "holdout_score", "trained_at", "classes")
        return cls(
            name=name,
            version=version,
            run_id=run_id,
            **{key: card[key] for key in facts},
            positive_class=card["positive_class"],
            threshold=card["threshold"],
        )


class ModelService:
    """Score, decide and explain with a registered model.

    Parameters
    ----------
    model : estimator
        The fitted pipeline (cleaning then model).
    card : dict
        The train stage's ``serving.json``.
    schema : dict
        The train stage's ``input_schema.json``.
    info : ModelInfo

    Attributes
    ----------
    schema : dict
        The input schema it was given (executors rebuild the service from it).
    request : RequestModel or None
        Validates JSON bodies and uploaded tables; None for a model of images.
    media_input : dict or None
        For a model of files, what it reads (see :func:`media_input_of`).
    """

    def __init__(self, model, card: dict, schema: dict, info: ModelInfo):
        self.model = model
        self.threads = ThreadCounts(model)
        self.card = card
        self.schema = schema
        self.info = info
        self.media_input = media_input_of(card)
        self.request = None if self.media_input else RequestModel(schema)

    @classmethod
    def from_project(cls, project: Project) -> "ModelService":
        """Load the project's ``champion`` from its MLflow registry.

        Raises
        ------
        StageOrderError
            If no model was registered yet, or the champion lacks the serving card
            (trained by an older atelier: retrain).
        """
        # the registry's name is train's; a transcriber is the deep stage's alone
        stage = "deep" if project.charter.target.task == TRANSCRIPTION else "learn"
        result_file = project.artifact_dir(stage) / "result.json"
        if not result_file.exists():
            command = "deep" if stage == "deep" else "train"
            raise StageOrderError(f"{project.root}: no model yet; run `atelier {command}` first")
        result = json.loads(result_file.read_text())
        if stage == "deep" and not result["champion"]:
            raise StageOrderError(
                f"{project.root}: no model to serve: the transcriber did not beat the constant "
                "answer on the hold-out (see the dossier); give `atelier deep` more data or time"
            )
        name = result["registry"]["registered_model"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MLflow's own deprecation notices
            return cls._from_registry(project, name)

    @classmethod
    def _from_registry(cls, project: Project, name: str) -> "ModelService":
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        import mlflow
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=tracking_uri(project.state_dir))
        version = client.get_model_version_by_alias(name, CHAMPION)
        # the stage that trained it (train, or deep for a network) keeps its serving card
        stage = client.get_run(version.run_id).data.tags.get(STAGE_TAG, "learn")
        with tempfile.TemporaryDirectory() as folder:
            files = {}
            for file in (CARD_FILE, SCHEMA_FILE):
                if file == SCHEMA_FILE and media_input_of(files[CARD_FILE]):
                    files[file] = {}  # an image is the input: no fields to validate
                    continue
                try:
                    path = client.download_artifacts(version.run_id, f"{stage}/{file}", folder)
                except Exception:
                    raise StageOrderError(
                        f"{project.root}: the champion ({name} version {version.version}) has "
                        f"no {file}; run `atelier train` again"
                    ) from None
                files[file] = json.loads(Path(path).read_text())
        mlflow.set_tracking_uri(tracking_uri(project.state_dir))
        model = mlflow.sklearn.load_model(f"models:/{name}/{version.version}")
        card = files[CARD_FILE]
        info = ModelInfo.from_card(
            card, name=name, version=int(version.version), run_id=version.run_id
        )
        return cls(model, card, files[SCHEMA_FILE], info)

    def compile_boosters(self) -> int:
        """Compile the model's LightGBM boosters to native code, checked on its background.

        See :func:`atelier.serve._compiled.compile_boosters`; returns how many.
        """
        background = self.card.get("background")
        if self.request is None or not background:
            return 0
        columns = self.request.records_to_columns(background, "background")
        return compile_boosters(self.model, self.request.to_frame(columns))

    def describe(self) -> dict:
        """The model as ``GET /v1/model`` shows it: facts, decision rule and input schema."""
        return {
            "name": self.info.name,
            "version": self.info.version,
            "task": self.info.task,
            "target": self.info.target,
            "metric": {"name": self.info.metric, "holdout": self.info.holdout_score},
            "trained_at": self.info.trained_at,
            "classes": self.info.classes,
            "positive_class": self.info.positive_class,
            "threshold": self.info.threshold,
            "decision_rule": self.decision_rule(),
            "max_records": 1 if self.media_input else self.request.max_records,
            "inputs": {self.media_input["kind"]: self.media_input}
            if self.media_input
            else self.request.fields,
        }

    def decision_rule(self) -> str | None:
        """The threshold rule in words, for binary models."""
        if self.info.task != BINARY:
            return None
        return (
            f"{self.info.target} = {self.info.positive_class} when its probability is at "
            f"least {self.info.threshold:g} (the threshold of least expected cost)"
        )

    def predict(self, frame: pd.DataFrame, model=None) -> dict:
        """Predictions for validated records, column by column.

        Returns
        -------
        dict
            ``transcript`` for a transcriber; otherwise ``prediction`` (the most
            probable class, or the value), and for classifiers ``probability`` (of
            the positive class for binary models, of each class otherwise) and, for
            binary models, ``decision`` (the class chosen at the cost threshold).
        """
        model = self.model if model is None else model
        if self.info.task == TRANSCRIPTION:
            return {"transcript": [str(text) for text in model.predict(frame)]}
        with self.threads.for_rows(len(frame)):
            if self.info.task == REGRESSION:
                return {"prediction": model.predict(frame).astype(float).tolist()}
            proba = model.predict_proba(frame)
        classes = self.info.classes
        best = np.asarray(classes, dtype=object)[proba.argmax(axis=1)].tolist()
        if self.info.task != BINARY:
            return {
                "prediction": best,
                # JSON keys are text: a class coded as a number (a digit) is named as text
                "probability": [
                    dict(zip(map(str, classes), row, strict=True)) for row in proba.tolist()
                ],
            }
        positive = classes.index(self.info.positive_class)
        chance = proba[:, positive]
        negative = classes[1 - positive]
        decided = np.where(chance >= self.info.threshold, self.info.positive_class, negative)
        return {
            "prediction": best,
            "probability": chance.round(6).tolist(),
            "decision": decided.tolist(),
        }

    def predict_arrays(self, arrays: np.ndarray) -> dict:
        """Predictions for decoded files, as :meth:`predict`.

        ``arrays`` are images' pixels ``(n, channels, height, width)`` or sounds'
        log-mel spectrograms ``(n, 1, mels, frames)``. The network reads them; a
        classical model's pipeline starts with the step that decodes items, which an
        upload does not need: its ``frame`` turns the arrays into the features.
        """
        model, inputs = self._array_model(arrays)
        return self.predict(inputs, model=model)

    def array_probabilities(self, arrays: np.ndarray) -> np.ndarray:
        """Each class's probability for decoded files (see :meth:`predict_arrays`)."""
        model, inputs = self._array_model(arrays)
        return model.predict_proba(inputs)

    def transcribe(self, spectrograms: np.ndarray) -> tuple[list[str], np.ndarray, str]:
        """What a transcriber writes for each recording, and why.

        Returns
        -------
        (list of str, ndarray, str)
            The transcripts; each step's probability of each symbol ``(n, steps,
            1 + len(alphabet))`` (symbol 0 is the blank, that is no character); the
            alphabet.
        """
        if self.info.task != TRANSCRIPTION:
            raise ValueError(f"the served model is no transcriber: its task is {self.info.task}")
        steps = self.model.step_probabilities(spectrograms)
        return [str(t) for t in self.model.predict(spectrograms)], steps, self.model.alphabet_

    def _array_model(self, arrays: np.ndarray):
        first = getattr(self.model, "steps", [[None, None]])[0][1]
        if hasattr(first, "frame"):  # ImagePixels, SoundFeatures: the rest reads their frame
            return self.model[1:], first.frame(arrays)
        return self.model, arrays

    def predict_records(self, frame: pd.DataFrame) -> list[dict]:
        """:meth:`predict` as one dict per record."""
        return as_records(self.predict(frame))

    def explain(self, frame: pd.DataFrame, top: int = 3) -> list[dict]:
        """Each record's prediction and the feature contributions behind it.

        See :func:`atelier.serve._explain.explain_records`.
        """
        return explain_records(self, frame, top=top)


def media_input_of(card: dict) -> dict | None:
    """The file a model reads, or None for a model of records.

    ``kind`` ``image`` (with ``size`` and ``channels``) or ``audio`` (with
    ``sample_rate``, ``n_mels`` and ``frames``).
    """
    described = card.get("input") or {}
    return described if described.get("kind") in ("image", "audio") else None


def as_records(columns: dict[str, list]) -> list[dict]:
    """Equally long columns (as :meth:`ModelService.predict` returns them) as records.

    >>> as_records({"prediction": ["yes", "no"], "probability": [0.9, 0.2]})
    [{'prediction': 'yes', 'probability': 0.9}, {'prediction': 'no', 'probability': 0.2}]
    """
    keys, values = list(columns), list(columns.values())
    # predict's one to three columns: a dict display builds a record four times quicker
    # than dict(zip(keys, row)), which shows on a 10,000-row answer (8 ms against 2)
    if len(keys) == 1:
        (first,) = keys
        return [{first: a} for a in values[0]]
    if len(keys) == 2:
        first, second = keys
        return [{first: a, second: b} for a, b in zip(*values, strict=True)]
    if len(keys) == 3:
        first, second, third = keys
        return [{first: a, second: b, third: c} for a, b, c in zip(*values, strict=True)]
    return [dict(zip(keys, row, strict=True)) for row in zip(*values, strict=True)]
