"""What the machine has, against what a real run's stages measured they used."""

import os

import pytest

from atelier import Project
from atelier.resources import resources, services
from tests.conftest import credit_holders, write_charter


@pytest.mark.slow
def test_the_needs_are_the_stages_own_measurements(tmp_path, monkeypatch):
    import atelier.explore._stage
    from atelier.runner import run

    project = credit_holders(tmp_path)

    def interrupted(folder, **_):
        raise KeyboardInterrupt

    monkeypatch.setattr(atelier.explore._stage, "write_result", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(project, report=False)  # ingest, privacy, profile and clean complete
    result = resources(Project.load(tmp_path))
    assert [row["stage"] for row in result.stages] == ["ingest", "privacy", "profile", "clean"]
    assert all(row["peak_rss_mb"] > 50 and row["cpu_s"] >= 0 for row in result.stages)
    needs = {row["need"]: row for row in result.needs}
    heaviest = max(result.stages, key=lambda row: row["peak_rss_mb"])
    assert heaviest["stage"] in needs["memory"]["measured"] and needs["memory"]["enough"]
    assert {"memory", "cpu", "disk"} <= set(needs)
    assert result.machine["cores"] == os.cpu_count() and result.machine["memory_gb"] > 1


def test_a_named_server_is_tried_on_its_port(tmp_path):
    import socket

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    try:
        sources = {
            "up": {"kind": "sql", "url": f"postgresql://u@127.0.0.1:{listening.getsockname()[1]}/db",
                   "table": "t"},
            "down": {"kind": "sql", "url": f"mysql+pymysql://u@127.0.0.1:{port}/db", "table": "t"},
            "file": {"kind": "csv", "path": "a.csv"},
        }  # fmt: skip
        write_charter(tmp_path, sources)
        found = {row["source"]: row for row in services(Project.load(tmp_path).charter)}
    finally:
        listening.close()
    assert set(found) == {"up", "down"}  # a file names no server
    assert found["up"]["reachable"] and not found["down"]["reachable"]
    assert found["down"]["port"] == port


@pytest.mark.parametrize(("expected", "enough"), [(40, True), (400, False), (None, True)])
def test_the_apis_measured_throughput_is_set_against_the_expected_load(tmp_path, expected, enough):
    import json

    from tests.conftest import MINIMAL_FRAMING

    framing = {**MINIMAL_FRAMING["project"], **({"expected_load": expected} if expected else {})}
    write_charter(tmp_path, {"a": {"kind": "csv", "path": "a.csv"}}, project=framing)
    project = Project.load(tmp_path)
    checks = project.artifacts_dir / "checks"
    checks.mkdir(parents=True)
    throughput = {"requests": 50, "seconds": 0.5, "requests_per_second": 100.0}
    (checks / "api.json").write_text(json.dumps({"passed": True, "throughput": throughput}))
    [serving] = [row for row in resources(project).needs if row["need"] == "serving"]
    assert serving["enough"] is enough and "100" in serving["available"]
    if not enough:
        assert "4 workers" in serving["advice"]  # 400 expected at 100 each
