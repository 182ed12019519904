"""Thread counts when serving: one thread per model, its own threads for large batches.

A boosting model trained with ``n_jobs=2`` would start its thread pool for every
request; for a single record, waking the threads costs more than the prediction,
and two workers on two cores would fight over them. So a served model predicts on
one thread, and parallelism comes from worker processes, except for a batch of
``MANY_ROWS`` rows or more: there the threads' start-up is small beside the work,
and the model gets back the threads it was trained with for that call.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

MANY_ROWS = 1_000
_THREAD_PARAMETERS = ("n_jobs", "thread_count")


class ThreadCounts:
    """The thread-count parameters inside a model, set to 1 and restorable per call.

    Parameters
    ----------
    model : estimator
        Searched through its parameters, attributes, lists and dicts (pipelines,
        ensembles, fitted inner models).
    """

    def __init__(self, model):
        self.trained = [
            (part, name, value)
            for part in estimator_parts(model)
            for name, value in part.get_params(deep=False).items()
            if name in _THREAD_PARAMETERS and value not in (None, 1)
        ]
        self._large_calls = 0
        self._lock = threading.Lock()
        self._set(1)

    def __len__(self) -> int:
        return len(self.trained)

    @contextmanager
    def for_rows(self, rows: int):
        """The trained thread counts while scoring ``rows`` rows, if they are many.

        Calls may overlap (the server scores in a thread pool): the threads stay
        until the last large call ends, and a small batch that runs beside one uses
        them too, which changes its speed and never its answer.
        """
        if rows < MANY_ROWS or not self.trained:
            yield
            return
        with self._lock:
            self._large_calls += 1
            if self._large_calls == 1:
                self._set(None)
        try:
            yield
        finally:
            with self._lock:
                self._large_calls -= 1
                if self._large_calls == 0:
                    self._set(1)

    def _set(self, count: int | None) -> None:
        for part, name, trained in self.trained:
            part.set_params(**{name: trained if count is None else count})


def estimator_parts(value, seen: set | None = None) -> Iterator:
    """Every estimator inside ``value``: itself, its steps, members and fitted attributes."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, list | tuple):
        for item in value:
            yield from estimator_parts(item, seen)
    elif isinstance(value, dict):
        for item in value.values():
            yield from estimator_parts(item, seen)
    elif hasattr(value, "get_params") and hasattr(value, "__dict__"):
        yield value
        for item in vars(value).values():
            yield from estimator_parts(item, seen)
