"""The deployment kit of the trained demo, checked by the real hadolint and Kubernetes schemas."""

import json
import shutil

import pytest
import yaml
from typer.testing import CliRunner

from atelier import Project
from atelier.cli import app
from atelier.deploy import deploy
from atelier.deploy._kit import _hadolint, _schema_check

pytestmark = pytest.mark.slow


@pytest.fixture
def project(demo_project, tmp_path):
    root = tmp_path / "churn"
    shutil.copytree(demo_project.root, root, ignore=shutil.ignore_patterns("report", "deploy"))
    return Project.load(root)


def test_the_kit_is_sized_from_measurements_and_passes_its_validators(project):
    result = deploy(project)
    assert result.valid, result.validation
    assert {check["tool"] for check in result.validation} == {
        "hadolint", "kubectl kustomize", "kubernetes-validate",
    }  # fmt: skip
    kinds = {
        c["file"].split(":")[-1] for c in result.validation if c["tool"] == "kubernetes-validate"
    }
    assert kinds == {"Deployment", "Service", "HorizontalPodAutoscaler", "Secret", "Job"}
    # memory: the measured peak with headroom; pods: the expected load at the measured rate
    measured = result.measured
    assert result.sizing["memory_mi"] >= measured["peak_rss_mb"] * 1.5
    expected = project.charter.project.expected_load
    assert result.sizing["replicas"] * measured["requests_per_second"] >= expected
    root = project.root / "deploy"
    deployment = yaml.safe_load((root / "kubernetes" / "deployment.yaml").read_text())
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    assert container["resources"]["requests"]["memory"] == f"{result.sizing['memory_mi']}Mi"
    secret = yaml.safe_load((root / "kubernetes" / "secret.yaml").read_text())
    assert secret["stringData"] == {"ATELIER_API_KEYS": ""}  # never a key in a file
    dockerfile = (root / "Dockerfile").read_text()
    assert "USER 10001" in dockerfile and "ATELIER_API_KEYS=" not in dockerfile
    assert "data/" in (root / "Dockerfile.dockerignore").read_text()
    record = json.loads((project.artifacts_dir / "checks" / "deploy.json").read_text())
    assert record["valid"] and record["model_sha256"]


def test_a_faulty_dockerfile_or_manifest_fails_its_validator(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\nCMD python -m http.server\n")
    linted = _hadolint(bad)
    assert linted["passed"] is False
    assert any("DL3007" in line for line in linted["problems"])  # the latest tag
    wrong = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"replicas": "two", "selector": {}, "template": {}},
    }
    checked = _schema_check(wrong, "deploy/kubernetes")
    assert checked["passed"] is False and checked["problems"]


def test_the_deploy_command(project, monkeypatch):
    done = CliRunner().invoke(app, ["deploy", "-p", str(project.root), "--target", "docker"])
    assert done.exit_code == 0, done.output
    assert "hadolint: deploy/Dockerfile: passed" in done.output
    assert not (project.root / "deploy" / "kubernetes").exists()
    wrong = CliRunner().invoke(app, ["deploy", "-p", str(project.root), "--target", "helm"])
    assert wrong.exit_code == 1 and "--target: expected docker or kubernetes" in wrong.output
    linted = {
        "tool": "hadolint",
        "file": "deploy/Dockerfile",
        "passed": False,
        "problems": ["DL3007"],
    }
    monkeypatch.setattr("atelier.deploy._kit._hadolint", lambda path: linted)
    failed = CliRunner().invoke(app, ["deploy", "-p", str(project.root), "--target", "docker"])
    assert failed.exit_code == 1 and "hadolint: deploy/Dockerfile: FAILED" in failed.output
