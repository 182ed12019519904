import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import joblib
import pytest
import uvicorn

from atelier.serve import ModelService, create_app
from tests.conftest import free_port

API_KEY = "test-key-8f2c"


def champion_folder(artifacts_dir: Path) -> Path:
    """The artifacts folder of the served model: deep's when the network won, else train's."""
    deep = artifacts_dir / "deep" / "result.json"
    if deep.exists() and json.loads(deep.read_text()).get("champion"):
        return artifacts_dir / "deep"
    return artifacts_dir / "learn"


def champion_model(artifacts_dir: Path):
    """The served model as its stage saved it, after checking the file's hash."""
    folder = champion_folder(artifacts_dir)
    result = json.loads((folder / "result.json").read_text())
    path = folder / result["model_file"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == result["model_sha256"]
    return joblib.load(path)


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
    """The demo's champion as `atelier serve` loads it: its boosters compiled."""
    service = ModelService.from_project(demo_project)
    service.compile_boosters()
    return service


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
