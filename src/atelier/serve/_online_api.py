"""``POST /v1/predict/online``: score by key, with the features published in Redis."""

import time
import uuid

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from atelier.online import OnlineStore
from atelier.serve._request import RequestError
from atelier.serve._service import ModelService, as_records

MAX_ONLINE_RECORDS = 1_000


def add_online_route(
    app: FastAPI, service: ModelService, guarded, metrics, store: OnlineStore, key: str
) -> None:
    """Add the route that completes each record from the features published under its key."""
    info = service.info
    schema = {
        "type": "object",
        "required": ["records"],
        "properties": {
            "records": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_ONLINE_RECORDS,
                "items": {
                    "type": "object",
                    "required": [key],
                    "properties": {key: {"type": ["string", "integer"]}}
                    | {
                        name: {"description": "overrides the published value"}
                        for name in service.request.columns
                    },
                },
            }
        },
    }
    example = {"records": [{key: "<a published key>"}]}

    @app.post(
        "/v1/predict/online",
        tags=["model"],
        dependencies=guarded,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": schema, "example": example}},
            }
        },
        responses={422: {"description": "A record lacks its key or a value is out of schema"}},
    )
    async def predict_online(request: Request) -> Response:
        """Score records by key: the features published in Redis fill what a record omits.

        A prediction made for the same values by the same model version within the
        cache's lifetime is served again (``cached``: true). Every prediction is
        logged for monitoring (``atelier ingest`` stores the log in the warehouse).
        When Redis does not answer, each record is scored from its own values and
        ``online.note`` says so.
        """
        records = _records(await request.body(), key)
        keys = [str(record[key]) for record in records]
        published = await run_in_threadpool(store.features, keys)
        merged, note = _merged(records, published, key)
        # every record validated, so that an error names its place in the request
        frame = service.request.to_frame(
            service.request.json_columns(orjson.dumps({"records": merged}))
        )
        cached = await run_in_threadpool(store.cached, info.version, merged)
        missing = [index for index, hit in enumerate(cached) if hit is None]
        answers = list(cached)
        if missing:
            scored = await run_in_threadpool(
                service.predict, frame.iloc[missing].reset_index(drop=True)
            )
            fresh = as_records(scored)
            for index, answer in zip(missing, fresh, strict=True):
                answers[index] = answer
            metrics.count_predictions([a.get("decision", a["prediction"]) for a in fresh])
            await run_in_threadpool(
                store.remember, info.version, [merged[i] for i in missing], fresh
            )
        request_id = uuid.uuid4().hex
        now = time.time()
        logged = await run_in_threadpool(
            store.log,
            [
                {
                    "request_id": request_id,
                    "key": k,
                    **answer,
                    "model_version": info.version,
                    "at": now,
                }
                for k, answer in zip(keys, answers, strict=True)
            ],
        )
        online = {"features": "request" if published is None else "redis", "logged": logged}
        if note:
            online["note"] = note
        payload = {
            "model": {"name": info.name, "version": info.version},
            "threshold": info.threshold,
            "request_id": request_id,
            "predictions": [
                {key: record[key], **answer, "cached": hit is not None}
                for record, answer, hit in zip(records, answers, cached, strict=True)
            ],
            "online": online,
        }
        return Response(orjson.dumps(payload), media_type="application/json")


def _records(body: bytes, key: str) -> list[dict]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RequestError([_error(["body"], None, None, "body: not valid JSON")]) from None
    records = document.get("records") if isinstance(document, dict) else None
    if not isinstance(records, list) or not 1 <= len(records) <= MAX_ONLINE_RECORDS:
        raise RequestError(
            [
                _error(
                    ["body", "records"],
                    None,
                    None,
                    f"records: expected a list of 1 to {MAX_ONLINE_RECORDS} objects",
                )
            ]
        )
    for index, record in enumerate(records):
        if not isinstance(record, dict) or not isinstance(record.get(key), str | int):
            raise RequestError(
                [
                    _error(
                        ["body", "records", index, key],
                        index,
                        key,
                        f"record {index}, field {key!r}: required, the key its features are "
                        "published under",
                    )
                ]
            )
    return records


def _merged(records, published, key) -> tuple[list[dict], str | None]:
    """Each record completed by its published features; a note on what was missing."""
    own = [{name: value for name, value in record.items() if name != key} for record in records]
    if published is None:
        return own, "Redis did not answer: each record was scored from its own values"
    unknown = sum(found is None for found in published)
    merged = [(found or {}) | values for found, values in zip(published, own, strict=True)]
    note = None
    if unknown:
        note = (
            f"no features published for {unknown} of {len(records)} key(s): "
            "scored from their own values"
        )
    return merged, note


def _error(loc, record, field, message) -> dict:
    return {"loc": loc, "record": record, "field": field, "msg": message, "type": "value_error"}
