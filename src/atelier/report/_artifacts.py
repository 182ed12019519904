"""The artifacts of a run, read once for the report; nothing is recomputed."""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from atelier._artifacts import CARD_FILE, CHECKS_DIR, MANIFEST_FILE, RESULT_FILE, SCHEMA_FILE
from atelier._project import Project
from atelier._stages import BY_NAME, STAGE_NAMES
from atelier._version import __version__
from atelier.exceptions import StageOrderError

STAGES = STAGE_NAMES


@dataclass
class Artifacts:
    """Each stage's ``result.json`` and manifest, the charter, and the run record.

    Attributes
    ----------
    project : Project
    charter : dict
        The charter as plain values.
    results : dict of str to dict
        ``result.json`` of each stage that ran, by stage name.
    manifests : dict of str to dict
    run_state : dict
        ``.atelier/run.json``: each stage's last run (empty when stages ran one by one).
    checks : dict of str to dict
        What ``atelier serve --check`` (``api``) and ``atelier dashboard --check``
        (``dashboard``) recorded, when they ran.
    serving : dict or None
        What the served model accepts (``input_schema.json`` of the train stage),
        when the trained model can be served.
    media_input : dict or None
        For a model of images, the image it reads (``size``, ``channels``).
    """

    project: Project
    charter: dict
    results: dict[str, dict] = field(default_factory=dict)
    manifests: dict[str, dict] = field(default_factory=dict)
    run_state: dict = field(default_factory=dict)
    serving: dict | None = None
    media_input: dict | None = None
    checks: dict[str, dict] = field(default_factory=dict)

    def get(self, stage: str) -> dict | None:
        """The result of ``stage``, or None when it has not run."""
        return self.results.get(stage)

    def file_sha256(self, stage: str, name: str | None) -> str | None:
        """The sha256 of one of ``stage``'s files as it is on disk now, or None if absent."""
        if not name:
            return None
        path = self.project.artifact_dir(BY_NAME[stage].artifacts) / Path(name).name
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None

    def figure(self, stage: str, name: str) -> Path | None:
        """The path of one of ``stage``'s figures, if it drew it."""
        result = self.results.get(stage) or {}
        file = (result.get("figures") or {}).get(name)
        if not file:
            return None
        path = self.project.artifact_dir(BY_NAME[stage].artifacts) / Path(file).name
        return path if path.exists() else None


def load_artifacts(project: Project) -> Artifacts:
    """Read every stage's artifacts of ``project``.

    Raises
    ------
    StageOrderError
        When no stage has run yet, or when artifacts were written by a version of
        atelier whose format may differ (another major or minor version).
    """
    artifacts = Artifacts(project=project, charter=project.charter.model_dump(mode="json"))
    for stage in STAGES:
        folder = project.artifact_dir(BY_NAME[stage].artifacts)
        if not (folder / RESULT_FILE).exists():
            continue
        manifest = json.loads((folder / MANIFEST_FILE).read_text())
        written_by = manifest.get("versions", {}).get("atelier", "unknown")
        if _release(written_by) != _release(__version__):
            raise StageOrderError(
                f"{folder}: written by atelier {written_by}, this is atelier {__version__}; "
                f"run `atelier run -p {project.root} --force all` to rebuild the artifacts"
            )
        artifacts.results[stage] = json.loads((folder / RESULT_FILE).read_text())
        artifacts.manifests[stage] = manifest
    if "ingest" not in artifacts.results:
        raise StageOrderError(
            f"{project.root}: nothing to report yet; run `atelier run -p {project.root}` first"
        )
    schema_file = project.artifact_dir(BY_NAME["train"].artifacts) / SCHEMA_FILE
    card_file = schema_file.with_name(CARD_FILE)
    if "train" in artifacts.results and schema_file.exists() and card_file.exists():
        artifacts.serving = json.loads(schema_file.read_text())
        artifacts.media_input = json.loads(card_file.read_text()).get("input")
    for check in (project.artifacts_dir / CHECKS_DIR).glob("*.json"):
        artifacts.checks[check.stem] = json.loads(check.read_text())
    run_file = project.state_dir / "run.json"
    if run_file.exists():
        artifacts.run_state = json.loads(run_file.read_text()).get("stages", {})
    return artifacts


def _release(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])
