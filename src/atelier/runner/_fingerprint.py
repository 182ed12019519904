"""What a stage's inputs were: one hash over the charter sections and upstream outputs it reads.

A stage is skipped when this hash equals the one recorded after its last complete
run. Upstream outputs are hashed without their timings, so that a rerun which
produced the same content does not ripple down the chain.
"""

import hashlib
import json
from pathlib import Path
from typing import Any

from atelier._artifacts import MANIFEST_FILE, RESULT_FILE
from atelier._version import __version__

VOLATILE_KEYS = frozenset(
    {
        "duration_s",
        "started_at",
        "search_s",
        "fit_s",
        "wall_s",
        "fit_seconds",
        "wall_seconds",
        "time_saved",
    }
)


def digest(value: Any) -> str:
    """The sha256 of ``value`` written as canonical JSON."""
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def without_timings(value: Any) -> Any:
    """``value`` with every timing field removed, at any depth."""
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def output_digest(stage_dir: Path) -> str | None:
    """The hash of a stage's ``result.json`` without timings; None when it has none."""
    result_file = stage_dir / RESULT_FILE
    if not result_file.exists():
        return None
    return digest(without_timings(json.loads(result_file.read_text())))


def input_digest(stage_dir: Path) -> str | None:
    """The hash of the inputs a stage recorded in its manifest (the sources' content)."""
    manifest_file = stage_dir / MANIFEST_FILE
    if not manifest_file.exists():
        return None
    return digest(json.loads(manifest_file.read_text()).get("inputs", {}))


def fingerprint(stage: str, charter_sections: dict, upstream: dict, parameters: dict) -> str:
    """One hash of everything a stage's output depends on, atelier's version included."""
    return digest(
        {
            "stage": stage,
            "atelier": __version__,
            "charter": charter_sections,
            "upstream": upstream,
            "parameters": parameters,
        }
    )
