"""One thread per model when serving: parallelism comes from worker processes.

A boosting model trained with ``n_jobs=2`` would start its thread pool for every
request; for a single record, waking the threads costs more than the prediction,
and two workers on two cores would fight over them.
"""

from collections.abc import Iterator

_THREAD_PARAMETERS = ("n_jobs", "thread_count")


def single_threaded(model) -> int:
    """Set every thread-count parameter inside ``model`` to 1; return how many were set."""
    changed = 0
    for part in _parts(model, set()):
        parameters = part.get_params(deep=False)
        for name in _THREAD_PARAMETERS:
            if parameters.get(name) not in (None, 1):
                part.set_params(**{name: 1})
                changed += 1
    return changed


def _parts(value, seen: set) -> Iterator:
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, list | tuple):
        for item in value:
            yield from _parts(item, seen)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _parts(item, seen)
    elif hasattr(value, "get_params") and hasattr(value, "__dict__"):
        yield value
        for item in vars(value).values():
            yield from _parts(item, seen)
