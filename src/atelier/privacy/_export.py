"""Exporting the mart to a file, refused while its quasi-identifiers single people out."""

import json
from pathlib import Path

from atelier._naming import quote_identifier, quote_literal
from atelier._project import Project
from atelier.exceptions import PrivacyError, StageOrderError

FORMATS = {".parquet": "FORMAT PARQUET", ".csv": "FORMAT CSV, HEADER"}


def export_mart(project: Project, out: Path, *, force: bool = False) -> int:
    """Write the mart to ``out`` (Parquet or CSV); return the rows written.

    Raises
    ------
    StageOrderError
        The privacy stage has not run: anonymity is unknown.
    PrivacyError
        The mart's k-anonymity is below the charter's ``privacy.k`` and ``force`` is
        False; or ``out`` has another suffix.
    """
    if out.suffix not in FORMATS:
        raise PrivacyError(f"{out}: export writes .parquet or .csv files")
    result_file = project.artifact_dir("privacy") / "result.json"
    if not result_file.exists():
        raise StageOrderError(
            f"{project.root}: anonymity not measured yet; run `atelier privacy -p {project.root}`"
        )
    anonymity = json.loads(result_file.read_text())["anonymity"]
    if anonymity is not None and anonymity["k"] < anonymity["k_target"] and not force:
        raise PrivacyError(
            f"export refused: the mart is {anonymity['k']}-anonymous on "
            f"{', '.join(anonymity['quasi_identifiers'])}, below privacy.k = "
            f"{anonymity['k_target']} ({anonymity['rows_at_risk']} rows at risk); generalise "
            "them in privacy.policy, or pass --force"
        )
    mart = f"mart.{quote_identifier(project.charter.mart.table)}"
    partial = out.with_name(out.name + ".partial")
    with project.connect() as connection:
        connection.execute(f"COPY {mart} TO {quote_literal(str(partial))} ({FORMATS[out.suffix]})")
        rows = connection.execute(f"SELECT count(*) FROM {mart}").fetchone()[0]
    partial.replace(out)
    return rows
