"""The GDPR documents, worded from the privacy stage's facts in one language.

Each document is a title, a sentence and tables; the dossier shows them as HTML and
``build_report`` also writes each as a Markdown file in French and in English
(``report/privacy/<document>.<language>.md``), for a data protection officer to file.
"""

LEVELS = 4


def documents(privacy: dict, charter: dict, t) -> list[dict]:
    """The record of processing, the impact assessment, the security analysis, the AI Act class.

    Parameters
    ----------
    privacy : dict
        The privacy stage's ``result.json``.
    charter : dict
    t : Text
        Words in the dossier's language.

    Returns
    -------
    list of dict
        ``{"id", "title", "text", "tables": [{"headers", "rows"}]}``.
    """
    return [
        _register(privacy, charter, t),
        _dpia(privacy, t),
        _security(privacy, t),
        _ai_act(privacy, t),
    ]


def _unset(value, t) -> str:
    return t("privacy_unset") if value in (None, "", []) else str(value)


def _register(privacy: dict, charter: dict, t) -> dict:
    register = privacy["register"]
    retention = "; ".join(
        f"{source}: {period or t('privacy_retention_none')}"
        for source, period in register["retention"].items()
    )
    rows = [
        (t("privacy_controller"), _unset(register["controller"], t)),
        (t("privacy_dpo"), _unset(register["dpo"], t)),
        (t("privacy_purpose"), f"{register['purpose']} {register['decision']}"),
        (t("privacy_subjects"), _unset(register["data_subjects"], t)),
        (
            t("privacy_categories"),
            ", ".join(t.term(f"kind_{kind}") for kind in register["categories"])
            or t("privacy_none_found"),
        ),
        (t("privacy_recipients"), ", ".join(register["recipients"]) or t("privacy_unset")),
        (t("privacy_transfers"), register["transfers_outside_eu"]),
        (t("privacy_retention"), retention),
        (
            t("privacy_legal_bases"),
            ", ".join(t.term(f"basis_{b}") for b in register["legal_bases"])
            or t("privacy_no_kept"),
        ),
        (
            t("privacy_automated"),
            t("privacy_yes") if register["automated_decision"] else t("privacy_no_art22"),
        ),
        (t("privacy_ai_act"), t.term(f"ai_class_{privacy['ai_act']['class']}")),
        (t("privacy_measures"), "; ".join(t.term(f"measure_{m}") for m in register["measures"])),
    ]
    columns = [
        (name, t.term(f"kind_{kind}"), t.term(f"action_{register['actions'].get(name, 'none')}"))
        for name, kind in register["columns"].items()
    ]
    return {
        "id": "gdpr-register",
        "title": t("privacy_register_title"),
        "text": t("privacy_register_text"),
        "tables": [
            {"headers": [t("privacy_field"), t("privacy_value")], "rows": rows},
            {
                "headers": [t("columns"), t("privacy_kind"), t("privacy_action")],
                "rows": columns,
            },
        ],
    }


def _dpia(privacy: dict, t) -> dict:
    dpia = privacy["dpia"]
    criteria = [
        (
            t.term(f"criterion_{c['criterion']}"),
            t("privacy_yes") if c["met"] else t("privacy_no"),
            t(f"because_{c['because']['reason']}", **c["because"]["values"]),
        )
        for c in dpia["criteria"]
    ]
    risks = [
        (
            t.term(f"event_{risk['event']}"),
            "; ".join(t.term(f"threat_{threat}") for threat in risk["threats"]),
            _level(risk["severity"], t),
            _level(risk["likelihood"], t),
            "; ".join(t.term(f"measure_{m}") for m in risk["measures"]),
        )
        for risk in dpia["risks"]
    ]
    anonymity = privacy.get("anonymity")
    tables = [
        {
            "headers": [t("privacy_criterion"), t("privacy_met"), t("privacy_because")],
            "rows": criteria,
        },
        {
            "headers": [
                t("privacy_event"),
                t("privacy_threats"),
                t("privacy_severity"),
                t("privacy_likelihood"),
                t("privacy_measures"),
            ],
            "rows": risks,
        },
    ]
    if anonymity:
        tables.append(
            {
                "headers": [t("privacy_field"), t("privacy_value")],
                "rows": [
                    (t("privacy_quasi"), ", ".join(anonymity["quasi_identifiers"])),
                    ("k", f"{anonymity['k']} ({t('privacy_target')} {anonymity['k_target']})"),
                    (t("privacy_at_risk"), t.number(anonymity["rows_at_risk"])),
                    (t("privacy_generalisation"), _steps(anonymity, t)),
                    ("l", _unset(anonymity["l_diversity"], t)),
                ],
            }
        )
    verdict = "privacy_dpia_mandatory" if dpia["mandatory"] else "privacy_dpia_optional"
    return {
        "id": "dpia",
        "title": t("privacy_dpia_title"),
        "text": t(verdict, n=dpia["criteria_met"]),
        "tables": tables,
    }


def _steps(anonymity: dict, t) -> str:
    if anonymity["k"] >= anonymity["k_target"]:
        return t("privacy_k_met")
    steps = anonymity["generalisation"]
    if not steps:
        return t("privacy_no_generalisation")
    shown = ", ".join(
        t("privacy_step", column=s["column"], width=t.number(s["width"], 2), k=s["k"])
        for s in steps
    )
    reached = t("privacy_reached") if anonymity["reached"] else t("privacy_not_reached")
    return f"{shown}: {reached}"


def _level(level: int, t) -> str:
    return f"{level}/{LEVELS} {t.term(f'level_{level}')}"


def _security(privacy: dict, t) -> dict:
    rows = [
        (
            t.term(f"threat_{item['threat']}"),
            t.term(f"origin_{item['origin']}"),
            t.term(f"measure_{item['measure']}"),
            t.term(f"by_{item['by']}"),
        )
        for item in privacy["security"]
    ]
    return {
        "id": "security",
        "title": t("privacy_security_title"),
        "text": t("privacy_security_text"),
        "tables": [
            {
                "headers": [
                    t("privacy_threat"),
                    t("privacy_origin"),
                    t("privacy_measure"),
                    t("privacy_by"),
                ],
                "rows": rows,
            }
        ],
    }


def _ai_act(privacy: dict, t) -> dict:
    act = privacy["ai_act"]
    return {
        "id": "ai-act",
        "title": t("privacy_ai_act_title"),
        "text": t(
            "privacy_ai_act_text",
            risk=t.term(f"ai_class_{act['class']}"),
            reason=t(f"ai_reason_{act['reason']}", domain=act.get("domain") or "–"),
            duties=t.term(f"ai_duties_{act['class']}"),
        ),
        "tables": [],
    }


def markdown(document: dict) -> str:
    """A document as Markdown: its title, its sentence, its tables."""
    lines = [f"# {document['title']}", "", document["text"], ""]
    for table in document["tables"]:
        lines.append("| " + " | ".join(table["headers"]) + " |")
        lines.append("|" + "---|" * len(table["headers"]))
        for row in table["rows"]:
            cells = [str(cell).replace("|", "\\|").replace("\n", " ") for cell in row]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)
