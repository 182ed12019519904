"""A search's tuned trials run by several workers at once, its studies in a database.

The warm start runs first, in the caller. The tuned trials are then run by
``workers`` processes at once (Spark tasks: :class:`atelier.scale._trials.SparkTrials`).
Every worker asks the same Optuna studies, kept in a database (``storage``), so
that each proposal learns from the trials of every worker, and the pruner compares
folds across them. With ``max_trials``, the trials left are tickets queued in a
study of their own: a worker claims one before each trial (Optuna hands a queued
trial to one asker only), so that a worker whose trials are quick takes more of
them and no worker waits at the end; without it, the workers run until the deadline.

No trial is lost:

- every trial carries its worker's index and, once evaluated, a summary of its
  record (scores, times, notes) in the study;
- a worker that starts again after its process died (Spark runs a failed task
  again) finds the trial and the ticket its first run left unfinished, marks them
  failed and queues them again: the trial's parameters run first, on a ticket;
- a trial whose worker died after telling it is rebuilt from its summary
  (without its out-of-fold predictions, so it may not join an ensemble).
"""

import time
from dataclasses import dataclass, replace

import numpy as np
import optuna
import pandas as pd
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from atelier.exceptions import DataError
from atelier.learn._search import Search, SearchSetup, TrialRecord
from atelier.sources._snapshot import first_line

RUNNING = optuna.trial.TrialState.RUNNING
FAIL = optuna.trial.TrialState.FAIL


@dataclass
class WorkerState:
    """What each worker receives: the search as the warm start left it, and the rows.

    The deadline is wall-clock time (``time.time()``), the one clock that workers on
    other machines share with the caller.
    """

    setup: SearchSetup
    wall_deadline: float
    records: list[TrialRecord]
    tickets: str | None  # the study of the trials left to run; None: until the deadline
    X: pd.DataFrame
    y: np.ndarray
    fold_frames: list[pd.DataFrame] | None


def open_storage(url: str) -> optuna.storages.RDBStorage:
    """The Optuna storage at ``url`` (an SQLAlchemy URL), its tables created if missing.

    Raises
    ------
    DataError
        When the database does not answer or refuses; the message hides the password.
    """
    try:
        return optuna.storages.RDBStorage(url, engine_kwargs={"pool_pre_ping": True})
    except (SQLAlchemyError, ImportError, ValueError) as error:
        reason = first_line(error)
        password = make_url(url).password
        if password:
            reason = reason.replace(password, "***")
        raise DataError(
            f"training.storage: the study database {_shown(url)} cannot be used: {reason}"
        ) from None


def worker_state(search: Search, X, y, workers: int) -> WorkerState:
    """The state each of ``workers`` workers starts from, after ``search``'s warm start.

    The trials left by ``max_trials`` are queued as tickets in the storage.
    """
    setup = search.setup
    per_worker_jobs = max(1, setup.context.n_jobs // workers)
    tickets = None
    if setup.max_trials is not None:
        tickets = f"{setup.study_prefix}.tickets"
        study = optuna.create_study(storage=setup.storage, study_name=tickets)
        for _ in range(max(0, setup.max_trials - len(search.records))):
            study.enqueue_trial({}, user_attrs={"ticket": True})
    return WorkerState(
        setup=replace(
            setup,
            max_trials=None,
            context=replace(setup.context, n_jobs=per_worker_jobs),
        ),
        wall_deadline=time.time() + (setup.deadline - time.monotonic()),
        records=[TrialRecord.from_summary(r.summary()) for r in search.records],
        tickets=tickets,
        X=X,
        y=y,
        fold_frames=search.fold_frames,
    )


def run_worker(state: WorkerState, index: int) -> list[TrialRecord]:
    """Run tuned trials as worker ``index`` while tickets (or time) last; return their records."""
    deadline = time.monotonic() + (state.wall_deadline - time.time())
    setup = replace(state.setup, deadline=deadline)
    search = Search(setup, worker=index)
    search.records = list(state.records)
    search.fold_frames = state.fold_frames
    started = len(search.records)
    tickets = None
    if state.tickets is not None:
        tickets = optuna.load_study(study_name=state.tickets, storage=setup.storage)
    _requeue_unfinished(search, tickets, index)
    searchable = [f for f in setup.families if f.space is not None]
    n_rows = len(state.X)
    while True:
        ticket = None if tickets is None else _claim(tickets, index)
        if tickets is not None and ticket is None:
            break  # every trial asked for is taken
        family = _family_with_queued_trial(search) or search.next_family(searchable)
        ran = family is not None and search.run_trial(family, None, state.X, state.y, n_rows)
        if ticket is not None:
            tickets.tell(ticket, 0.0)
        if not ran:
            break
    return search.records[started:]


def gathered(search: Search, returned: list[TrialRecord], workers: int) -> list[TrialRecord]:
    """Every tuned trial the workers told, numbered after the caller's own, in start order.

    ``returned`` holds the records the workers sent back; a trial told in the
    studies without one (its worker died after telling it) is rebuilt from its
    summary. Trials run again after their worker died are counted in the notes, with
    the ``workers`` started (one that found no ticket left runs none).
    """
    sent = {(r.family, r.study_trial): r for r in returned}
    found, rerun, lost = [], 0, 0
    for family, study in search.studies.items():
        for trial in study.get_trials(deepcopy=False):
            if trial.user_attrs.get("worker") is None:
                continue  # the caller's own (warm start) trials
            if "record" not in trial.user_attrs:
                # failed by its worker's rerun, or left running when the job gave up
                rerun += trial.state == FAIL
                lost += trial.state == RUNNING
                continue
            record = sent.get((family, trial.number))
            if record is None:
                record = TrialRecord.from_summary(trial.user_attrs["record"])
                record.notes.append(
                    "its worker stopped before sending its predictions back: scores from the study"
                )
            found.append((trial.datetime_start, record))
    found.sort(key=lambda pair: pair[0])
    records = []
    for offset, (_, record) in enumerate(found):
        records.append(replace(record, number=len(search.records) + offset))
    database = _shown(getattr(search.setup.storage, "url", None))
    search.notes.append(
        f"{len(records)} tuned trials ran on {workers} parallel workers, their studies "
        f"shared in {database}"
        + (f"; {rerun} trials whose worker died were run again" if rerun else "")
        + (f"; {lost} trials were lost with their workers" if lost else "")
    )
    return records


def _requeue_unfinished(search: Search, tickets, index: int) -> None:
    """Fail and queue again what a dead earlier run of worker ``index`` left running.

    One worker index runs once at a time: a running trial or ticket under this index
    is a dead process's. Its ticket is queued again, so that the rerun of its trial
    has one.
    """
    for study in search.studies.values():
        for trial in study.get_trials(deepcopy=False, states=(RUNNING,)):
            if trial.user_attrs.get("worker") == index:
                study.tell(trial.number, state=FAIL)
                if trial.params:  # else it died before it was given any
                    study.enqueue_trial(trial.params, user_attrs={"rerun_of": trial.number})
    if tickets is None:
        return
    for ticket in tickets.get_trials(deepcopy=False, states=(RUNNING,)):
        if ticket.user_attrs.get("worker") == index:
            tickets.tell(ticket.number, state=FAIL)
            tickets.enqueue_trial({}, user_attrs={"ticket": True})


def _claim(tickets, index: int) -> int | None:
    """The number of a ticket this worker now holds, or None when none is left.

    Optuna hands a queued trial to one asker only; when none is queued, ``ask``
    makes a new trial instead, which is failed at once.
    """
    trial = tickets.ask()
    if not trial.user_attrs.get("ticket"):
        tickets.tell(trial, state=FAIL)
        return None
    trial.set_user_attr("worker", index)
    return trial.number


def _family_with_queued_trial(search: Search):
    """The first family whose study holds a queued trial (a rerun), so that it runs first."""
    for family in search.setup.families:
        study = search.studies.get(family.name)
        if study is not None and study.get_trials(
            deepcopy=False, states=(optuna.trial.TrialState.WAITING,)
        ):
            return family
    return None


def _shown(url: str | None) -> str:
    """The database's URL without its password."""
    return make_url(url).render_as_string(hide_password=True) if url else "a database"
