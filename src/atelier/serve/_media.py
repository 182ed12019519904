"""``POST /v1/predict`` for a model of files: one uploaded image (PNG, JPEG) or sound (WAV)."""

import numpy as np
import orjson
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from atelier.learn._metrics import TRANSCRIPTION
from atelier.media import IMAGE_SUFFIXES, ImageProblem, decode_image, probe_image
from atelier.media._audio import AudioProblem, probe_audio, spectrogram
from atelier.serve._service import ModelService, as_records

MAX_IMAGE_BYTES = 5 * 1024 * 1024  # images and sounds alike
MAX_SOUND_S = 30.0  # a recording longer than this is not one word or command


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
    wanted = service.media_input
    return decode_image(content, tuple(wanted["size"]), wanted["channels"])[None]


def occlusion_map(service: ModelService, pixels: np.ndarray, patch: int | None = None):
    """Where the image weighs in its answer, region by region.

    The map is the drop in the answer's probability when a square of the image's
    background hides each region (occlusion, Zeiler and Fergus 2014). It works for
    any model of images, network or not, through its probabilities.

    Parameters
    ----------
    service : ModelService
    pixels : ndarray
        One image, ``(1, channels, height, width)``.
    patch : int or None
        The square's side; a seventh of the image's shorter side when None.

    Returns
    -------
    (ndarray, int)
        The ``(height, width)`` map (positive: hiding the region lowers the answer's
        probability), and the answer's class position.
    """
    _, _, height, width = pixels.shape
    patch = patch or max(1, min(height, width) // 7)
    stride = max(1, patch // 2)
    base = service.array_probabilities(pixels)[0]
    answer = int(base.argmax())
    corners = [
        (top, left)
        for top in range(0, max(1, height - patch + 1), stride)
        for left in range(0, max(1, width - patch + 1), stride)
    ]
    hidden = np.repeat(pixels, len(corners), axis=0)
    # hidden with the background (the border's median): grey would add ink to a blank
    border = np.concatenate(
        [
            pixels[0, :, 0].ravel(),
            pixels[0, :, -1].ravel(),
            pixels[0, :, :, 0].ravel(),
            pixels[0, :, :, -1].ravel(),
        ]
    )
    fill = float(np.median(border))
    for row, (top, left) in enumerate(corners):
        hidden[row, :, top : top + patch, left : left + patch] = fill
    drops = base[answer] - service.array_probabilities(hidden)[:, answer]
    total, count = np.zeros((height, width)), np.zeros((height, width))
    for drop, (top, left) in zip(drops, corners, strict=True):
        total[top : top + patch, left : left + patch] += drop
        count[top : top + patch, left : left + patch] += 1
    return total / np.maximum(count, 1), answer


def sound_spectrogram(service: ModelService, filename: str, content: bytes):
    """The log-mel spectrogram of an uploaded recording as the model hears it.

    Raises
    ------
    HTTPException
        422 naming the problem: too large or long, not a WAV file, cut short.
    """
    if len(content) > MAX_IMAGE_BYTES:
        raise HTTPException(
            422, f"file: {len(content):,} bytes; recordings of at most {MAX_IMAGE_BYTES:,} are read"
        )
    if not content:
        raise HTTPException(422, "file: empty upload; expected a WAV recording")
    shape = probe_audio(content)
    if isinstance(shape, AudioProblem):
        raise HTTPException(422, f"file {filename!r}: {shape.detail}; expected a WAV recording")
    if shape.duration_s > MAX_SOUND_S:
        raise HTTPException(
            422,
            f"file {filename!r}: {shape.duration_s:.0f} s; recordings of at most "
            f"{MAX_SOUND_S:g} s are read",
        )
    heard = service.media_input
    return spectrogram(content, heard["sample_rate"], heard["n_mels"], heard["frames"])[None]


def decoded_upload(service: ModelService, filename: str, content: bytes):
    """The upload as the model reads it: pixels of an image, or a recording's spectrogram."""
    if service.media_input["kind"] == "audio":
        return sound_spectrogram(service, filename, content)
    return image_pixels(service, filename, content)


def add_media_routes(app: FastAPI, service: ModelService, guarded, metrics) -> None:
    """Add ``POST /v1/predict``, which takes one file in the multipart field ``file``."""
    info = service.info
    what = "a WAV recording" if service.media_input["kind"] == "audio" else "a PNG or JPEG image"
    transcribed = info.task == TRANSCRIPTION
    answer = (
        "The answer gives the ``transcript``: what the recording says, as the network wrote it."
        if transcribed
        else "The answer gives the most probable ``prediction`` and the ``probability`` of each "
        "class."
    )

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
        responses={422: {"description": f"Not {what} that can be read, or too large"}},
        description=f"{'Transcribe' if transcribed else 'Classify'} one file: {what} in the "
        f"multipart field ``file``, decoded as in training. {answer}",
    )
    async def predict(request: Request) -> Response:
        async with request.form() as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise HTTPException(422, f"multipart body: expected {what} in the field 'file'")
            content = await upload.read()
            filename = upload.filename or ""
        pixels = decoded_upload(service, filename, content)
        columns = await run_in_threadpool(service.predict_arrays, pixels)
        # a transcript is no class: counted as one label, as regression values are
        metrics.count_predictions(columns.get("prediction") or ["transcript"])
        payload = {
            "model": {"name": info.name, "version": info.version},
            "predictions": as_records(columns),
        }
        return Response(orjson.dumps(payload), media_type="application/json")
