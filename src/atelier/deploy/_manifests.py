"""The files of the deployment kit: a Dockerfile and Kubernetes manifests, as text."""

import math

import yaml

API_PORT = 8000
MIN_REPLICAS = 2  # one pod may restart while the other answers
CPU_TARGET = 70  # the autoscaler adds pods above this share of the CPU requested
MEMORY_HEADROOM = 1.5  # the memory request over the measured peak
_MI = 64  # requests are rounded up to this many MiB
SCORE_COMMAND = "atelier score -p . --engine spark --input /data/input --output /data/scores"


class _PlainDumper(yaml.SafeDumper):
    """YAML as a person writes it: a value repeated is written again, not aliased."""

    def ignore_aliases(self, data) -> bool:
        return True


def _dump(body: dict, **options) -> str:
    return yaml.dump(body, Dumper=_PlainDumper, **options)


def dockerfile(name: str, version: int, project_path: str) -> str:
    """The API's image: atelier from a wheel, the project's registry and serving files."""
    return f"""\
# The API of {name}, model version {version}, written by `atelier deploy`.
# Build it from the project folder, after putting atelier's wheel in deploy/wheels
# (pip wheel --no-deps -w deploy/wheels <atelier's source folder>):
#   docker build -f deploy/Dockerfile -t {name}-api:{version} .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    PIP_NO_CACHE_DIR=1 \\
    PIP_DISABLE_PIP_VERSION_CHECK=1

COPY deploy/wheels/ /tmp/wheels/
RUN pip install /tmp/wheels/*.whl && rm -rf /tmp/wheels \\
    && useradd --create-home --uid 10001 atelier

# MLflow's registry records its artifacts' absolute paths: the project keeps its own.
WORKDIR {project_path}
COPY --chown=10001:10001 atelier.yaml ./
COPY --chown=10001:10001 .atelier/mlflow.db .atelier/mlflow.db
COPY --chown=10001:10001 .atelier/mlruns .atelier/mlruns
COPY --chown=10001:10001 .atelier/artifacts .atelier/artifacts

USER 10001
EXPOSE {API_PORT}
HEALTHCHECK --interval=30s --timeout=5s \\
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:{API_PORT}/health')"]
# ATELIER_API_KEYS comes from the environment (a Kubernetes Secret): never in the image.
CMD ["atelier", "serve", "-p", ".", "--host", "0.0.0.0", "--port", "{API_PORT}"]
"""


def dockerignore() -> str:
    """What the image never holds: the raw data, the warehouse, the lake, the dossier."""
    return "\n".join(
        [
            "# Only the serving files go into the image (see the Dockerfile's COPY lines).",
            "data/",
            "report/",
            ".atelier/warehouse.duckdb*",
            ".atelier/lake/",
            ".atelier/tmp/",
            "**/*.env",
            "",
        ]
    )


def memory_mi(peak_mb: float) -> int:
    """The memory a pod requests: the measured peak with headroom, in whole 64 MiB.

    >>> memory_mi(300)
    512
    """
    return int(math.ceil(peak_mb * MEMORY_HEADROOM / _MI) * _MI)


def replicas_for(expected_rps: float | None, pod_rps: float) -> int:
    """Pods the expected load needs at the measured throughput of one, at least two.

    >>> replicas_for(20, 6.5)
    4
    """
    if not expected_rps or pod_rps <= 0:
        return MIN_REPLICAS
    return max(MIN_REPLICAS, math.ceil(expected_rps / pod_rps))


def kubernetes(name: str, version: int, *, memory: int, replicas: int) -> dict[str, str]:
    """The manifests of the API, by file name: Deployment, Service, autoscaler, Secret."""
    app = f"{name}-api"
    labels = {"app.kubernetes.io/name": app, "app.kubernetes.io/version": str(version)}
    probe = {"httpGet": {"path": "/health", "port": API_PORT}, "periodSeconds": 10}
    container = {
        "name": "api",
        "image": f"{app}:{version}",
        "ports": [{"containerPort": API_PORT, "name": "http"}],
        "envFrom": [{"secretRef": {"name": f"{app}-keys"}}],
        "readinessProbe": probe | {"initialDelaySeconds": 5},
        "livenessProbe": probe | {"initialDelaySeconds": 30},
        "resources": {
            "requests": {"cpu": "500m", "memory": f"{memory}Mi"},
            "limits": {"cpu": "1", "memory": f"{memory * 2}Mi"},
        },
        "securityContext": {
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": False,  # MLflow writes a lock beside its database
        },
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": app, "labels": labels},
        "spec": {
            "replicas": MIN_REPLICAS,
            "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": app, "labels": labels},
        "spec": {
            "selector": {"app.kubernetes.io/name": app},
            "ports": [{"name": "http", "port": 80, "targetPort": API_PORT}],
        },
    }
    autoscaler = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": app, "labels": labels},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app},
            "minReplicas": MIN_REPLICAS,
            "maxReplicas": max(replicas, MIN_REPLICAS + 1),
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": CPU_TARGET},
                    },
                }
            ],
        },
    }
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": f"{app}-keys", "labels": labels},
        "type": "Opaque",
        # Empty on purpose: the API refuses to start without a key. Fill it from your
        # secret manager, e.g. kubectl create secret generic NAME --from-literal=...
        "stringData": {"ATELIER_API_KEYS": ""},
    }
    manifests = {
        "deployment.yaml": deployment,
        "service.yaml": service,
        "hpa.yaml": autoscaler,
        "secret.yaml": secret,
    }
    texts = {file: _dump(body, sort_keys=False) for file, body in manifests.items()}
    texts["kustomization.yaml"] = _dump(
        {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": list(manifests),
        },
        sort_keys=False,
    )
    return texts


def spark_job(name: str, version: int, *, memory: int) -> str:
    """A Kubernetes Job scoring a folder with Spark: ``atelier score --engine spark``."""
    app = f"{name}-api"
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": f"{name}-score",
            "labels": {"app.kubernetes.io/name": f"{name}-score"},
        },
        "spec": {
            "backoffLimit": 1,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "score",
                            # the API's image, with Java added for Spark's driver
                            "image": f"{app}:{version}",
                            "command": SCORE_COMMAND.split(),
                            "resources": {
                                "requests": {"cpu": "2", "memory": f"{max(memory, 2048)}Mi"},
                                "limits": {"cpu": "2", "memory": f"{max(memory, 2048) * 2}Mi"},
                            },
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        }
                    ],
                    "volumes": [
                        {"name": "data", "persistentVolumeClaim": {"claimName": f"{name}-data"}}
                    ],
                }
            },
        },
    }
    return _dump(job, sort_keys=False)
