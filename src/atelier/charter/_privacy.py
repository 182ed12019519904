"""The charter's ``privacy`` and ``fairness`` sections, and a source's ``retention``.

``privacy.policy`` says, column by column (``source.column``), what ingest does to
personal data before it reaches the warehouse; ``atelier privacy`` proposes it from
what it detects. The other fields feed the GDPR record of processing and the impact
assessment: what the project cannot know by itself.
"""

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from atelier._naming import snake_case

Action = Literal["drop", "pseudonymise", "generalise", "keep"]
Generalisation = Literal["month", "year", "department", "band", "range"]
# GDPR Article 6(1), (a) to (f).
LegalBasis = Literal[
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
]
# Areas of the AI Act's Annex III (high risk), Article 5 (prohibited) and others.
Domain = Literal[
    "customer_relationship",
    "marketing",
    "retail",
    "industry",
    "logistics",
    "energy",
    "credit_scoring",
    "insurance_pricing",
    "employment",
    "education",
    "healthcare",
    "public_services",
    "law_enforcement",
    "migration",
    "justice",
    "biometric_identification",
    "critical_infrastructure",
    "social_scoring",
    "other",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnRule(_Strict):
    """What ingest does to one column: ``drop``, ``pseudonymise``, ``generalise``, ``keep``.

    ``generalise`` needs ``to`` (``month`` or ``year`` for dates, ``department`` for
    postal codes, ``band`` for ages, ``range`` for numbers; the last two with
    ``width``). ``keep`` needs the GDPR Art. 6 ``legal_basis`` and the ``purpose``.
    A bare word (``drop``) stands for ``{action: drop}``.
    """

    action: Action
    to: Generalisation | None = None
    width: float | None = Field(None, gt=0)
    legal_basis: LegalBasis | None = None
    purpose: str | None = Field(None, min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _bare_word(cls, data):
        return {"action": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _complete(self):
        if self.action == "generalise" and self.to is None:
            raise ValueError("generalise needs 'to': month, year, department, band or range")
        if self.action != "generalise" and (self.to is not None or self.width is not None):
            raise ValueError(f"'to' and 'width' apply to generalise, not to {self.action}")
        if self.to in ("band", "range") and self.width is None:
            raise ValueError(f"generalise to {self.to} needs 'width' (10 for ten-year bands)")
        if self.action == "keep" and (self.legal_basis is None or self.purpose is None):
            raise ValueError(
                "keep needs 'legal_basis' (GDPR Art. 6: consent, contract, legal_obligation, "
                "vital_interests, public_task, legitimate_interests) and 'purpose'"
            )
        return self


class Privacy(_Strict):
    """Personal data: the policy, the anonymity to reach, and the record's facts.

    Attributes
    ----------
    policy : dict
        ``source.column`` -> :class:`ColumnRule`. Columns detected as personal but
        absent here get the proposed rule (privacy by default, GDPR Art. 25).
    quasi_identifiers : list of str
        Mart columns that together could single a person out (age, postal code...).
    k : int
        The smallest group size those columns must leave (k-anonymity), >= 2.
    controller, dpo : str
        Who decides the processing, and the data protection officer's contact.
    data_subjects : str
        Whose data these are (customers, employees...).
    recipients : list of str
        Who receives the data or the predictions.
    transfers_outside_eu : str
        Transfers outside the EU and their safeguard; ``none`` by default.
    automated_decision : bool
        Whether a decision with legal or similar effect is taken without a person
        (GDPR Art. 22).
    """

    policy: dict[str, ColumnRule] = Field(default_factory=dict)
    quasi_identifiers: list[str] = Field(default_factory=list)
    k: int = 5
    controller: str | None = None
    dpo: str | None = None
    data_subjects: str | None = None
    recipients: list[str] = Field(default_factory=list)
    transfers_outside_eu: str = "none"
    automated_decision: bool = False

    @field_validator("k")
    @classmethod
    def _k_at_least_two(cls, value: int) -> int:
        if value < 2:
            raise ValueError(f"k must be at least 2 (a group of one is a person); got {value}")
        return value

    @field_validator("policy")
    @classmethod
    def _source_dot_column(cls, policy: dict) -> dict:
        for name in policy:
            if not re.fullmatch(r"[^.\s]+\.[^.]+", name):
                raise ValueError(f"{name!r}: name a column as source.column")
        return policy

    @field_validator("quasi_identifiers")
    @classmethod
    def _snake(cls, columns: list[str]) -> list[str]:
        return [snake_case(column) for column in columns]


class Fairness(_Strict):
    """The attributes whose groups the model must treat alike (``fairness.attributes``).

    They are read from the mart for the audit, whether or not they are features.
    """

    attributes: list[str] = Field(min_length=1)

    @field_validator("attributes")
    @classmethod
    def _snake(cls, columns: list[str]) -> list[str]:
        return [snake_case(column) for column in columns]


class Retention(_Strict):
    """How long a source's rows are kept, and the date the duration runs from.

    ``keep_for`` is ``90d``, ``18m`` or ``3y`` after the date in ``date_column``;
    older rows are purged at each ingest.
    """

    keep_for: str = Field(pattern=r"^\d+\s*[dmy]$")
    date_column: str

    @property
    def days(self) -> int:
        """``keep_for`` in days (a month is 30 days, a year 365)."""
        number, unit = int(self.keep_for[:-1]), self.keep_for[-1]
        return number * {"d": 1, "m": 30, "y": 365}[unit]
