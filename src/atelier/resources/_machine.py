"""What this machine has: cores, memory, disk, GPU, Java, the services the charter names."""

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from atelier._footprint import machine_memory_bytes

SERVICE_TIMEOUT_S = 1.0
DEFAULT_PORTS = {"postgres": 5432, "postgresql": 5432, "mysql": 3306, "mariadb": 3306}
LIBRARIES = ("duckdb", "pandas", "scikit-learn", "lightgbm", "optuna", "mlflow", "torch")
LIBRARIES += ("onnxruntime", "fastapi", "streamlit", "pyspark", "redis")


def machine(root: Path) -> dict:
    """The machine's facts.

    Returns
    -------
    dict
        ``cores``, ``memory_gb``, ``disk_free_gb`` (where ``root`` is), ``gpu`` (name
        and memory, or None), ``java`` (its version, or None), ``libraries``.
    """
    disk = shutil.disk_usage(root)
    return {
        "cores": os.cpu_count() or 1,
        "memory_gb": round(machine_memory_bytes() / 2**30, 1),
        "disk_free_gb": round(disk.free / 2**30, 1),
        "gpu": _gpu(),
        "java": _java(),
        "libraries": _libraries(),
    }


def services(charter) -> list[dict]:
    """Each server a source of the charter names, and whether it answers on its port."""
    found = []
    for name, spec in charter.sources.items():
        address = getattr(spec, "url", None)  # SQL databases and HTTP APIs
        if not address or "://" not in str(address):
            continue
        parts = urlsplit(str(address).replace("${", "").replace("}", ""))
        scheme = parts.scheme.split("+")[0]
        try:
            port = parts.port or DEFAULT_PORTS.get(scheme) or (443 if scheme == "https" else 80)
        except ValueError:  # a port written as a ${VARIABLE}
            port = DEFAULT_PORTS.get(scheme, 80)
        host = parts.hostname or "localhost"
        found.append(
            {
                "source": name,
                "kind": spec.kind,
                "host": host,
                "port": port,
                "reachable": _answers(host, port),
            }
        )
    return found


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=SERVICE_TIMEOUT_S):
            return True
    except OSError:
        return False


def _gpu() -> dict | None:
    """The first NVIDIA GPU from ``nvidia-smi``, or None when there is none."""
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        answer = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    first = answer.stdout.strip().splitlines()[:1]
    if not first:
        return None
    name, memory = (part.strip() for part in first[0].split(","))
    return {"name": name, "memory_gb": round(float(memory) / 1024, 1)}


def _java() -> str | None:
    if shutil.which("java") is None:
        return None
    try:
        answer = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=20)
    except (subprocess.SubprocessError, OSError):
        return None
    found = re.search(r'version "([^"]+)"', answer.stderr + answer.stdout)
    return found.group(1) if found else None


def _libraries() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions
