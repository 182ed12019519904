import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from atelier.serve import ModelService, create_app
from tests.conftest import free_port

API_KEY = "test-key-8f2c"


@contextmanager
def running(app) -> Iterator[str]:
    """A real uvicorn server on 127.0.0.1 (a free port), in a thread; yields its URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="session")
def service(demo_project) -> ModelService:
    return ModelService.from_project(demo_project)


@pytest.fixture(scope="session")
def api(service) -> Iterator[httpx.Client]:
    """The demo's champion behind a real server that needs an API key."""
    app = create_app(service, api_keys=(API_KEY, "second-key"), max_body_bytes=8 * 1024 * 1024)
    with (
        running(app) as url,
        httpx.Client(base_url=url, headers={"X-API-Key": API_KEY}, timeout=60) as client,
    ):
        yield client


@pytest.fixture(scope="session")
def example(api) -> dict:
    """The request body /docs shows for /v1/predict."""
    spec = api.get("/openapi.json").json()
    body = spec["paths"]["/v1/predict"]["post"]["requestBody"]["content"]["application/json"]
    return body["example"]
