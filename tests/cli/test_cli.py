"""The command line as a user runs it: a real process, its exit code and its stderr."""

import json
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import write_charter


def atelier(*arguments: str, cwd=None, timeout: float = 240) -> subprocess.CompletedProcess:
    # a safety net against a hung command, not a speed check: generous on a busy machine
    return subprocess.run(
        [sys.executable, "-m", "atelier", *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


def assert_one_line_error(process: subprocess.CompletedProcess, pattern: str) -> None:
    assert process.returncode == 1, process.stderr
    assert "Traceback" not in process.stderr
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1, process.stderr
    assert re.search(pattern, lines[0]), lines[0]


def test_help_lists_the_commands():
    process = atelier("--help")
    assert process.returncode == 0
    for command in (
        "init",
        "ingest",
        "profile",
        "clean",
        "explore",
        "train",
        "run",
        "report",
        "demo",
        "plan",
        "slides",
    ):
        assert command in process.stdout


def test_init_then_ingest_names_the_first_missing_file(tmp_path):
    created = atelier("init", str(tmp_path / "p"))
    assert created.returncode == 0 and "atelier.yaml" in created.stdout
    assert_one_line_error(
        atelier("ingest", "-p", str(tmp_path / "p")),
        r"^atelier: error: source 'customers': file not found: .*customers\.csv$",
    )
    assert_one_line_error(atelier("init", str(tmp_path / "p")), r"already exists")


def test_train_before_profile_says_what_to_run(tmp_path):
    write_charter(tmp_path, {"t": {"kind": "csv", "path": "t.csv"}})
    (tmp_path / "t.csv").write_text("x,y\n1,a\n2,b\n")
    assert atelier("ingest", "-p", str(tmp_path)).returncode == 0
    assert_one_line_error(atelier("train", "-p", str(tmp_path)), r"run `atelier profile")
    assert_one_line_error(
        atelier("deep", "-p", str(tmp_path)),
        r"no classical model to compare with; run `atelier train",
    )
    assert_one_line_error(
        atelier("deep", "-p", str(tmp_path), "--budget", "0"), r"--budget: expected a positive"
    )


def test_ingest_without_a_charter(tmp_path):
    assert_one_line_error(
        atelier("ingest", "-p", str(tmp_path)), r"no charter here; create one with `atelier init"
    )


def test_ingest_with_a_wrong_field(tmp_path):
    write_charter(tmp_path, {"a": {"kind": "csv", "path": "a.csv", "delimiter": 3}})
    assert_one_line_error(
        atelier("ingest", "-p", str(tmp_path)),
        r"atelier\.yaml: sources\.a\.delimiter: Input should be a valid string; got 3",
    )


def test_ingest_reports_loaded_and_unchanged_sources(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps([{"id": 1}, {"id": 2}]))
    write_charter(tmp_path, {"a": {"kind": "json", "path": "a.json"}})
    first = atelier("ingest", "-p", str(tmp_path))
    assert first.returncode == 0, first.stderr
    status_cell = re.compile(r"│\s*(loaded|unchanged)\s*│")
    assert status_cell.findall(first.stdout) == ["loaded"]
    assert "warehouse.duckdb" in first.stdout and "schema.png" in first.stdout
    second = atelier("ingest", "-p", str(tmp_path))
    assert status_cell.findall(second.stdout) == ["unchanged"]


def test_schema_change_flag_is_offered_and_works(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps([{"id": 1}]))
    write_charter(tmp_path, {"a": {"kind": "json", "path": "a.json"}})
    assert atelier("ingest", "-p", str(tmp_path)).returncode == 0
    (tmp_path / "a.json").write_text(json.dumps([{"id": 1, "extra": "x"}]))
    assert_one_line_error(atelier("ingest", "-p", str(tmp_path)), r"column 'extra' added")
    accepted = atelier("ingest", "-p", str(tmp_path), "--allow-schema-change")
    assert accepted.returncode == 0, accepted.stderr


@pytest.mark.slow
def test_demo_prints_where_the_warehouse_and_diagram_are(demo_run, tmp_path):
    # the session's demo is `atelier demo` run in a real process (tests/conftest.py)
    root, printed = demo_run.project.root, demo_run.stdout
    assert "mart.customers (7,068 rows" in printed
    for shown in ("warehouse.duckdb", "schema.png", "Leaderboard", "as @champion", "network"):
        assert shown in printed
    assert re.search(r"At a threshold of 0\.\d\d the model finds \d+% of", printed)
    assert (root / ".atelier" / "artifacts" / "ingest" / "schema.png").is_file()
    *_, dossier_line, next_line = printed.strip().splitlines()
    assert dossier_line == f"dossier: {root / 'report' / 'index.html'}"
    assert next_line.startswith(f"next: atelier serve -p {root} (the API)")
    copy = shutil.copytree(root, tmp_path / "demo")  # the session's dossier stays in English
    french = atelier("report", "-p", str(copy), "--lang", "fr")
    assert french.returncode == 0, french.stderr
    assert "Pour les décideurs" in (copy / "report" / "index.html").read_text()
    refused = atelier("train", "-p", str(copy), "--budget", "-1")
    assert_one_line_error(refused, r"--budget: expected a positive number of seconds")


@pytest.mark.parametrize(
    "arguments", [["--engine", "oracle"], ["--engine", "spark", "--case", "images"]]
)
def test_demo_refuses_an_engine_it_cannot_run(tmp_path, arguments):
    process = atelier("demo", str(tmp_path / "demo"), *arguments)
    assert process.returncode == 2 and "Traceback" not in process.stderr
    assert process.stderr.strip().splitlines() == [
        f"--engine: expected duckdb, or spark for the churn case; got {arguments[1]!r}"
    ]
    assert not (tmp_path / "demo").exists()
