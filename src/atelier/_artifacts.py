"""Writing a stage's artifacts so that a half-written one never exists.

A stage writes into a fresh temporary folder beside its final place; only when
everything is written is the folder renamed into ``.atelier/artifacts/<stage>/``.
A crash or Ctrl-C before that leaves the previous artifacts untouched.
"""

import json
import os
import platform
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from atelier._version import __version__

RESULT_FILE = "result.json"
RUN_FILE = "run.json"  # in the state folder: what each stage of `atelier run` did
MANIFEST_FILE = "manifest.json"
# beside the train stage's model: what a request may hold, and what serving needs besides
SCHEMA_FILE = "input_schema.json"
CARD_FILE = "serving.json"
# `atelier serve --check` and `atelier dashboard --check` write what they saw here
CHECKS_DIR = "checks"
_TRACKED_LIBRARIES = ("duckdb", "pandas", "pyarrow", "numpy", "pydantic")


def library_versions() -> dict[str, str]:
    """Versions of Python, atelier and the libraries whose output ends up in artifacts."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version(), "atelier": __version__}
    for name in _TRACKED_LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    return versions


def to_jsonable(value: Any) -> Any:
    """Turn dataclasses, paths and datetimes into plain JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(asdict(value))
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@contextmanager
def staged_artifact_dir(artifacts_root: Path, stage: str) -> Iterator[Path]:
    """Yield an empty folder to write a stage's artifacts into, then publish it.

    On normal exit the folder replaces ``artifacts_root/stage`` in two renames; on
    an exception it is deleted and the previous artifacts stay as they were.
    """
    artifacts_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{stage}-", dir=artifacts_root))
    staging.chmod(0o755)  # mkdtemp makes it private; artifacts are meant to be shared
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    final = artifacts_root / stage
    retired = artifacts_root / f".{stage}-retired"
    shutil.rmtree(retired, ignore_errors=True)
    if final.exists():
        os.replace(final, retired)
    os.replace(staging, final)
    shutil.rmtree(retired, ignore_errors=True)


def write_result(
    folder: Path,
    *,
    stage: str,
    result: Any,
    started_at: datetime,
    inputs: Mapping[str, str] | None = None,
    parameters: Mapping[str, Any] | None = None,
    duration_s: float | None = None,
) -> None:
    """Write a stage's ``result.json`` and its ``manifest.json`` into ``folder``.

    Parameters
    ----------
    folder : Path
        The staged artifact folder of the stage.
    stage : str
        Name of the stage (``"ingest"``).
    result : dataclass or mapping
        What the stage computed; serialised as it is.
    started_at : datetime
        When the stage started (UTC).
    inputs : mapping of str to str, optional
        Each input's content hash, so that a later run can tell what changed; none
        for a stage that runs every time.
    parameters : mapping, optional
        The parameters the stage ran with.
    duration_s : float, optional
        How long it ran, in seconds; the result's own ``duration_s`` by default.
    """
    if duration_s is None:
        duration_s = result.duration_s
    manifest = {
        "stage": stage,
        "started_at": started_at.astimezone(UTC).isoformat(),
        "duration_s": round(duration_s, 3),
        "inputs": dict(inputs or {}),
        "parameters": to_jsonable(parameters or {}),
        "versions": library_versions(),
    }
    (folder / RESULT_FILE).write_text(json.dumps(to_jsonable(result), indent=2) + "\n")
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")


def write_check(artifacts_root: Path, name: str, outcome: Mapping[str, Any]) -> Path:
    """Record the outcome of a check (``api``, ``dashboard``) as ``checks/<name>.json``.

    Written beside its place and renamed in, so that a check is never half-recorded.
    """
    folder = artifacts_root / CHECKS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    record = {**to_jsonable(dict(outcome)), "checked_at": datetime.now(UTC).isoformat()}
    handle, temporary = tempfile.mkstemp(prefix=f".{name}-", dir=folder)
    with os.fdopen(handle, "w") as stream:
        json.dump(record, stream, indent=2)
    os.replace(temporary, folder / f"{name}.json")
    return folder / f"{name}.json"


def read_check(artifacts_root: Path, name: str) -> dict | None:
    """The outcome :func:`write_check` recorded as ``checks/<name>.json``, or None."""
    path = Path(artifacts_root) / CHECKS_DIR / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def champion_result(artifacts_root: Path) -> dict:
    """The result of the stage whose model is served.

    That is deep's network when it became the champion, otherwise train's model.

    Raises
    ------
    FileNotFoundError
        When nothing was trained.
    """
    deep = artifacts_root / "deep" / RESULT_FILE
    if deep.exists():
        result = json.loads(deep.read_text())
        if result.get("champion"):
            return result
    return json.loads((artifacts_root / "learn" / RESULT_FILE).read_text())


def run_records(state_dir: Path) -> dict[str, dict]:
    """Each stage's record in ``run.json``: when it finished, its footprint, or why it did not run.

    Empty when no run was recorded, or the record cannot be read (every stage then reruns).
    """
    path = Path(state_dir) / RUN_FILE
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text()).get("stages", {})
    except (json.JSONDecodeError, AttributeError):
        return {}


def stage_result(artifacts_dir: Path, folder: str) -> dict | None:
    """The ``result.json`` of the stage whose artifacts are in ``folder``, or None."""
    path = Path(artifacts_dir) / folder / RESULT_FILE
    return json.loads(path.read_text()) if path.exists() else None
