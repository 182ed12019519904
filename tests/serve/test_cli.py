"""`atelier serve` as a user starts it: a real process, the README's example, Ctrl-C."""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, wait_until_serving
from tests.serve.conftest import champion_folder

pytestmark = pytest.mark.slow
README = Path(__file__).parents[2] / "README.md"


def readme_example() -> dict:
    text = README.read_text()
    block = re.search(r"<!-- serve-example -->\n```json\n(.*?)```", text, re.DOTALL)
    assert block, "the README's serve example is missing"
    return json.loads(block.group(1))


def atelier(*args, env=None, **kwargs):
    command = [sys.executable, "-m", "atelier", *args]
    return subprocess.Popen(command, env={**os.environ, **(env or {})}, **kwargs)


def test_serve_answers_the_readme_example_and_stops_on_ctrl_c(demo_project):
    port = free_port()
    process = atelier(
        "serve", "-p", str(demo_project.root), "--port", str(port),
        env={"ATELIER_API_KEYS": "k-one, k-two"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{url}/health", process, process.stdout, 90)
        answer = httpx.post(
            f"{url}/v1/predict", json=readme_example(), headers={"X-API-Key": "k-two"}
        )
        assert answer.status_code == 200, answer.text
        [prediction] = answer.json()["predictions"]
        assert prediction["decision"] in ("Yes", "No") and 0 <= prediction["probability"] <= 1
        assert httpx.post(f"{url}/v1/predict", json=readme_example()).status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output
    assert "POST /v1/predict 200" in output and "POST /v1/predict 401" in output
    assert "Electronic check" not in output, "the log holds no feature values"


def test_serve_refuses_to_listen_beyond_the_loopback_without_keys(demo_project):
    env = {k: v for k, v in os.environ.items() if k != "ATELIER_API_KEYS"}
    process = subprocess.run(
        [sys.executable, "-m", "atelier", "serve", "-p", str(demo_project.root),
         "--host", "0.0.0.0"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert process.returncode == 1
    assert process.stderr.strip().splitlines() == [
        "atelier: error: --host 0.0.0.0: the API would be reachable from other machines "
        "without a key; set ATELIER_API_KEYS (comma-separated keys) in the environment"
    ]


def test_serve_without_a_trained_model_says_what_to_run(make_project, tmp_path):
    project = make_project({"rows": {"kind": "csv", "path": "rows.csv"}})
    process = subprocess.run(
        [sys.executable, "-m", "atelier", "serve", "-p", str(project.root)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert process.returncode == 1
    assert process.stderr.strip() == (
        f"atelier: error: {project.root}: no model yet; run `atelier train` first"
    )


def test_serve_check_records_what_the_api_answered_for_this_model(demo_project, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    demo_project.close()
    shutil.copytree(demo_project.root, copy)
    record = copy / ".atelier" / "artifacts" / "checks" / "api.json"
    record.unlink()
    process = subprocess.run(
        [sys.executable, "-m", "atelier", "serve", "-p", str(copy), "--check"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    assert "API check passed" in process.stdout
    outcome = json.loads(record.read_text())
    champion = champion_folder(copy / ".atelier" / "artifacts")
    trained = json.loads((champion / "result.json").read_text())
    assert outcome["passed"] and outcome["model_sha256"] == trained["model_sha256"]
    assert [step["status"] for step in outcome["steps"]] == [200, 200, 200, 200]
    assert [step["request"].split()[1] for step in outcome["steps"]] == [
        "/health",
        "/docs",
        "/openapi.json",
        "/v1/predict",
    ]
    throughput = outcome["throughput"]  # measured for the resources' table, not judged
    assert throughput["requests"] == 50 and throughput["requests_per_second"] > 0


def test_serve_check_without_a_trained_model_says_what_to_run(make_project):
    project = make_project({"rows": {"kind": "csv", "path": "rows.csv"}})
    process = subprocess.run(
        [sys.executable, "-m", "atelier", "serve", "-p", str(project.root), "--check"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert process.returncode == 1
    assert process.stderr.strip().splitlines() == [
        f"atelier: error: {project.root}: no model yet; run `atelier train` first"
    ]
    assert not (project.artifacts_dir / "checks").exists()
