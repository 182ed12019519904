"""The charter's ``plan`` section: tasks with three-point estimates, people, start and deadline.

Each task has an optimistic, a most likely and a pessimistic duration in working days
(PERT's three points), the tasks it waits for, the people responsible and
accountable for it, consulted and informed (RACI), and optionally the atelier stage
whose completion marks it done. Faults a plan cannot be computed with (a dependency
cycle, a task waiting for an unknown one, a pessimistic estimate below the
optimistic one, a deadline before the start, an unknown person) are refused when the
charter is read, each in one line naming the task or field.
"""

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from atelier._stages import STAGE_NAMES

# what can mark a task done: a stage before the plan's own, or the dossier
AFTER_THE_PLAN = ("plan", "landscape", "resources", "scale")
MARKED_BY = (*(name for name in STAGE_NAMES if name not in AFTER_THE_PLAN), "report")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(_Strict):
    """Someone who works on the project, and the share of a full week they can give it."""

    name: str
    availability: float = Field(1.0, gt=0, le=1)


class Raci(_Strict):
    """Who does the task, who answers for it, who is consulted and who is informed."""

    responsible: list[str] = Field(default_factory=list)
    accountable: str | None = None
    consulted: list[str] = Field(default_factory=list)
    informed: list[str] = Field(default_factory=list)

    @field_validator("responsible", "consulted", "informed", mode="before")
    @classmethod
    def _one_as_list(cls, value):
        return [value] if isinstance(value, str) else value


class Task(_Strict):
    """One task of the plan.

    ``estimate`` is ``[optimistic, likely, pessimistic]`` in working days; ``after``
    the ids of the tasks that must finish first; ``stage`` the atelier stage whose
    completion marks the task done; ``done`` the day it was done, for a task no
    stage marks; ``milestone`` a task of no duration that marks a date (its estimate
    is ``[0, 0, 0]``).
    """

    id: str
    name: str
    estimate: tuple[float, float, float]
    after: list[str] = Field(default_factory=list)
    raci: Raci = Field(default_factory=Raci)
    stage: str | None = None
    milestone: bool = False
    done: dt.date | None = None

    @field_validator("after", mode="before")
    @classmethod
    def _one_as_list(cls, value):
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _ordered_estimate(self):
        optimistic, likely, pessimistic = self.estimate
        if optimistic < 0:
            raise ValueError(f"task {self.id!r}: estimate: a duration cannot be negative")
        if not optimistic <= likely <= pessimistic:
            raise ValueError(
                f"task {self.id!r}: estimate: expected optimistic <= likely <= pessimistic "
                f"(days), got {list(self.estimate)}"
            )
        if self.milestone and pessimistic > 0:
            raise ValueError(f"task {self.id!r}: a milestone takes no time: estimate [0, 0, 0]")
        if self.stage is not None and self.stage not in MARKED_BY:
            raise ValueError(
                f"task {self.id!r}: stage: {self.stage!r} is not a stage of atelier "
                f"({', '.join(MARKED_BY)})"
            )
        return self


class Plan(_Strict):
    """The project's plan: its tasks, the people who do them, its start and deadline.

    Durations are working days, Monday to Friday; ``start`` is the first day of work.
    """

    start: dt.date
    deadline: dt.date
    people: list[Person] = Field(default_factory=list)
    tasks: list[Task] = Field(min_length=1)

    @model_validator(mode="after")
    def _computable(self):
        if self.deadline <= self.start:
            raise ValueError(
                f"deadline: {self.deadline.isoformat()} is not after the start "
                f"{self.start.isoformat()}"
            )
        ids = [task.id for task in self.tasks]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"tasks: the id {repeated[0]!r} is given to more than one task")
        known_people = {person.name for person in self.people}
        for task in self.tasks:
            for before in task.after:
                if before not in ids:
                    raise ValueError(
                        f"task {task.id!r}: after: {before!r} is not a task of the plan"
                    )
            named = [*task.raci.responsible, *task.raci.consulted, *task.raci.informed]
            named += [task.raci.accountable] if task.raci.accountable else []
            unknown = [name for name in named if name not in known_people]
            if self.people and unknown:
                raise ValueError(
                    f"task {task.id!r}: raci: {unknown[0]!r} is not one of the plan's people "
                    f"({', '.join(sorted(known_people))})"
                )
        cycle = _cycle(self.tasks)
        if cycle:
            raise ValueError(f"tasks: a dependency cycle: {' -> '.join(cycle)}")
        self._within_reach()
        return self

    def _within_reach(self) -> None:
        """Refuse a person given more work than any levelling can fit before the deadline."""
        import numpy as np

        days = float(np.busday_count(self.start, self.deadline + dt.timedelta(days=1)))
        for person in self.people:
            work = 0.0
            for task in self.tasks:
                if person.name in task.raci.responsible:
                    optimistic, likely, pessimistic = task.estimate
                    expected = (optimistic + 4 * likely + pessimistic) / 6  # PERT's
                    work += expected / len(task.raci.responsible)
            needed = work / person.availability
            if needed > days:
                raise ValueError(
                    f"people: {person.name!r} has {work:.1f} days of work, which at an "
                    f"availability of {person.availability:g} take {needed:.1f} working days; "
                    f"only {days:g} lie between the start and the deadline"
                )


def _cycle(tasks: list[Task]) -> list[str]:
    """A dependency cycle among ``tasks`` (its ids, the first repeated at the end), or []."""
    waits_for = {task.id: task.after for task in tasks}
    state: dict[str, str] = {}  # "open" while on the path being explored, then "done"

    def visit(node: str, path: list[str]) -> list[str]:
        state[node] = "open"
        for before in waits_for[node]:
            if state.get(before) == "open":
                return [*path[path.index(before) :], before] if before in path else [before]
            if before not in state:
                found = visit(before, [*path, before])
                if found:
                    return found
        state[node] = "done"
        return []

    for task in tasks:
        if task.id not in state:
            found = visit(task.id, [task.id])
            if found:
                return found
    return []
