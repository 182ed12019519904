"""Dynamic batching: concurrent small requests share one call of the model."""

import asyncio
import threading

import pandas as pd

from atelier.serve._batching import INLINE_ROWS, DynamicBatcher


def test_requests_arriving_together_are_scored_in_one_call():
    calls = []

    def predict(frame: pd.DataFrame) -> dict:
        calls.append(len(frame))
        return {"prediction": (frame["x"] * 10).tolist()}

    batcher = DynamicBatcher(pd.DataFrame, predict)

    async def scenario():
        return await asyncio.gather(*(batcher.submit({"x": [i, i + 100]}) for i in range(4)))

    answers = asyncio.run(scenario())
    assert answers == [{"prediction": [10 * i, 10 * (i + 100)]} for i in range(4)]
    assert calls == [8]
    assert (batcher.batches, batcher.requests) == (1, 4)


def test_requests_arriving_while_the_model_is_busy_make_the_next_batch():
    calls = []
    release = threading.Event()
    big = {"x": list(range(INLINE_ROWS + 1))}  # scored in a thread: the loop stays free

    def predict(frame: pd.DataFrame) -> dict:
        calls.append(len(frame))
        if len(calls) == 1:
            assert release.wait(10)
        return {"prediction": frame["x"].tolist()}

    batcher = DynamicBatcher(pd.DataFrame, predict)

    async def scenario():
        first = asyncio.create_task(batcher.submit(big))
        await asyncio.sleep(0.1)
        others = [asyncio.create_task(batcher.submit({"x": [i]})) for i in (1, 2, 3)]
        await asyncio.sleep(0.1)
        release.set()
        return await first, await asyncio.gather(*others)

    first, others = asyncio.run(scenario())
    assert first == {"prediction": big["x"]}
    assert others == [{"prediction": [i]} for i in (1, 2, 3)]
    assert calls == [INLINE_ROWS + 1, 3]


def test_a_failing_batch_fails_each_of_its_requests():
    def predict(frame):
        raise RuntimeError("model broke")

    batcher = DynamicBatcher(pd.DataFrame, predict)

    async def scenario():
        return await asyncio.gather(
            batcher.submit({"x": [1]}), batcher.submit({"x": [2]}), return_exceptions=True
        )

    outcomes = asyncio.run(scenario())
    assert [str(o) for o in outcomes] == ["model broke", "model broke"]
    assert batcher.batches >= 1
