"""The REST API of a served model (FastAPI).

Routes: ``GET /health`` (open), ``GET /v1/model``, ``POST /v1/predict`` (JSON
records or columns, an Arrow IPC stream, or a CSV or Parquet file), ``POST
/v1/explain``, ``GET /metrics`` and the OpenAPI docs at ``/docs``. A body of
records is parsed and validated from the raw bytes by
:class:`atelier.serve._request.RequestModel` (pydantic-core on JSON, no
intermediate Python objects); columns and Arrow streams are checked column by
column (:mod:`atelier.serve._columns`). The JSON schemas are declared in the
OpenAPI so that ``/docs`` shows the fields, their types, ranges and categories,
with an example that works as shown.
"""

import gc
import logging
import os
import re
import secrets

import orjson
import pandas as pd
from fastapi import Depends, FastAPI, HTTPException, Request, Security
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool

from atelier.serve._batching import DynamicBatcher
from atelier.serve._columns import (
    ARROW_STREAM,
    arrow_answer,
    arrow_columns,
    columns_schema,
    json_columns,
    wants_arrow,
)
from atelier.serve._guards import BodyLimit, RequestLog
from atelier.serve._metrics import ServeMetrics
from atelier.serve._request import MAX_EXPLAINED, RequestError, read_table
from atelier.serve._service import ModelService, as_records

KEYS_VARIABLE = "ATELIER_API_KEYS"
DEFAULT_MAX_BODY = 20 * 1024 * 1024
BATCHED_RECORDS = 256  # requests this small are scored together with concurrent ones
INLINE_BODY_BYTES = 64 * 1024  # bodies this small are validated on the event loop
DOCS_ASSETS = "/docs-assets"
_COLUMNAR = re.compile(rb'\s*\{\s*"columns"\s*:')  # a JSON body of columns, not of records
log = logging.getLogger("atelier.serve")

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="One of ATELIER_API_KEYS")


def api_keys_from_environment() -> tuple[str, ...]:
    """The API keys of ``ATELIER_API_KEYS`` (comma-separated); empty when unset."""
    return tuple(k.strip() for k in os.environ.get(KEYS_VARIABLE, "").split(",") if k.strip())


def create_app(
    service: ModelService,
    *,
    api_keys: tuple[str, ...] = (),
    max_body_bytes: int = DEFAULT_MAX_BODY,
    online: tuple | None = None,
) -> FastAPI:
    """The API serving ``service``.

    Parameters
    ----------
    service : ModelService
    api_keys : tuple of str
        Accepted values of the ``X-API-Key`` header; every route but ``/health``
        requires one when not empty.
    max_body_bytes : int
        Larger request bodies get 413 before they are read.
    online : (OnlineStore, str) or None
        The Redis store and the key column: adds ``POST /v1/predict/online``.

    Returns
    -------
    FastAPI
    """
    info = service.info
    app = FastAPI(
        title=f"atelier: {info.name}",
        version=str(info.version),
        description=_description(service, bool(api_keys)),
        docs_url=None,  # served below from local assets: FastAPI's own page loads a CDN
        redoc_url=None,
    )
    _offline_docs(app)
    metrics = ServeMetrics()

    def require_key(key: str | None = Security(_api_key)) -> None:
        if not api_keys:
            return
        if key is None or not any(secrets.compare_digest(key, k) for k in api_keys):
            raise HTTPException(401, "missing or wrong API key (header X-API-Key)")

    guarded = [Depends(require_key)]

    @app.exception_handler(RequestError)
    def invalid_request(request: Request, error: RequestError) -> JSONResponse:
        return JSONResponse({"detail": error.errors}, status_code=422)

    @app.get("/health", tags=["service"])
    def health() -> dict:
        """Liveness and readiness: the model is loaded and answers."""
        return {"status": "ok", "model": info.name, "version": info.version}

    @app.get("/v1/model", tags=["model"], dependencies=guarded)
    def model() -> dict:
        """The served model: version, metric, training date, threshold and input schema."""
        return service.describe()

    if service.media_input is not None:
        from atelier.serve._media import add_media_routes

        add_media_routes(app, service, guarded, metrics)
    else:
        _add_record_routes(app, service, guarded, metrics)
        if online is not None:
            from atelier.serve._online_api import add_online_route

            add_online_route(app, service, guarded, metrics, *online)

    @app.get("/metrics", tags=["service"], dependencies=guarded, include_in_schema=False)
    def prometheus() -> Response:
        """Prometheus metrics: requests, latency, errors, predictions by class."""
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    app.add_middleware(RequestLog, metrics=metrics, logger=log)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    # The model, MLflow and pandas leave a large heap of long-lived objects; moved out
    # of the collector's reach, they no longer make full collections pause requests.
    gc.collect()
    gc.freeze()
    return app


def _add_record_routes(app: FastAPI, service: ModelService, guarded, metrics) -> None:
    """``POST /v1/predict`` and ``/v1/explain`` for a model of records (a table's rows)."""
    info = service.info
    batcher = DynamicBatcher(service.request.to_frame, service.predict)
    example = {"records": service.card["background"][:2]}

    @app.post(
        "/v1/predict",
        tags=["model"],
        dependencies=guarded,
        openapi_extra=_body(
            {"oneOf": [service.request.json_schema(), columns_schema(service.request)]},
            example,
            files=True,
        ),
        responses={
            200: {
                "description": "One answer per record, in the order sent: JSON, or an "
                "Arrow stream of one column per answer when the Accept header asks for it",
                "content": {ARROW_STREAM: {"schema": {"type": "string", "format": "binary"}}},
            },
            422: {"description": "A record or field does not match the schema"},
        },
    )
    async def predict(request: Request) -> Response:
        """Score 1 to 10,000 rows: JSON records or columns, an Arrow stream, or a file.

        A body of records is ``{"records": [{field: value, ...}, ...]}``; of columns,
        ``{"columns": {field: [value, ...], ...}}`` (quicker for large batches); an
        Apache Arrow IPC stream (``application/vnd.apache.arrow.stream``) is the
        quickest. A CSV or Parquet file goes in the multipart field ``file``. The
        same rules hold for all, and a 422 names the record (the row) and field.

        Each record gets the most probable ``prediction``; classifiers add the
        ``probability`` (of the positive class when there are two) and binary models
        the ``decision`` at the threshold of least expected cost. With ``Accept:
        application/vnd.apache.arrow.stream``, the answer is an Arrow stream of those
        columns, the model and threshold in its schema's metadata.
        """
        columns = await _predictions(request, service, batcher)
        metrics.count_predictions(columns.get("decision", columns["prediction"]))
        model = {"name": info.name, "version": info.version}
        if wants_arrow(request.headers.get("accept", "")):
            return Response(arrow_answer(columns, model, info.threshold), media_type=ARROW_STREAM)
        payload = {
            "model": model,
            "threshold": info.threshold,
            "predictions": as_records(columns),
        }
        return Response(orjson.dumps(payload), media_type="application/json")

    @app.post(
        "/v1/explain",
        tags=["model"],
        dependencies=guarded,
        openapi_extra=_body(service.request.json_schema(MAX_EXPLAINED), example, files=False),
        responses={422: {"description": "A record or field does not match the schema"}},
    )
    async def explain(request: Request) -> Response:
        """Why each record (1 to 100) gets its prediction: SHAP values and reasons in words."""
        frame = service.request.parse_json(await request.body(), MAX_EXPLAINED)
        payload = {
            "model": {"name": info.name, "version": info.version},
            "explanations": await run_in_threadpool(service.explain, frame),
        }
        return Response(orjson.dumps(payload), media_type="application/json")


async def _predictions(request: Request, service: ModelService, batcher) -> dict[str, list]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        frame = service.request.parse_frame(await _uploaded_table(request))
        return await run_in_threadpool(service.predict, frame)
    if content_type == ARROW_STREAM:
        columns = await run_in_threadpool(arrow_columns, service.request, await request.body())
    elif content_type == "application/json":
        body = await request.body()
        if _COLUMNAR.match(body):  # already a batch: validated column by column
            columns = await run_in_threadpool(json_columns, service.request, body)
        else:
            if len(body) <= INLINE_BODY_BYTES:
                columns = service.request.json_columns(body)
            else:  # validating thousands of records takes long enough to stall other requests
                columns = await run_in_threadpool(service.request.json_columns, body)
            if len(next(iter(columns.values()))) <= BATCHED_RECORDS:
                return await batcher.submit(columns)
    else:
        raise HTTPException(
            415,
            f"content type {content_type or 'none'!r}: expected application/json, "
            f"{ARROW_STREAM} or a file upload",
        )
    return await run_in_threadpool(service.predict, service.request.to_frame(columns))


async def _uploaded_table(request: Request) -> pd.DataFrame:
    async with request.form() as form:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HTTPException(422, "multipart body: expected a file in the field 'file'")
        try:
            return read_table(upload.filename or "", await upload.read())
        except ValueError as error:
            raise HTTPException(422, str(error)) from None


def _offline_docs(app: FastAPI) -> None:
    """Serve Swagger UI at ``/docs`` from the ``swagger-ui-bundle`` package.

    FastAPI's default page fetches its scripts from a CDN: blank on a machine
    without internet.
    """
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles
    from swagger_ui_bundle import swagger_ui_path

    app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=f"{app.title}: docs",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
        )


def _body(schema: dict, example: dict, *, files: bool) -> dict:
    content = {"application/json": {"schema": schema, "example": example}}
    if files:
        content[ARROW_STREAM] = {"schema": {"type": "string", "format": "binary"}}
        content["multipart/form-data"] = {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        }
    return {"requestBody": {"required": True, "content": content}}


def _description(service: ModelService, keyed: bool) -> str:
    card = service.card
    rule = service.decision_rule()
    lines = [
        f"**Question**: {card['question']}",
        "",
        f"**Decision**: {card['decision']}",
        "",
        f"Model `{service.info.name}` version {service.info.version}, trained "
        f"{service.info.trained_at}; hold-out {service.info.metric}: "
        f"{service.info.holdout_score:.4f}.",
    ]
    if rule:
        lines += ["", f"**Decision rule**: {rule}."]
    if keyed:
        lines += ["", "Every route but `/health` needs an `X-API-Key` header (Authorize)."]
    return "\n".join(lines)
