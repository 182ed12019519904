"""Proposing a cleaning plan from the profile's findings, and writing it into the charter."""

from datetime import UTC, datetime

import yaml

from atelier.charter import CleaningPlan
from atelier.quality._value_findings import SKEW_LIMIT

_DROP_REASONS = {
    "constant": "constant: cannot inform a model",
    "identifier": "identifier: a key, not a feature",
    "leakage": "leaks the target",
    "personal_data": "personal data",
}


def propose_plan(
    profile: dict, *, target: str | None, kept_text: frozenset | set = frozenset()
) -> tuple[CleaningPlan, dict[str, str]]:
    """A plan answering the findings of a profile's ``result.json``.

    Parameters
    ----------
    profile : dict
        The profile's ``result.json``.
    target : str or None
        The target column: never dropped, capped or imputed.
    kept_text : set of str
        Free-text columns the privacy policy keeps for a purpose: their personal data
        is no reason to drop them (see :func:`atelier.charter.kept_text_columns`).

    Returns
    -------
    plan : CleaningPlan
    reasons : dict of str to str
        For each entry of the plan (``"impute.total_charges"``), the finding behind it.
    """
    plan: dict = {
        "drop_duplicate_rows": False,
        "missing_values": {},
        "placeholders": {},
        "to_numeric": [],
        "unify_spellings": [],
        "cap_outliers": {},
        "impute": {},
        "drop_columns": {},
    }
    reasons: dict[str, str] = {}
    semantic = {column["name"]: column["semantic_type"] for column in profile["columns"]}
    by_name = {column["name"]: column for column in profile["columns"]}
    numbers_as_text = {c["name"] for c in profile["columns"] if c.get("numeric_share") == 1.0}
    for finding in profile["findings"]:
        kind, columns, message = finding["kind"], finding["columns"], finding["message"]
        column = columns[0] if columns else None
        if kind == "duplicate_rows" and not columns:
            plan["drop_duplicate_rows"] = True
            reasons["drop_duplicate_rows"] = message
        elif column == target or (kind == "personal_data" and column in kept_text):
            continue
        elif kind in _DROP_REASONS or (kind == "missing" and finding["severity"] == "critical"):
            plan["drop_columns"][column] = _DROP_REASONS.get(kind, "mostly missing")
            reasons[f"drop_columns.{column}"] = message
        elif kind == "disguised_missing":
            key = "placeholders" if semantic[column] == "numeric" else "missing_values"
            values = finding["examples"]
            plan[key][column] = [float(v) for v in values] if key == "placeholders" else values
            reasons[f"{key}.{column}"] = message
            if column in numbers_as_text:  # text only because of the missing-value tokens
                plan["to_numeric"].append(column)
                reasons[f"to_numeric.{column}"] = "its other values are all numbers"
                plan["impute"][column] = "median"
            else:
                plan["impute"].setdefault(column, _strategy(semantic[column], by_name[column]))
        elif kind == "mixed_types":
            plan["to_numeric"].append(column)
            plan["impute"][column] = "median"
            reasons[f"to_numeric.{column}"] = message
        elif kind == "inconsistent_categories":
            plan["unify_spellings"].append(column)
            reasons[f"unify_spellings.{column}"] = message
        elif kind == "outliers":
            plan["cap_outliers"][column] = "tukey"
            reasons[f"cap_outliers.{column}"] = message
        elif kind == "out_of_range" and semantic.get(column) == "numeric":
            plan["cap_outliers"].setdefault(column, (0.0, None))
            reasons[f"cap_outliers.{column}"] = message
        elif kind == "missing":
            plan["impute"][column] = _strategy(semantic[column], by_name[column])
            reasons[f"impute.{column}"] = message
    dropped = set(plan["drop_columns"])
    for key in ("missing_values", "placeholders", "cap_outliers", "impute"):
        plan[key] = {c: v for c, v in plan[key].items() if c not in dropped}
    for key in ("to_numeric", "unify_spellings"):
        plan[key] = [c for c in plan[key] if c not in dropped]
    return CleaningPlan.model_validate(plan), reasons


def _strategy(semantic_type: str, column: dict) -> str:
    # as the profile's fix says: the median for a skewed column, the mean otherwise
    if semantic_type == "numeric":
        return "median" if abs(column.get("skew") or 0) > SKEW_LIMIT else "mean"
    return "most_frequent"


def plan_yaml(plan: CleaningPlan, reasons: dict[str, str], table: str) -> str:
    """The plan as a commented ``cleaning:`` section to append to ``atelier.yaml``."""
    today = datetime.now(UTC).date().isoformat()
    lines = [
        "",
        f"# Cleaning plan, proposed by `atelier clean` from the profile of {table} ({today}).",
        "# It is applied as written: edit it freely, or delete the section to have a new one",
        "# proposed. Each comment says what the profile found.",
        "cleaning:",
    ]

    def flow(value) -> str:
        # Dumped inside a list: a bare scalar would get YAML's "..." end-of-document mark.
        dumped = yaml.safe_dump([value], default_flow_style=True, allow_unicode=True, width=10**4)
        return dumped.strip()[1:-1]

    def comment(key: str) -> str:
        return f"  # {reasons[key]}" if key in reasons else ""

    lines.append(
        f"  drop_duplicate_rows: {flow(plan.drop_duplicate_rows)}{comment('drop_duplicate_rows')}"
    )
    for section in ("missing_values", "placeholders", "cap_outliers", "impute", "drop_columns"):
        entries = getattr(plan, section)
        if not entries:
            lines.append(f"  {section}: {{}}")
            continue
        lines.append(f"  {section}:")
        for column, value in entries.items():
            shown = list(value) if isinstance(value, tuple) else value
            lines.append(f"    {column}: {flow(shown)}{comment(f'{section}.{column}')}")
    for section in ("to_numeric", "unify_spellings"):
        entries = getattr(plan, section)
        if not entries:
            lines.append(f"  {section}: []")
            continue
        lines.append(f"  {section}:")
        lines += [f"    - {column}{comment(f'{section}.{column}')}" for column in entries]
    return "\n".join(lines) + "\n"
