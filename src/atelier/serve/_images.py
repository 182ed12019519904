"""``POST /v1/predict`` for a model of images: one uploaded PNG or JPEG file."""

import orjson
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from atelier.media import IMAGE_SUFFIXES, ImageProblem, decode_image, probe_image
from atelier.serve._service import ModelService, as_records

MAX_IMAGE_BYTES = 5 * 1024 * 1024


def image_pixels(service: ModelService, filename: str, content: bytes):
    """The pixels of an uploaded image as the model reads them.

    Raises
    ------
    HTTPException
        422 naming the problem: too large, not an image, damaged.
    """
    if len(content) > MAX_IMAGE_BYTES:
        raise HTTPException(
            422, f"file: {len(content):,} bytes; images of at most {MAX_IMAGE_BYTES:,} are read"
        )
    if not content:
        raise HTTPException(422, "file: empty upload; expected a PNG or JPEG image")
    suffix = "." + filename.rsplit(".", 1)[-1] if "." in filename else None
    shape = probe_image(content, suffix)
    if isinstance(shape, ImageProblem):
        raise HTTPException(422, f"file {filename!r}: {shape.detail}; expected a PNG or JPEG image")
    if shape.format not in IMAGE_SUFFIXES.values():
        raise HTTPException(
            422, f"file {filename!r}: a {shape.format} image; expected a PNG or JPEG image"
        )
    wanted = service.image_input
    return decode_image(content, tuple(wanted["size"]), wanted["channels"])[None]


def add_image_routes(app: FastAPI, service: ModelService, guarded, metrics) -> None:
    """Add ``POST /v1/predict``, which takes one image in the multipart field ``file``."""
    info = service.info

    @app.post(
        "/v1/predict",
        tags=["model"],
        dependencies=guarded,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {"file": {"type": "string", "format": "binary"}},
                            "required": ["file"],
                        }
                    }
                },
            }
        },
        responses={422: {"description": "Not a readable PNG or JPEG image, or too large"}},
    )
    async def predict(request: Request) -> Response:
        """Classify one image (PNG or JPEG, multipart field ``file``; resized as in training).

        The answer gives the most probable ``prediction`` and the ``probability`` of
        each class.
        """
        async with request.form() as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise HTTPException(422, "multipart body: expected an image in the field 'file'")
            content = await upload.read()
            filename = upload.filename or ""
        pixels = image_pixels(service, filename, content)
        columns = await run_in_threadpool(service.predict_pixels, pixels)
        metrics.count_predictions(columns["prediction"])
        payload = {
            "model": {"name": info.name, "version": info.version},
            "predictions": as_records(columns),
        }
        return Response(orjson.dumps(payload), media_type="application/json")
