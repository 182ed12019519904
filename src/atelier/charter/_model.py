"""The project charter: what ``atelier.yaml`` holds, as pydantic models."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from atelier._naming import snake_case
from atelier.charter._cleaning import CleaningPlan
from atelier.charter._plan import Plan
from atelier.charter._privacy import Domain, Fairness, Privacy
from atelier.charter._scale import Engine, Online, SparkSettings
from atelier.charter._sources import SourceSpec, text_columns

Level = Literal["low", "medium", "high"]
# The search's metrics and model families, named here so that a typo is caught when the
# charter loads, not after the budget is spent (tests check them against atelier.learn).
MetricName = Literal[
    "roc_auc", "log_loss", "accuracy", "balanced_accuracy", "f1", "rmse", "mae", "r2"
]
FamilyName = Literal[
    "dummy",
    "linear",
    "hist_gb",
    "lightgbm",
    "knn",
    "extra_trees",
    "random_forest",
    "xgboost",
    "catboost",
    "mlp",
    "tabm",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Kpi(_Strict):
    """The business indicator the project must move."""

    name: str
    definition: str = ""
    baseline: float | None = None
    target: float | None = None


class ProjectInfo(_Strict):
    """The business framing: which question, which decision, measured how."""

    name: str = Field(min_length=1)
    question: str = Field(min_length=1)
    decision: str = Field(min_length=1)
    kpi: Kpi
    language: Literal["en", "fr"] = "en"
    unit: str | None = Field(
        None, min_length=1, description="What the mart's rows are, in the plural: customers."
    )
    domain: Domain | None = Field(
        None, description="The use case's area, which sets its AI Act risk class."
    )
    expected_load: float | None = Field(
        None, gt=0, description="Requests per second the API must answer at the busiest hour."
    )


class Costs(_Strict):
    """What each kind of error costs, in ``currency``.

    Either the cost of a false positive and of a false negative (the gain of a true
    positive may be added), or a full value matrix ``actual -> predicted -> value``.
    """

    currency: str = "EUR"
    false_positive: float | None = Field(None, ge=0)
    false_negative: float | None = Field(None, ge=0)
    true_positive_gain: float = 0.0
    value_matrix: dict[str, dict[str, float]] | None = None

    @field_validator("value_matrix")
    @classmethod
    def _square_matrix(cls, value):
        if value is None:
            return value
        actual = set(value)
        if len(actual) < 2:
            raise ValueError(f"name at least two classes as rows; got {sorted(actual)}")
        for row, predicted in value.items():
            if set(predicted) != actual:
                raise ValueError(
                    f"row {row!r} must give a value for each predicted class {sorted(actual)}; "
                    f"got {sorted(predicted)}"
                )
        return value

    @model_validator(mode="after")
    def _one_way_of_giving_costs(self):
        pair = (self.false_positive, self.false_negative)
        if self.value_matrix is None and None in pair:
            raise ValueError("give both false_positive and false_negative, or a value_matrix")
        if self.value_matrix is not None and pair != (None, None):
            raise ValueError(
                "give either false_positive/false_negative or a value_matrix, not both"
            )
        return self


class Stakeholder(_Strict):
    """Someone who decides, uses, or is affected by the model."""

    name: str
    role: str
    interest: str = ""
    # what of the project they use: the REST API, the dashboard, the dossier
    uses: list[Literal["api", "dashboard", "dossier"]] = Field(default_factory=list)


class Risk(_Strict):
    """A project risk, scored and paired with what will be done about it."""

    description: str
    likelihood: Level
    impact: Level
    mitigation: str


class Opportunity(_Strict):
    """A candidate use case of AI for the company, scored from 1 (poor) to 5 (best).

    ``data`` is how available its data are; ``sources`` the charter's sources it
    needs; ``owner`` the stakeholder who owns its decision; ``retained`` marks the one
    this project carries.
    """

    name: str
    value: int = Field(ge=1, le=5)
    feasibility: int = Field(ge=1, le=5)
    data: int = Field(ge=1, le=5)
    risk: Level
    sources: list[str] = Field(default_factory=list)
    owner: str | None = None
    retained: bool = False


class Join(_Strict):
    """One join of the mart: bring ``source`` in on the column(s) ``on``.

    ``many_to_one`` requires ``on`` to be unique in ``source``; ``one_to_one``
    requires it to be unique on both sides.
    """

    source: str
    on: list[str]
    how: Literal["left", "inner"] = "left"
    relationship: Literal["many_to_one", "one_to_one"] = "many_to_one"

    @field_validator("on", mode="before")
    @classmethod
    def _on_as_list(cls, value):
        return [value] if isinstance(value, str) else value

    @field_validator("on")
    @classmethod
    def _on_in_snake_case(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one column to join on")
        return [snake_case(column) for column in value]


class Mart(_Strict):
    """The model-ready table: ``base`` with every join applied in order."""

    table: str = "model_table"
    base: str
    joins: list[Join] = Field(default_factory=list)

    @field_validator("table")
    @classmethod
    def _table_in_snake_case(cls, value: str) -> str:
        return snake_case(value)


class Target(_Strict):
    """What the model predicts, and how rows are grouped or ordered in time."""

    column: str
    positive_class: str | int | bool | None = None
    group_column: str | None = None
    time_column: str | None = None
    # None: a class or a value, read from the column; transcription: what a recording says
    task: Literal["transcription"] | None = None

    @field_validator("column", "group_column", "time_column")
    @classmethod
    def _columns_in_snake_case(cls, value: str | None) -> str | None:
        return None if value is None else snake_case(value)

    @model_validator(mode="after")
    def _groups_or_time(self):
        if self.group_column is not None and self.time_column is not None:
            raise ValueError(
                "give group_column or time_column, not both: splits that keep groups whole "
                "and follow time are not supported yet"
            )
        return self


class Training(_Strict):
    """How ``atelier train`` searches: the metric, the time budget, the hold-out share.

    ``metric_reason`` says why this metric fits the project (the dossier shows it);
    ``max_trials`` stops the search after that many trials even with time left, so
    that a run is reproducible on a machine of any speed. ``ensemble: false`` keeps
    the best single trial even where a blend of trials scores better, for a model
    that must predict as fast as its best member does. ``storage`` keeps the
    search's Optuna studies in a database (an SQLAlchemy URL, ``${VAR}`` for a
    password); with ``engine: spark``, ``workers`` trials then run at once on Spark
    executors, sharing those studies.
    """

    metric: MetricName | None = None
    metric_reason: str | None = Field(None, min_length=1)
    budget_s: float = Field(300, gt=0)
    max_trials: int | None = Field(None, ge=1)
    holdout: float = Field(0.2, ge=0.05, le=0.5)
    families: list[FamilyName] | None = Field(None, min_length=1)
    ensemble: bool = True
    storage: str | None = Field(
        None,
        pattern=r"^[a-z0-9+]+://",
        description="Optuna's study database: postgresql+psycopg://user@host:5432/db",
    )
    workers: int = Field(1, ge=1, le=64)


Activation = Literal["relu", "gelu", "silu", "tanh"]


class Architecture(_Strict):
    """A network declared by the user instead of searched: ``deep.architecture``."""

    kind: Literal["mlp", "tabm"] = "mlp"
    layers: list[int] = Field(min_length=1, max_length=12)
    activation: Activation = "relu"
    dropout: float = Field(0.1, ge=0, lt=1)
    numeric_embedding: int = Field(0, ge=0, le=64)
    k: int = Field(16, ge=1, le=64)

    @field_validator("layers")
    @classmethod
    def _positive(cls, layers: list[int]) -> list[int]:
        for position, units in enumerate(layers):
            if units < 1:
                raise ValueError(
                    f"layer {position + 1} has {units} units; every layer needs at least one"
                )
        return layers

    @model_validator(mode="after")
    def _tabm_blocks_alike(self):
        if self.kind == "tabm" and len(set(self.layers)) > 1:
            raise ValueError(f"TabM's blocks all have the same width; got layers {self.layers}")
        return self


class Deep(_Strict):
    """How ``atelier deep`` trains its network.

    ``budget_s`` bounds the whole stage; ``trials`` the Optuna search that ends its
    sequence of improvements; ``max_epochs`` each training. ``architecture`` fixes
    the network instead of letting the stage build it step by step.
    """

    budget_s: float = Field(180, gt=0)
    max_epochs: int = Field(200, ge=1)
    trials: int = Field(8, ge=0)
    architecture: Architecture | None = None


_sections_read: ContextVar[set[str] | None] = ContextVar("charter_sections_read", default=None)


@contextmanager
def recording_reads() -> Iterator[set[str]]:
    """Collect the names of the charter sections read inside the ``with`` block.

    The runner wraps each stage in it, so that a stage reruns when a section it
    read changes, and only then: the list is what the stage did read, not a list
    kept by hand beside it.

    Examples
    --------
    >>> charter = Charter.model_validate({
    ...     "project": {"name": "p", "question": "q", "decision": "d", "kpi": {"name": "k"}},
    ...     "costs": {"false_positive": 1, "false_negative": 2},
    ...     "sources": {"a": {"kind": "csv", "path": "a.csv"}},
    ...     "mart": {"base": "a"}, "target": {"column": "y"}})
    >>> with recording_reads() as read:
    ...     _ = charter.costs.currency, charter.target.column
    >>> sorted(read)
    ['costs', 'target']
    """
    read: set[str] = set()
    token = _sections_read.set(read)
    try:
        yield read
    finally:
        _sections_read.reset(token)


class Charter(_Strict):
    """Everything ``atelier.yaml`` says about a project.

    Column names anywhere in the charter are matched in their snake_case form, as
    the warehouse's staging schema spells them.
    """

    def __getattribute__(self, name: str):
        read = _sections_read.get()
        if read is not None and name in Charter.model_fields:
            read.add(name)
        return super().__getattribute__(name)

    version: Literal[1] = 1
    project: ProjectInfo
    costs: Costs
    stakeholders: list[Stakeholder] = Field(default_factory=list)
    risks: list[Risk] = Field(default_factory=list)
    sources: dict[str, SourceSpec] = Field(min_length=1)
    mart: Mart
    target: Target
    training: Training = Field(default_factory=Training)
    deep: Deep = Field(default_factory=Deep)
    cleaning: CleaningPlan | None = None
    privacy: Privacy = Field(default_factory=Privacy)
    fairness: Fairness | None = None
    plan: Plan | None = None
    opportunities: list[Opportunity] = Field(default_factory=list)
    engine: Engine = "duckdb"
    spark: SparkSettings = Field(default_factory=SparkSettings)
    online: Online | None = None

    @field_validator("sources")
    @classmethod
    def _source_names_are_identifiers(cls, value: dict) -> dict:
        for name in value:
            if snake_case(name) != name:
                raise ValueError(
                    f"source name {name!r} must be lower snake_case, such as {snake_case(name)!r}"
                )
        return value

    @model_validator(mode="after")
    def _mart_names_declared_sources(self):
        known = set(self.sources)
        named = [("mart.base", self.mart.base)] + [
            (f"mart.joins.{index}.source", join.source)
            for index, join in enumerate(self.mart.joins)
        ]
        named += [(f"privacy.policy.{name}", name.split(".")[0]) for name in self.privacy.policy]
        for where, name in named:
            if name not in known:
                raise ValueError(f"{where}: {name!r} is not a declared source ({sorted(known)})")
        retained = [o.name for o in self.opportunities if o.retained]
        if len(retained) > 1:
            raise ValueError(
                f"opportunities: {len(retained)} are retained ({', '.join(retained)}); "
                "a project carries one"
            )
        # read past the record of sections read: the charter's own check is no stage's read
        training, engine = self.__dict__["training"], self.__dict__["engine"]
        if training.workers > 1 and (engine != "spark" or not training.storage):
            raise ValueError(
                f"training.workers: {training.workers} workers run on Spark and share "
                "their trials through a database: set engine: spark and training.storage"
            )
        base = self.sources[self.mart.base]
        if self.target.task == "transcription" and base.kind != "audio":
            raise ValueError(
                f"target.task: transcription needs recordings: the mart's base "
                f"{self.mart.base!r} is a {base.kind} source, expected kind: audio"
            )
        return self


def kept_text_columns(charter: Charter) -> dict[str, str]:
    """Declared text columns the privacy policy keeps, with its legal basis and purpose.

    Free text often names people; kept for a purpose, its words are what the models
    read, so that neither the cleaning plan nor the features leave it out.
    """
    declared = text_columns(charter)
    kept = {}
    for name, rule in charter.privacy.policy.items():
        column = snake_case(name.split(".", 1)[1])
        if rule.action == "keep" and column in declared:
            kept[column] = f"{rule.legal_basis}: {rule.purpose}"
    return kept
