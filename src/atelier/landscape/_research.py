"""The state of the art behind the run: each method it actually used, and the paper behind it.

The methods are read from the stages' results (the families the search tried, the
statistical tests explore ran, the network's steps...), and each is matched to an
entry of the curated ``bibliography.yaml`` shipped with atelier.
"""

from functools import cache
from importlib.resources import files

import yaml

FAMILIES = {
    "lightgbm": ("gradient_boosting", "lightgbm"),
    "xgboost": ("gradient_boosting", "xgboost"),
    "catboost": ("gradient_boosting", "catboost"),
    "hist_gb": ("gradient_boosting", "lightgbm"),
    "random_forest": ("random_forest",),
    "extra_trees": ("extra_trees",),
    "linear": ("linear",),
    "knn": ("knn",),
    "mlp": ("mlp",),
    "tabm": ("tabm",),
}
TESTS = {
    "chi-square test of independence": "chi_square",
    "Mann-Whitney U": "mann_whitney",
    "Welch's t-test": "welch",
    "Kruskal-Wallis H": "kruskal",
    "one-way ANOVA": "anova",
    "Spearman rho": "spearman",
}
EFFECTS = {"Cramér's V": "cramers_v", "Cohen's d": "cohens_d"}
NETWORKS = {
    "cnn": ("cnn", "batch_norm"),
    "audio_cnn": ("cnn", "log_mel"),
    "bag": ("word_bag",),
    "ctc_transcriber": ("ctc", "gru", "log_mel"),
    "tabm": ("tabm",),
    "mlp": ("mlp",),
}
STEPS = {
    "batch_norm": "batch_norm",
    "range_test": "range_test",
    "cosine": "cosine_schedule",
    "dropout": "dropout",
    "cnn_dropout": "dropout",
    "text_dropout": "dropout",
    "transcriber_dropout": "dropout",
    "spec_augment": "spec_augment",
    "periodic": "periodic_embeddings",
    "tabm": "tabm",
}


@cache
def bibliography() -> dict[str, dict]:
    """The curated entries, by method."""
    text = files("atelier.landscape").joinpath("bibliography.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def methods_used(results: dict[str, dict | None]) -> dict[str, list[str]]:
    """Each method the run used, with the stages that used it.

    Parameters
    ----------
    results : dict
        Each stage's ``result.json`` (None for a stage that did not run).
    """
    used: dict[str, set[str]] = {}

    def add(stage: str, *methods: str) -> None:
        for method in methods:
            used.setdefault(method, set()).add(stage)

    learn = results.get("train") or {}
    for row in learn.get("leaderboard", []):
        add("train", *FAMILIES.get(row["model"], ()))
    if learn:
        add("train", "tpe", "optuna", "bootstrap", "permutation_importance")
        if learn.get("thresholds"):
            add("train", "cost_threshold")
        if (learn.get("choice") or {}).get("kind") == "ensemble":
            add("train", "ensemble_selection")
        if (learn.get("diagnostics") or {}).get("calibration"):
            add("train", "brier")
    explore = results.get("explore") or {}
    for row in explore.get("against_target", []):
        named = (TESTS.get(row.get("test")), EFFECTS.get(row.get("effect_name")))
        add("explore", *filter(None, named))
        if row.get("p_adjusted") is not None:
            add("explore", "benjamini_hochberg")
    if explore.get("pca"):
        add("explore", "pca")
    if explore.get("vif"):
        add("explore", "vif")
    if (explore.get("clustering") or {}).get("kmeans"):
        add("explore", "kmeans", "silhouette")
    if (explore.get("clustering") or {}).get("gaussian_mixture"):
        add("explore", "gaussian_mixture")
    if results.get("segments"):
        add("segments", "kmeans", "silhouette")
    deep = results.get("deep") or {}
    if deep:
        add("deep", "adamw", *NETWORKS.get(deep["architecture"]["kind"], ()))
        for step in deep["improvements"]["steps"]:
            if step.get("kept") and step["step"] in STEPS:
                add("deep", STEPS[step["step"]])
        if (deep.get("method") or {}).get("schedule") == "one_cycle":
            add("deep", "one_cycle")
    fairness = results.get("fairness") or {}
    if fairness.get("audits"):
        add("fairness", "equalized_odds")
        if any(audit.get("mitigation") for audit in fairness["audits"]):
            add("fairness", "reweighing")
    if (results.get("privacy") or {}).get("anonymity"):
        add("privacy", "k_anonymity")
    plan = results.get("plan") or {}
    if plan:
        add("plan", "pert", "critical_path", *(["crisp_dm"] if plan.get("proposed") else []))
    return {method: sorted(stages) for method, stages in sorted(used.items())}


def state_of_the_art(results: dict[str, dict | None], language: str) -> list[dict]:
    """Each method used, with its reference and takeaway; ``cited`` False where none is kept."""
    entries = bibliography()
    rows = []
    for method, stages in methods_used(results).items():
        entry = entries.get(method)
        row = {"method": method, "stages": stages, "cited": entry is not None}
        if entry is not None:
            row |= {key: entry[key] for key in ("authors", "year", "title", "venue")}
            row["takeaway"] = entry[language]
        rows.append(row)
    return sorted(rows, key=lambda row: (row.get("year", 9999), row["method"]))
