"""Reading ``atelier.yaml`` into a :class:`Charter`, with one-line errors."""

import os
import re
from pathlib import Path

import yaml
from pydantic import ValidationError

from atelier.charter._model import Charter
from atelier.exceptions import CharterError

CHARTER_FILE = "atelier.yaml"
_YAML_12_BOOLEAN = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


class _CharterLoader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false, so that `on:` and `Yes` stay strings."""


_CharterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_CharterLoader.add_implicit_resolver("tag:yaml.org,2002:bool", _YAML_12_BOOLEAN, list("tTfF"))

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def load_charter(path: Path) -> Charter:
    """Read and validate a charter file.

    Parameters
    ----------
    path : Path
        The ``atelier.yaml`` file.

    Returns
    -------
    Charter
        The validated charter. ``${VARIABLE}`` references are kept as written; they
        are resolved from the environment only when a source is read.

    Raises
    ------
    CharterError
        If the file is missing, is not valid YAML, or a field is wrong; the message
        names the field's path and what was expected.
    """
    if not path.is_file():
        raise CharterError(f"{path}: no charter here; create one with `atelier init {path.parent}`")
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_CharterLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise CharterError(f"{path}: invalid YAML{where}: {problem}") from None
    except UnicodeDecodeError:
        raise CharterError(f"{path}: the charter must be UTF-8 text") from None
    if not isinstance(document, dict):
        raise CharterError(f"{path}: expected a mapping of sections, got {type(document).__name__}")
    try:
        return Charter.model_validate(document)
    except ValidationError as error:
        raise CharterError(f"{path}: {describe_validation_error(error)}") from None


def describe_validation_error(error: ValidationError) -> str:
    """Describe the first problem of a pydantic error as ``field.path: what was expected``."""
    problems = error.errors(include_url=False)
    first = problems[0]
    location = ".".join(str(part) for part in _without_union_tags(first["loc"])) or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown field (check its spelling against `atelier init`'s template)"
    elif first["type"] not in {"missing", "value_error"} and "input" in first:
        message = f"{message}; got {_short_repr(first['input'])}"
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return f"{location}: {message}{more}"


def resolve_environment(text: str, *, field: str) -> str:
    """Replace ``${VAR}`` and ``${VAR:-default}`` in ``text`` from the environment.

    Raises
    ------
    CharterError
        If a variable is unset and has no default; the message names the variable,
        never a value.
    """

    def value_of(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        value = os.environ.get(name, default)
        if value is None:
            raise CharterError(f"{field}: environment variable {name} is not set")
        return value

    return _VARIABLE.sub(value_of, text)


def _without_union_tags(location: tuple) -> list:
    # In a discriminated union pydantic puts the chosen tag in the path
    # (sources.customers.csv.path, ...pagination.page.size); drop it.
    parts = list(location)
    tag_positions = set()
    if len(parts) > 2 and parts[0] == "sources":
        tag_positions.add(2)
    tag_positions |= {i + 1 for i, part in enumerate(parts[:-1]) if part == "pagination"}
    return [part for i, part in enumerate(parts) if i not in tag_positions]


def _short_repr(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def append_section(path: Path, section: str) -> None:
    """Add a commented section to the charter at ``path``; replace it only if it validates.

    The new text is written beside the charter and renamed over it once it loads, so
    a section that would break the charter leaves the file as it was.

    Raises
    ------
    CharterError
        The charter with the section does not validate.
    """
    original = path.read_text(encoding="utf-8")
    separator = "" if original.endswith("\n") else "\n"
    candidate = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    candidate.write_text(original + separator + section, encoding="utf-8")
    try:
        load_charter(candidate)
    except CharterError:
        candidate.unlink()
        raise
    os.replace(candidate, path)
