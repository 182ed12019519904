"""The traceability matrix: every criterion of the standard, its status and its evidence."""

from functools import cache
from importlib.resources import files

import yaml

from atelier.report._artifacts import Artifacts
from atelier.report._evidence import verdict


@cache
def criteria() -> tuple[dict, ...]:
    """The criteria of ``criteria.yaml``, in the standard's order."""
    text = files("atelier.report").joinpath("criteria.yaml").read_text("utf-8")
    return tuple(yaml.safe_load(text))


def referential(artifacts: Artifacts) -> list[dict]:
    """Each criterion with the status this run's artifacts earn it.

    Returns
    -------
    list of dict
        ``block`` (1-5), ``competency`` (``C3.3``), ``criterion_fr``,
        ``criterion_en``, ``status`` (``met``, ``partly``, ``not_yet``) and
        ``evidence`` (the dossier anchor, ``#ml-leaderboard``; empty when not yet).
    """
    entries = []
    for criterion in criteria():
        status, anchor = verdict(criterion["evidence"], artifacts)
        entries.append(
            {
                "block": criterion["block"],
                "competency": criterion["competency"],
                "criterion_fr": criterion["fr"],
                "criterion_en": criterion["en"],
                "status": status,
                "evidence": f"#{anchor}" if anchor else "",
            }
        )
    return entries
