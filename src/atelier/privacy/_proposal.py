"""The policy ``atelier privacy`` proposes, as a commented ``privacy:`` section."""

from datetime import UTC, datetime

import yaml

from atelier.charter import append_section


def _flow(value) -> str:
    dumped = yaml.safe_dump([value], default_flow_style=True, allow_unicode=True, width=10**4)
    return dumped.strip()[1:-1]


def policy_entries(personal: dict) -> list[tuple[str, dict | None, str]]:
    """``(source.column, rule or None, why)`` for each finding, in source order.

    A rule is None for a finding left for review (SIREN/SIRET: companies or sole
    traders); the rules are those ingest applied, charter's or proposed.
    """
    entries = []
    for source, recorded in personal.items():
        rules = {rule["column"]: rule for rule in recorded["rules"]}
        for finding in recorded["findings"]:
            why = (
                f"{finding['kind']}: {finding['share']:.0%} of {finding['sampled']} values "
                f"({finding['rule']})"
            )
            entries.append((f"{source}.{finding['column']}", rules.get(finding["column"]), why))
        found = {finding["column"] for finding in recorded["findings"]}
        for column, rule in rules.items():
            if column not in found:
                entries.append((f"{source}.{column}", rule, f"{rule['kind'] or 'charter'}"))
    return entries


def policy_yaml(personal: dict) -> str:
    """The proposed ``privacy:`` section, each entry commented with its finding."""
    today = datetime.now(UTC).date().isoformat()
    lines = [
        "",
        f"# Personal-data policy, proposed by `atelier privacy` from the values of each source "
        f"({today}).",
        "# Ingest applies it before anything reaches the warehouse: drop, pseudonymise (HMAC",
        "# under ATELIER_PSEUDO_KEY), generalise (to: year, month, department, band, range),",
        "# or keep with a GDPR Art. 6 legal_basis and a purpose. Columns found but not listed",
        "# here get the proposed rule all the same (privacy by default).",
        "privacy:",
        "  policy:",
    ]
    entries = policy_entries(personal)
    if not entries:
        lines[-1] = "  policy: {}"
    for name, rule, why in entries:
        if rule is None:
            choice = {"action": "keep", "legal_basis": "legitimate_interests", "purpose": "..."}
            lines.append(f"    # {name}: {_flow(choice)}  # {why}; possible personal data:")
            lines.append("    #   they name sole traders too; choose a rule and uncomment it")
            continue
        written = {
            key: value
            for key, value in rule.items()
            if key in ("action", "to", "width", "legal_basis", "purpose") and value is not None
        }
        shown = written["action"] if list(written) == ["action"] else written
        lines.append(f"    {name}: {_flow(shown)}  # {why}")
    return "\n".join(lines) + "\n"


def write_proposal(project, section: str) -> bool:
    """Append ``section`` to the charter when it has no ``privacy`` key; say if it did."""
    original = project.charter_path.read_text(encoding="utf-8")
    if "privacy" in (yaml.safe_load(original) or {}):
        return False
    append_section(project.charter_path, section)
    return True
