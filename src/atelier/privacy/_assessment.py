"""The facts behind the GDPR record, the impact assessment and the security analysis.

Everything here is derived from the charter and what ingest found and did; the
report words it in the charter's language. Criteria are the EDPB's nine (WP248
rev.01, which the CNIL applies): two or more make an impact assessment mandatory.
Risks follow the CNIL's PIA method: three feared events, each rated for severity
and likelihood on four levels (1 negligible, 2 limited, 3 significant, 4 maximum).
"""

# The article of the AI Act that places each domain (Annex III points, Article 5).
HIGH_RISK_DOMAINS = {
    "credit_scoring": "annex_iii_5b",
    "insurance_pricing": "annex_iii_5c",
    "employment": "annex_iii_4",
    "education": "annex_iii_3",
    "public_services": "annex_iii_5a",
    "law_enforcement": "annex_iii_6",
    "migration": "annex_iii_7",
    "justice": "annex_iii_8",
    "biometric_identification": "annex_iii_1",
    "critical_infrastructure": "annex_iii_2",
}
PROHIBITED_DOMAINS = {"social_scoring": "article_5_1c"}
SENSITIVE_KINDS = {"nir", "iban", "card"}
DIRECT_KINDS = {"email", "phone", "person_name", "street_address", "ip_address", "free_text"}
LARGE_SCALE_ROWS = 10_000  # atelier's own threshold: the GDPR sets no number


def ai_act_class(domain: str | None) -> dict:
    """The AI Act risk class of the use case, with its reason.

    Returns
    -------
    dict
        ``{"class": "prohibited"|"high"|"minimal"|"unknown", "reason": str,
        "domain": str or None}``; the reason names the article of the Act that
        places the domain (``annex_iii_5b``), or ``not_listed``, or ``no_domain``.
    """
    if domain is None:
        return {"class": "unknown", "reason": "no_domain", "domain": None}
    if domain in PROHIBITED_DOMAINS:
        return {"class": "prohibited", "reason": PROHIBITED_DOMAINS[domain], "domain": domain}
    if domain in HIGH_RISK_DOMAINS:
        return {"class": "high", "reason": HIGH_RISK_DOMAINS[domain], "domain": domain}
    return {"class": "minimal", "reason": "not_listed", "domain": domain}


def personal_kinds(personal: dict) -> dict[str, str]:
    """``source.column -> kind`` of every finding and declared column."""
    kinds = {}
    for source, recorded in personal.items():
        for finding in recorded["findings"]:
            kinds[f"{source}.{finding['column']}"] = finding["kind"]
        for rule in recorded["rules"]:
            kinds.setdefault(f"{source}.{rule['column']}", rule["kind"] or "declared")
    return kinds


def edpb_criteria(charter, personal: dict, mart_rows: int, sources_joined: int) -> list[dict]:
    """The EDPB's nine criteria, each ``{"criterion", "met", "because"}``."""
    kinds = set(personal_kinds(personal).values())
    domain = charter.project.domain
    about_people = bool(kinds) or charter.privacy.data_subjects is not None
    vulnerable = domain in ("employment", "education", "healthcare", "public_services")
    return [
        {
            "criterion": "evaluation_or_scoring",
            "met": about_people,
            "because": _why("scores_people" if about_people else "no_personal"),
        },
        {
            "criterion": "automated_decision",
            "met": charter.privacy.automated_decision,
            "because": _why("charter_flag"),
        },
        {
            "criterion": "systematic_monitoring",
            "met": domain in ("law_enforcement", "biometric_identification"),
            "because": _why("domain", domain=domain or "–"),
        },
        {
            "criterion": "sensitive_data",
            "met": bool(kinds & SENSITIVE_KINDS) or domain == "healthcare",
            "because": _why("kinds", kinds=", ".join(sorted(kinds)) or "–"),
        },
        {
            "criterion": "large_scale",
            "met": about_people and mart_rows >= LARGE_SCALE_ROWS,
            "because": _why("rows", rows=mart_rows, bar=LARGE_SCALE_ROWS),
        },
        {
            "criterion": "matching_datasets",
            "met": about_people and sources_joined > 1,
            "because": _why("sources", n=sources_joined),
        },
        {
            "criterion": "vulnerable_subjects",
            "met": vulnerable,
            "because": _why("domain", domain=domain or "–"),
        },
        {
            "criterion": "innovative_technology",
            "met": about_people,
            "because": _why("ml_on_people" if about_people else "no_personal"),
        },
        {
            "criterion": "prevents_right_or_service",
            "met": domain in ("credit_scoring", "insurance_pricing", "public_services"),
            "because": _why("domain", domain=domain or "–"),
        },
    ]


def _why(reason: str, **values) -> dict:
    """A reason the report words in its language: ``because_<reason>`` with ``values``."""
    return {"reason": reason, "values": values}


def feared_events(personal: dict, serving_exposed: bool) -> list[dict]:
    """The CNIL's three feared events rated from what the warehouse still holds.

    Severity follows the most harmful kind still present (kept or pseudonymised);
    likelihood rises with each place the data can be reached from.
    """
    still = set()
    for recorded in personal.values():
        for rule in recorded["rules"]:
            if rule["action"] in ("keep", "pseudonymise"):
                still.add(rule["kind"] or "declared")
    if still & SENSITIVE_KINDS:
        severity = 4
    elif still & (DIRECT_KINDS | {"declared"}):
        severity = 3 if "keep" in _actions(personal) else 2
    else:
        severity = 1
    access_likelihood = 2 + int(serving_exposed)
    return [
        {
            "event": "illegitimate_access",
            "threats": ["warehouse_copied", "api_exposed", "logs"],
            "severity": severity,
            "likelihood": access_likelihood,
            "measures": ["policy_applied", "api_key", "no_personal_logs", "file_permissions"],
        },
        {
            "event": "unwanted_change",
            "threats": ["faulty_export", "warehouse_edited"],
            "severity": min(severity, 2),
            "likelihood": 2,
            "measures": ["lineage_hashes", "transactional_loads"],
        },
        {
            "event": "disappearance",
            "threats": ["disk_lost", "wrong_erasure"],
            "severity": min(severity, 2),
            "likelihood": 1,
            "measures": ["sources_kept_apart", "erasure_log"],
        },
    ]


def _actions(personal: dict) -> set[str]:
    return {rule["action"] for recorded in personal.values() for rule in recorded["rules"]}


def security_threats(personal: dict, pseudonymised: bool) -> list[dict]:
    """Internal and external threats, each with its measure and who applies it."""
    return [
        {
            "threat": "warehouse_copied",
            "origin": "internal",
            "measure": "policy_applied",
            "by": "atelier",
        },
        {
            "threat": "warehouse_readable",
            "origin": "internal",
            "measure": "file_permissions",
            "by": "user",
        },
        {"threat": "api_exposed", "origin": "external", "measure": "api_key", "by": "atelier"},
        {"threat": "key_leak", "origin": "internal", "measure": "secrets_from_env", "by": "both"},
        {"threat": "logs", "origin": "internal", "measure": "no_personal_logs", "by": "atelier"},
        {"threat": "backups", "origin": "internal", "measure": "encrypted_backups", "by": "user"},
        {
            "threat": "membership_inference",
            "origin": "external",
            "measure": "k_anonymity_and_small_groups",
            "by": "atelier",
        },
        {
            "threat": "pseudonym_reversal",
            "origin": "external",
            "measure": "keyed_hmac" if pseudonymised else "nothing_pseudonymised",
            "by": "atelier",
        },
    ]
