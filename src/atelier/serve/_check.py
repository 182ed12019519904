"""``atelier serve --check``: the documented request, answered by a real server on 127.0.0.1."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from atelier._artifacts import champion_result, write_check
from atelier._naming import quote_identifier
from atelier._project import Project
from atelier.serve._app import create_app
from atelier.serve._service import ModelService

CHECK_TIMEOUT_S = 120
THROUGHPUT_REQUESTS = 50


@contextmanager
def _serving(app) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free port of 127.0.0.1 for the ``with`` block."""
    import uvicorn

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the API server stopped while starting")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join()
        listener.close()


def check_api(project: Project) -> dict:
    """Ask the API for its health, its schema and the example its docs show; record it.

    The outcome goes to ``.atelier/artifacts/checks/api.json`` with the hash of the
    model it answered with, so that the dossier credits the API only for that model.

    Returns
    -------
    dict
        ``passed``, ``model_sha256``, the ``steps`` with their status codes, and
        ``problem`` (None when passed).
    """
    import httpx

    service = ModelService.from_project(project)  # says so when nothing was trained
    service.compile_boosters()  # the model as `atelier serve` serves it
    trained = champion_result(project.artifacts_dir)  # the model being served
    steps, problem = [], None
    with (
        _serving(create_app(service)) as url,
        httpx.Client(base_url=url, timeout=CHECK_TIMEOUT_S) as client,
    ):
        for route in ("/health", "/docs"):
            steps.append({"request": f"GET {route}", "status": client.get(route).status_code})
        document = client.get("/openapi.json")
        steps.append({"request": "GET /openapi.json", "status": document.status_code})
        if service.media_input is not None:
            problem = _file_requests(project, client, steps, service.media_input["kind"])
        else:
            body = document.json()["paths"]["/v1/predict"]["post"]["requestBody"]
            example = body["content"]["application/json"]["example"]
            answer = client.post("/v1/predict", json=example)
            steps.append(
                {
                    "request": "POST /v1/predict (the documented example)",
                    "status": answer.status_code,
                }
            )
            if any(step["status"] != 200 for step in steps):
                problem = _failed(steps)
            elif len(answer.json()["predictions"]) != len(example["records"]):
                problem = "the API did not answer every record of the example"
        throughput = None if problem else _throughput(project, client, service)
    outcome = {
        "passed": problem is None,
        "model_sha256": trained["model_sha256"],
        "model_version": service.info.version,
        "steps": steps,
        "problem": problem,
        "throughput": throughput,
    }
    write_check(project.artifacts_dir, "api", outcome)
    return outcome


def _throughput(project: Project, client, service: ModelService) -> dict:
    """Requests answered per second, one after the other, by one client on this machine.

    A measurement for the resources' table (a floor: a server with more workers, or a
    client that sends requests side by side, gets more), not a check that can fail.
    """
    if service.media_input is not None:
        content = _readable_file(project)
        name = "upload.wav" if service.media_input["kind"] == "audio" else "upload.png"

        def send():
            return client.post("/v1/predict", files={"file": (name, content)})
    else:
        body = client.get("/openapi.json").json()["paths"]["/v1/predict"]["post"]["requestBody"]
        example = body["content"]["application/json"]["example"]

        def send():
            return client.post("/v1/predict", json=example)

    send()  # the first request warms the model up
    started = time.perf_counter()
    for _ in range(THROUGHPUT_REQUESTS):
        send()
    seconds = time.perf_counter() - started
    return {
        "requests": THROUGHPUT_REQUESTS,
        "seconds": round(seconds, 4),
        "requests_per_second": round(THROUGHPUT_REQUESTS / seconds, 1),
    }


def _readable_file(project: Project) -> bytes:
    """The content of the first file of the project's images or recordings that decodes."""
    from atelier.media import media_items

    source = project.charter.mart.base
    with project.connect() as connection:
        item = connection.execute(
            f"SELECT item FROM raw.{quote_identifier(source)} WHERE problem IS NULL "
            "ORDER BY item LIMIT 1"
        ).fetchone()[0]
    return media_items(project, source).content(item)


def _failed(steps: list[dict]) -> str:
    return "; ".join(f"{s['request']}: {s['status']}" for s in steps if s["status"] != 200)


def _file_requests(project: Project, client, steps: list[dict], kind: str) -> str | None:
    """Upload one of the project's readable files, then a file that is none."""
    content = _readable_file(project)
    name, mime = ("upload.wav", "audio/wav") if kind == "audio" else ("upload.png", "image/png")
    answer = client.post("/v1/predict", files={"file": (name, content, mime)})
    steps.append(
        {
            "request": f"POST /v1/predict (a file of the source: {kind})",
            "status": answer.status_code,
        }
    )
    refused = client.post("/v1/predict", files={"file": (name, b"no such content", mime)})
    steps.append(
        {"request": f"POST /v1/predict (a file that is no {kind})", "status": refused.status_code}
    )
    if steps[-2]["status"] != 200 or any(s["status"] != 200 for s in steps[:-2]):
        return _failed(steps[:-1])
    if refused.status_code != 422:
        return f"a file that is no {kind} got {refused.status_code}, not 422"
    first = answer.json()["predictions"][0]
    if "transcript" in first:
        return None if isinstance(first["transcript"], str) else "the transcript is no text"
    if str(first["prediction"]) not in first["probability"]:
        return "the API's answer names no class it gave a probability to"
    return None
