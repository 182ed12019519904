"""The commented charter template that ``atelier init`` writes."""

from importlib.resources import files
from pathlib import Path

from atelier.charter._load import CHARTER_FILE
from atelier.exceptions import CharterError


def template_text() -> str:
    """The template's text, comments included."""
    return files("atelier.charter").joinpath("template.yaml").read_text(encoding="utf-8")


def write_template(directory: Path, *, overwrite: bool = False) -> Path:
    """Write a commented ``atelier.yaml`` template into ``directory``.

    Parameters
    ----------
    directory : Path
        Project folder; created if it does not exist.
    overwrite : bool, default=False
        Replace an existing charter instead of refusing.

    Returns
    -------
    Path
        The path of the charter written.
    """
    path = directory / CHARTER_FILE
    if path.exists() and not overwrite:
        raise CharterError(f"{path}: a charter already exists; pass --force to replace it")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "data").mkdir(exist_ok=True)
    path.write_text(template_text(), encoding="utf-8")
    return path


def template_costs() -> dict:
    """The example costs of the template, as ``Costs`` holds them (unset fields left out).

    A charter whose costs equal these has not priced its own errors yet.
    """
    import yaml

    from atelier.charter._model import Costs

    costs = Costs.model_validate(yaml.safe_load(template_text())["costs"])
    return {k: v for k, v in costs.model_dump(mode="json").items() if v is not None}
