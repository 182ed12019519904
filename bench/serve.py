"""Serving: `atelier serve` against `mlflow models serve`, on the same registered model.

Both servers load the demo's champion (``models:/telco_churn@champion``): the train
stage's model, searched among LightGBM's configurations only, so that each run serves
the same kind of model (the alias is moved back to it when the deep stage's network
took it), from the project's MLflow registry, with the same number of uvicorn workers,
and are driven in turn by the same load generators on 127.0.0.1:

- throughput, closed loop: ``wrk`` (Debian's) with N connections for D seconds,
  single-record requests, then 1,000-record batches, then the columnar formats:
  1,000 rows as JSON columns and 10,000 rows as an Apache Arrow IPC stream for
  atelier, answered in JSON, then in Arrow (``Accept``), MLflow's columnar JSON
  (``dataframe_split``) with as many rows for MLflow (it reads no Arrow);
- latency at a fixed rate: an open-loop generator (``bench/_openloop.py``) sending
  single-record requests at 200 per second for D seconds; latency counts from the
  moment each request was due, so a server that falls behind is not flattered
  (no coordinated omission).

atelier's requests carry an API key and are validated against the training schema;
MLflow's are not. atelier answers the probability and the decision at the cost
threshold; MLflow the predicted class. atelier's server compiles the LightGBM trees
to C when it loads the model (see ``atelier.serve._compiled``); MLflow predicts with
LightGBM's own predictor. Peak memory is the sum of the servers'
processes' peak resident sets (``VmHWM``). Prints a Markdown table.

Usage::

    .venv/bin/python bench/serve.py [--project DIR] [--duration 10] [--workers 1 2]
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
KEY = "bench-key"
ARROW_STREAM = "application/vnd.apache.arrow.stream"
LUA = """
local f = io.open(os.getenv("BODY"), "rb"); wrk.body = f:read("*a"); f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = os.getenv("CONTENT_TYPE")
wrk.headers["X-API-Key"] = os.getenv("KEY")
if os.getenv("ACCEPT") ~= "" then wrk.headers["Accept"] = os.getenv("ACCEPT") end
"""


SERVED_FAMILIES = ["lightgbm"]
SIZES = ("single", "batch", "columns", "arrow", "arrow_out")
ROWS = {"single": 1, "batch": 1_000, "columns": 1_000, "arrow": 10_000, "arrow_out": 10_000}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_project(folder: Path) -> Path:
    from atelier.demo import run_demo

    # one booster, so that every run serves the same kind of model: the servers' costs,
    # not the search's pick of the day, are what this bench compares
    outcome = run_demo(
        folder / "churn", port=0, train_budget=60, families=SERVED_FAMILIES, ensemble=False
    )
    return outcome.project.root


def champion_is_the_booster(project: Path) -> str:
    """Point ``@champion`` at the train stage's LightGBM model; return what it was.

    The deep stage moves the alias to its network when the network scores better on
    the hold-out; a network is served through another path (ONNX) at another cost,
    and this bench compares the servers on the same booster from run to run.
    """
    from mlflow import MlflowClient

    registry = json.loads((project / ".atelier/artifacts/learn/result.json").read_text())
    registry = registry["registry"]
    client = MlflowClient(tracking_uri=registry["tracking_uri"])
    name = registry["registered_model"]
    before = client.get_model_version_by_alias(name, "champion").version
    client.set_registered_model_alias(name, "champion", registry["version"])
    return f"version {before} -> {registry['version']}"


def bodies(project: Path, folder: Path) -> dict:
    """Request bodies for both servers, by (server, size): a path and its content type.

    Sizes: ``single`` (one record), ``batch`` (1,000 records), ``columns`` (1,000
    rows column by column), ``arrow`` (10,000 rows: an Arrow stream for atelier,
    columnar JSON for MLflow) and ``arrow_out`` (the same, atelier asked for an Arrow
    answer). Each value is (path, content type, accept).
    """
    import duckdb
    import pyarrow as pa

    card = json.loads((project / ".atelier/artifacts/learn/input_schema.json").read_text())
    columns = [column["name"] for column in card["columns"]]
    with duckdb.connect(str(project / ".atelier/warehouse.duckdb"), read_only=True) as db:
        frame = db.execute("SELECT * FROM mart.customers_clean ORDER BY customer_id").df()
    frame = frame[columns]
    large = frame.sample(n=10_000, replace=len(frame) < 10_000, random_state=0)
    records = json.loads(frame.head(1_000).to_json(orient="records"))
    split = json.loads(frame.head(1_000).to_json(orient="split", index=False))
    large_split = json.loads(large.to_json(orient="split", index=False))
    sink = pa.BufferOutputStream()
    table = pa.Table.from_pandas(large.reset_index(drop=True), preserve_index=False)
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    json_bodies = {
        ("atelier", "single"): {"records": records[:1]},
        ("atelier", "batch"): {"records": records},
        ("atelier", "columns"): {
            "columns": {
                name: [row[i] for row in split["data"]] for i, name in enumerate(split["columns"])
            }
        },
        ("mlflow", "single"): {"dataframe_records": records[:1]},
        ("mlflow", "batch"): {"dataframe_records": records},
        ("mlflow", "columns"): {"dataframe_split": split},
        ("mlflow", "arrow"): {"dataframe_split": large_split},
    }
    paths = {}
    for (server, size), body in json_bodies.items():
        path = folder / f"{server}-{size}.json"
        path.write_text(json.dumps(body))
        paths[server, size] = (path, "application/json", "")
    arrow = folder / "atelier-arrow.arrows"
    arrow.write_bytes(sink.getvalue().to_pybytes())
    paths["atelier", "arrow"] = (arrow, ARROW_STREAM, "")
    paths["atelier", "arrow_out"] = (arrow, ARROW_STREAM, ARROW_STREAM)
    paths["mlflow", "arrow_out"] = paths["mlflow", "arrow"]
    return paths


def start(server: str, project: Path, port: int, workers: int) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "ATELIER_API_KEYS": KEY}
    if server == "atelier":
        command = [str(BIN / "atelier"), "serve", "-p", str(project), "--port", str(port)]
        command += ["--workers", str(workers)]
        path, health = "/v1/predict", "/health"
    else:
        env["MLFLOW_TRACKING_URI"] = f"sqlite:///{project / '.atelier/mlflow.db'}"
        command = [str(BIN / "mlflow"), "models", "serve", "-m", "models:/telco_churn@champion"]
        command += ["--env-manager", "local", "-p", str(port), "-w", str(workers)]
        path, health = "/invocations", "/ping"
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{server} did not start: {' '.join(command)}")
        try:
            if httpx.get(url + health).status_code == 200:
                return process, url + path
        except httpx.TransportError:
            time.sleep(0.5)


def peak_memory_mib(process: subprocess.Popen) -> float:
    """Sum of VmHWM over the server's process group (uvicorn's workers included)."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            if os.getpgid(int(status.parent.name)) != process.pid:
                continue
        except (OSError, ProcessLookupError):
            continue
        found = re.search(r"VmHWM:\s+(\d+) kB", text)
        total += int(found.group(1)) if found else 0
    return total / 1024


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wrk(url: str, body: tuple[Path, str], connections: int, duration: int, script: Path) -> dict:
    path, content_type, accept = body
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        env={**os.environ, "BODY": str(path), "CONTENT_TYPE": content_type, "KEY": KEY,
             "ACCEPT": accept},
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        "failed": int(failed.group(1)) if failed else 0,
    }


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def open_loop(url: str, body: tuple[Path, str], rate: int, duration: int) -> dict:
    output = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("_openloop.py")), url, str(body[0]),
         "--rate", str(rate), "--duration", str(duration), "--key", KEY],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a trained project (default: a new demo)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        project = args.project.resolve() if args.project else demo_project(folder)
        print(f"@champion: {champion_is_the_booster(project)}", file=sys.stderr)
        paths = bodies(project, folder)
        script = folder / "post.lua"  # body, content type and key from the environment
        script.write_text(LUA)
        rows = []
        for workers in args.workers:
            for server in ("atelier", "mlflow"):
                process, url = start(server, project, free_port(), workers)
                try:
                    for size in SIZES:  # every format answers before it is timed
                        path, content_type, accept = paths[server, size]
                        httpx.post(
                            url,
                            content=path.read_bytes(),
                            headers={
                                "content-type": content_type,
                                "accept": accept or "*/*",
                                "X-API-Key": KEY,
                            },
                            timeout=60,
                        ).raise_for_status()
                    single = wrk(
                        url, paths[server, "single"], args.connections, args.duration, script
                    )
                    batches = {
                        size: wrk(url, paths[server, size], 2 * workers, args.duration, script)
                        for size in SIZES[1:]
                    }
                    paced = open_loop(url, paths[server, "single"], args.rate, args.duration)
                    memory = peak_memory_mib(process)
                finally:
                    stop(process)
                if single["failed"] or any(b["failed"] for b in batches.values()):
                    print(f"warning: {server} answered errors under load", file=sys.stderr)
                rows.append((server, workers, single, batches, paced, memory))
                print(f"{server} x{workers}: {single} {batches} {paced}", file=sys.stderr)
    print(
        f"| server | workers | single: req/s ({args.connections} conn.) | p50 / p99 (ms) "
        f"| at {args.rate} req/s: p50 / p99 (ms), errors | 1,000 records: rows/s "
        "| 1,000 rows as columns: rows/s | 10,000 rows, Arrow (MLflow: columns): rows/s "
        "| the same, Arrow answer: rows/s | peak RSS (MiB) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for server, workers, single, batches, paced, memory in rows:
        rates = " | ".join(f"{batches[size]['rps'] * ROWS[size]:,.0f}" for size in SIZES[1:])
        print(
            f"| {server} | {workers} | {single['rps']:,.0f} "
            f"| {single['p50_ms']:.1f} / {single['p99_ms']:.1f} "
            f"| {paced['p50_ms']:.1f} / {paced['p99_ms']:.1f}, {paced['errors']} "
            f"| {rates} | {memory:,.0f} |"
        )
    for workers in args.workers:
        by = {r[0]: r for r in rows if r[1] == workers}
        ratios = ", ".join(
            f"{size} {by['atelier'][3][size]['rps'] / by['mlflow'][3][size]['rps']:.2f}x"
            for size in SIZES[1:]
        )
        single = by["atelier"][2]["rps"] / by["mlflow"][2]["rps"]
        print(f"\n{workers} worker(s): atelier/mlflow single {single:.2f}x, {ratios}")


if __name__ == "__main__":
    main()
