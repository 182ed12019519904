"""The charter's ``cleaning`` section: the plan ``atelier clean`` applies."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Bounds = tuple[float | None, float | None]


class CleaningPlan(BaseModel):
    """What to clean, column by column; proposed from the profile, edited by the user.

    See :class:`atelier.clean.Cleaner` for what each entry does.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    drop_duplicate_rows: bool = True
    missing_values: dict[str, list[str]] = Field(default_factory=dict)
    placeholders: dict[str, list[float]] = Field(default_factory=dict)
    to_numeric: list[str] = Field(default_factory=list)
    unify_spellings: list[str] = Field(default_factory=list)
    cap_outliers: dict[str, Literal["tukey"] | Bounds] = Field(default_factory=dict)
    impute: dict[str, Literal["median", "mean", "most_frequent"] | float | str] = Field(
        default_factory=dict
    )
    drop_columns: dict[str, str] = Field(
        default_factory=dict, description="Column -> why it is dropped."
    )
