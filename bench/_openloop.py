"""Open-loop load: POST a body at a fixed rate, latency counted from when each was due.

Prints JSON: requests sent, errors (non-200 or no answer), p50/p99/max latency (ms).

Usage::

    python bench/_openloop.py URL BODY.json --rate 200 --duration 10 --key KEY
"""

import argparse
import asyncio
import json
import time
from pathlib import Path

import httpx
import numpy as np


async def run(url: str, body: bytes, rate: int, duration: int, key: str) -> dict:
    headers = {"content-type": "application/json", "X-API-Key": key}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    latencies, errors = [], 0
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one(due: float) -> None:
            nonlocal errors
            try:
                answer = await client.post(url, content=body, headers=headers)
                if answer.status_code != 200:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - due)

        start = time.perf_counter() + 0.5
        tasks = []
        for i in range(rate * duration):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(due)))
        await asyncio.gather(*tasks)
    values = np.asarray(latencies) * 1000
    return {
        "sent": len(tasks),
        "errors": errors,
        "p50_ms": float(np.percentile(values, 50)),
        "p99_ms": float(np.percentile(values, 99)),
        "max_ms": float(values.max()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("body", type=Path)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--key", default="")
    args = parser.parse_args()
    result = asyncio.run(run(args.url, args.body.read_bytes(), args.rate, args.duration, args.key))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
