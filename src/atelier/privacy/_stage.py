"""The privacy stage: what ingest found and did, anonymity, and the GDPR's facts.

It runs after ingest and before profile. Ingest already applied the policy as the
sources loaded (so that no personal value reaches the warehouse untransformed);
this stage records the findings and the rules, proposes the policy, measures the
k-anonymity of the mart and gathers what the record of processing, the impact
assessment and the security analysis state.
"""

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from atelier._artifacts import staged_artifact_dir, write_result
from atelier._naming import quote_identifier
from atelier._project import Project
from atelier.exceptions import CharterError, StageOrderError
from atelier.privacy._anonymity import measure_anonymity
from atelier.privacy._assessment import (
    ai_act_class,
    edpb_criteria,
    feared_events,
    personal_kinds,
    security_threats,
)
from atelier.privacy._proposal import policy_entries, policy_yaml

STAGE = "privacy"
POLICY_FILE = "policy.yaml"


@dataclass(frozen=True)
class PrivacyResult:
    """What the privacy stage writes as its ``result.json``.

    Attributes
    ----------
    findings : list of dict
        Every personal-data finding of every source (masked examples).
    rules : list of dict
        Every rule ingest applied, with its source.
    for_review : list of str
        ``source.column`` found possibly personal and left as it is.
    proposed_policy : str
        The ``privacy:`` section ``atelier privacy`` proposes.
    anonymity : dict or None
        k-anonymity and l-diversity (None without quasi-identifiers).
    register : dict
        The GDPR Art. 30 record's facts.
    ai_act : dict
        The risk class and its reason.
    dpia : dict
        ``criteria`` (EDPB), ``mandatory``, ``risks`` (CNIL), ``rights``.
    security : list of dict
        Threats, origin, measure, and who applies it.
    erasures : list of dict
        The audit log of removals (no removed value).
    """

    findings: list[dict]
    rules: list[dict]
    for_review: list[str]
    proposed_policy: str
    anonymity: dict | None
    register: dict
    ai_act: dict
    dpia: dict
    security: list[dict]
    erasures: list[dict]
    duration_s: float


def privacy(project: Project) -> PrivacyResult:
    """Record what ingest found and applied, measure anonymity, gather the GDPR facts.

    Parameters
    ----------
    project : Project

    Returns
    -------
    PrivacyResult

    Raises
    ------
    StageOrderError
        Ingest has not run.
    CharterError
        A quasi-identifier is not a column of the mart.
    """
    started_at, clock = datetime.now(UTC), time.perf_counter()
    ingest_file = project.artifact_dir("ingest") / "result.json"
    if not ingest_file.exists():
        raise StageOrderError(
            f"{project.root}: nothing ingested yet; run `atelier ingest -p {project.root}` first"
        )
    ingested = json.loads(ingest_file.read_text())
    personal = ingested["personal"]
    charter = project.charter
    mart = f"mart.{quote_identifier(charter.mart.table)}"
    with project.connect() as connection:
        columns = [row[0] for row in connection.execute(f"DESCRIBE {mart}").fetchall()]
        anonymity = _anonymity(connection, mart, columns, charter)
        logged = connection.execute("SELECT * FROM audit.erasures ORDER BY at_utc")
        names = [column[0] for column in logged.description]
        erasures = [dict(zip(names, row, strict=True)) for row in logged.fetchall()]
    entries = policy_entries(personal)
    rules = [{"source": s, **r} for s, recorded in personal.items() for r in recorded["rules"]]
    pseudonymised = any(rule["action"] == "pseudonymise" for rule in rules)
    criteria = edpb_criteria(charter, personal, ingested["mart_rows"], len(charter.mart.joins) + 1)
    result = PrivacyResult(
        findings=[f for recorded in personal.values() for f in recorded["findings"]],
        rules=rules,
        for_review=[name for name, rule, _ in entries if rule is None],
        proposed_policy=policy_yaml(personal),
        anonymity=anonymity,
        register=_register(charter, personal, rules),
        ai_act=ai_act_class(charter.project.domain),
        dpia={
            "criteria": criteria,
            "criteria_met": sum(c["met"] for c in criteria),
            "mandatory": sum(c["met"] for c in criteria) >= 2,
            "risks": feared_events(personal, serving_exposed=True),
        },
        security=security_threats(personal, pseudonymised),
        erasures=[{**e, "at_utc": str(e["at_utc"])} for e in erasures],
        duration_s=round(time.perf_counter() - clock, 3),
    )
    with staged_artifact_dir(project.artifacts_dir, STAGE) as folder:
        (folder / POLICY_FILE).write_text(result.proposed_policy, encoding="utf-8")
        write_result(
            folder,
            stage=STAGE,
            result=result,
            inputs={"ingest": ingested["mart_table"]},
            parameters={},
            started_at=started_at,
            duration_s=result.duration_s,
        )
    return result


def _anonymity(connection, mart: str, columns: list[str], charter) -> dict | None:
    chosen = charter.privacy.quasi_identifiers
    if not chosen:
        return None
    missing = [column for column in chosen if column not in columns]
    if missing:
        raise CharterError(
            f"privacy.quasi_identifiers: {missing} are not columns of the mart "
            f"(its columns: {', '.join(columns)})"
        )
    sensitive = charter.target.column if charter.target.column in columns else None
    return measure_anonymity(connection, mart, chosen, charter.privacy.k, sensitive).to_dict()


def _register(charter, personal: dict, rules: list[dict]) -> dict:
    retention = {
        name: (
            f"{spec.retention.keep_for} after {spec.retention.date_column}"
            if spec.retention
            else None
        )
        for name, spec in charter.sources.items()
    }
    measures = ["policy_applied", "api_key", "no_personal_logs", "erasure_log", "lineage_hashes"]
    if any(rule["action"] == "pseudonymise" for rule in rules):
        measures.insert(1, "keyed_hmac")
    columns = personal_kinds(personal)
    # a voice identifies a person (GDPR Art. 4(1)): recordings are personal data, whatever
    # their labels say; images are not presumed so (garments, digits), text columns are
    # read from their values like any column
    voices = sorted(name for name, spec in charter.sources.items() if spec.kind == "audio")
    columns |= {f"{name}.recording": "voice_recording" for name in voices}
    return {
        "controller": charter.privacy.controller,
        "dpo": charter.privacy.dpo,
        "purpose": charter.project.question,
        "decision": charter.project.decision,
        "data_subjects": charter.privacy.data_subjects,
        "categories": sorted(set(columns.values())),
        "columns": columns,
        "recipients": charter.privacy.recipients
        or [s.name for s in charter.stakeholders if s.role in ("users", "sponsor")],
        "transfers_outside_eu": charter.privacy.transfers_outside_eu,
        "retention": retention,
        "legal_bases": sorted({r["legal_basis"] for r in rules if r["legal_basis"]}),
        "actions": {f"{r['source']}.{r['column']}": r["action"] for r in rules},
        "automated_decision": charter.privacy.automated_decision,
        "measures": measures,
    }
