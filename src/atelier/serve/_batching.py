"""Dynamic batching: score together the small requests that arrive while the model is busy.

A prediction has a fixed cost (the pipeline's pandas steps, about 3 ms for the demo)
that does not grow much with the number of rows. Small requests are therefore put
in a queue; one task takes everything waiting, scores it as one frame in a worker
thread, and hands each request its own rows. Nothing waits for a batch to fill: an
idle server scores a lone request at once, and a busy one scores, in the next batch,
the requests that came in during the current one (as Triton's or Ray Serve's dynamic
batching does, with no delay window).
"""

import asyncio
from collections.abc import Callable

import pandas as pd
from starlette.concurrency import run_in_threadpool

MAX_BATCH_ROWS = 2_048
# Up to this many rows, scoring takes a few milliseconds: it runs on the event loop,
# which saves the hand-over to a thread (the GIL would serialise both anyway).
INLINE_ROWS = 64


class DynamicBatcher:
    """Merge concurrent small requests into one call of ``predict``.

    Parameters
    ----------
    to_frame : callable
        Validated columns (dict of lists) to the model's input frame.
    predict : callable
        Frame to a dict of equally long lists (see :meth:`ModelService.predict`).
    max_rows : int, default=MAX_BATCH_ROWS
        The most rows scored in one call.

    Attributes
    ----------
    batches, requests : int
        How many calls of ``predict`` were made, for how many requests.
    """

    def __init__(
        self,
        to_frame: Callable[[dict], pd.DataFrame],
        predict: Callable[[pd.DataFrame], dict],
        max_rows: int = MAX_BATCH_ROWS,
    ):
        self.to_frame = to_frame
        self.predict = predict
        self.max_rows = max_rows
        self.batches = self.requests = 0
        self._queue: asyncio.Queue | None = None
        self._worker: asyncio.Task | None = None

    async def submit(self, columns: dict[str, list]) -> dict[str, list]:
        """Score one request's validated columns; returns its predictions."""
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._worker = asyncio.get_running_loop().create_task(self._serve())
        done = asyncio.get_running_loop().create_future()
        await self._queue.put((columns, done))
        return await done

    async def _serve(self) -> None:
        while True:
            waiting = [await self._queue.get()]
            rows = _length(waiting[0][0])
            while not self._queue.empty() and rows < self.max_rows:
                waiting.append(self._queue.get_nowait())
                rows += _length(waiting[-1][0])
            self.batches += 1
            self.requests += len(waiting)
            try:
                merged = {
                    name: [value for columns, _ in waiting for value in columns[name]]
                    for name in waiting[0][0]
                }
                frame = self.to_frame(merged)
                if rows <= INLINE_ROWS:
                    scored = self.predict(frame)
                else:
                    scored = await run_in_threadpool(self.predict, frame)
            except Exception as error:
                for _, done in waiting:
                    if not done.done():
                        done.set_exception(error)
                continue
            start = 0
            for columns, done in waiting:
                stop = start + _length(columns)
                if not done.done():  # a client that went away has its future cancelled
                    done.set_result({name: values[start:stop] for name, values in scored.items()})
                start = stop


def _length(columns: dict[str, list]) -> int:
    return len(next(iter(columns.values())))
