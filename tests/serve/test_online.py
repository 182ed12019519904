"""The online store against the real Redis on 127.0.0.1: features by key, cache, log."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest
import redis

from atelier import Project
from atelier.demo._run import plans_api
from atelier.exceptions import EngineError
from atelier.online import OnlineStore, entity_key
from atelier.privacy._forget import forget
from atelier.serve import ModelService, create_app
from atelier.serve._publish import publish_features
from atelier.warehouse import ingest
from tests.conftest import free_port, wait_until_serving
from tests.serve.conftest import running

pytestmark = pytest.mark.slow
REDIS = "redis://127.0.0.1:6379/7"
DOWN = "redis://127.0.0.1:1/0"


@pytest.fixture
def project(demo_project, tmp_path):
    """A copy of the trained demo whose charter names the online store; Redis emptied."""
    root = tmp_path / "churn"
    shutil.copytree(demo_project.root, root, ignore=shutil.ignore_patterns("report"))
    with (root / "atelier.yaml").open("a") as charter:
        charter.write(f"\nonline:\n  url: {REDIS}\n  ttl_s: 60\n")
    redis.Redis.from_url(REDIS).flushdb()
    return Project.load(root)


@pytest.fixture
def published(project):
    service = ModelService.from_project(project)
    store = OnlineStore(REDIS, project.charter.project.name, ttl_s=60)
    count = publish_features(project, service, store)
    return service, store, count


def ingested(project):
    """``atelier ingest``, with the demo's plans API serving its source meanwhile."""
    with plans_api(project.root, 0):
        return ingest(project)


def wait_for(condition, thread, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        assert thread.is_alive() and time.monotonic() < deadline
        time.sleep(0.05)


def mart_rows(project, limit):
    key = entity_key(project.charter)
    with project.connect() as connection:
        return key, connection.execute(
            f"SELECT * FROM mart.{project.charter.mart.table} ORDER BY {key} LIMIT {limit}"
        ).df()


def test_a_key_alone_scores_as_its_whole_record(project, published):
    service, store, count = published
    key, frame = mart_rows(project, 5)
    assert (
        count
        == project.warehouse.execute(
            f"SELECT count(*) FROM mart.{project.charter.mart.table}"
        ).fetchone()[0]
    )
    inputs = frame[service.request.columns]
    expected = service.predict_records(service.request.parse_frame(inputs))
    app = create_app(service, online=(store, key))
    with running(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        body = {"records": [{key: value} for value in frame[key]]}
        first = client.post("/v1/predict/online", json=body).json()
        again = client.post("/v1/predict/online", json=body).json()
        override = client.post(
            "/v1/predict/online", json={"records": [{key: frame[key][0], "tenure": 1}]}
        ).json()
        missing = client.post("/v1/predict/online", json={"records": [{"tenure": 3}]})
        # the first record is served from the cache; the error still names the second
        wrong = client.post(
            "/v1/predict/online",
            json={"records": [{key: frame[key][0]}, {key: frame[key][1], "tenure": -5000}]},
        )
        paths = client.get("/openapi.json").json()["paths"]
    assert first["online"] == {"features": "redis", "logged": True}
    for answer, wanted, value in zip(first["predictions"], expected, frame[key], strict=True):
        assert answer[key] == value and not answer["cached"]
        assert {k: answer[k] for k in wanted} == wanted
    assert all(answer["cached"] for answer in again["predictions"])
    assert override["predictions"][0]["cached"] is False  # other values, another prediction
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["msg"].startswith(f"record 0, field {key!r}: required")
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["msg"].startswith("record 1, field 'tenure'")
    assert "/v1/predict/online" in paths
    assert redis.Redis.from_url(REDIS).xlen(store.stream) == 11


def test_ingest_drains_the_log_once(project, published):
    service, store, _ = published
    key, frame = mart_rows(project, 3)
    app = create_app(service, online=(store, key))
    with running(app) as url:
        answer = httpx.post(
            f"{url}/v1/predict/online", json={"records": [{key: v} for v in frame[key]]}
        ).json()
    result = ingested(project)
    assert result.online == {"store": REDIS, "drained": 3}
    assert ingested(project).online["drained"] == 0
    with project.connect() as connection:
        rows = connection.execute(
            "SELECT request_id, key, probability, decision, model_version "
            "FROM monitoring.predictions ORDER BY key"
        ).fetchall()
    assert [row[1] for row in rows] == sorted(frame[key])
    assert {row[0] for row in rows} == {answer["request_id"]}
    assert all(row[4] == service.info.version and 0 <= row[2] <= 1 for row in rows)
    project.close()
    outcome = forget(project, key, str(frame[key][0]))
    assert outcome.rows_removed["monitoring.predictions"] == 1


def test_without_redis_the_api_scores_the_records_own_values(project):
    service = ModelService.from_project(project)
    key, frame = mart_rows(project, 1)
    record = {key: frame[key][0], **frame[service.request.columns].iloc[0].to_dict()}
    store = OnlineStore(DOWN, project.charter.project.name)
    with running(create_app(service, online=(store, key))) as url:
        answer = httpx.post(f"{url}/v1/predict/online", json={"records": [record]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["online"]["features"] == "request"
    assert "Redis did not answer" in answer.json()["online"]["note"]
    with pytest.raises(EngineError, match=r"^online store redis://127.0.0.1:1/0: Redis does not"):
        publish_features(project, service, store)


@pytest.mark.usefixtures("published")
def test_no_logged_prediction_is_lost_when_the_server_is_killed(project):
    """Requests keep coming while the server is killed (SIGKILL) and started again."""
    key, frame = mart_rows(project, 50)
    answered, stop = [], threading.Event()
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def start():
        process = subprocess.Popen(
            [sys.executable, "-m", "atelier", "serve", "-p", str(project.root),
             "--port", str(port)],
            env=os.environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until_serving(f"{url}/health", process, process.stdout, 90)
        return process

    def client():
        index = 0
        with httpx.Client(base_url=url, timeout=5) as http:
            while not stop.is_set():
                body = {"records": [{key: frame[key][index % len(frame)]}]}
                index += 1
                try:
                    reply = http.post("/v1/predict/online", json=body)
                except httpx.TransportError:
                    continue  # the server is down: this request was not answered
                if reply.status_code == 200:
                    answered.append(reply.json()["request_id"])

    process = start()
    thread = threading.Thread(target=client)
    thread.start()
    try:
        wait_for(lambda: len(answered) >= 20, thread)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=10)  # reaps it and closes its pipe
        before = len(answered)
        process = start()
        wait_for(lambda: len(answered) >= before + 20, thread)
    finally:
        stop.set()
        thread.join(30)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    result = ingested(project)
    with project.connect() as connection:
        drained = [row[0] for row in connection.execute(
            "SELECT request_id FROM monitoring.predictions"
        ).fetchall()]  # fmt: skip
    assert result.online["drained"] == len(drained)
    assert set(answered) <= set(drained)
    assert len(drained) == len(set(drained))
