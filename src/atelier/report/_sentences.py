"""The machine-learning chapter's sentences, in the dossier's language.

They are written from the train stage's structured results; the stage's own English
sentences serve the library and the command line.
"""

from atelier._text import Text
from atelier.report._facts import metric_label


def ml_sentences(train: dict, text: Text) -> dict:
    """Every sentence of the chapter, by name; empty strings where a fact is missing."""
    diagnostics = train.get("diagnostics") or {}
    return {
        "metric": metric_why(train, text),
        "validation": validation_sentence(train, text),
        "choice": choice_sentence(train, text),
        "tuning": tuning_sentence(train, text),
        "robustness": robustness_sentence(train, text),
        "curve": curve_sentence(diagnostics.get("learning_curve"), text),
        "selection": selection_sentence(diagnostics.get("selection") or {}, train, text),
        "done": {
            row["model"]: done_sentence(row, text) for row in diagnostics.get("overfitting") or []
        },
    }


def validation_sentence(train: dict, text: Text) -> str:
    plan, holdout = train.get("validation_plan") or {}, train.get("holdout_plan") or {}
    if not plan or not holdout:
        return text("validation_text", validation=train["validation"], holdout=train["holdout"])
    stratified = text("stratified") if plan["stratified"] else ""
    kind = plan["kind"]
    values = {
        "folds": plan.get("folds"),
        "stratified": stratified,
        "rows": text.number(plan["rows"]),
        "groups": text.number(plan.get("groups") or 0),
    }
    if kind == "kfold" and plan["stratified"]:
        kind = "kfold_stratified"
    cv = text(f"cv_{kind}", **values)
    if plan.get("smallest_class") is not None:
        cv += text("cv_smallest", smallest=plan["smallest_class"])
    share = text.percent(holdout["share"])
    if holdout["kind"] == "random":
        held = text(
            "holdout_stratified" if holdout["stratified"] else "holdout_random", share=share
        )
    else:
        held = text(f"holdout_{holdout['kind']}", share=share, column=holdout["column"])
    return text("validation_plan_text", cv=cv, holdout=held)


def choice_sentence(train: dict, text: Text) -> str:
    choice = train["choice"]
    metric = metric_label(train["metric"])
    if choice["kind"] == "ensemble":
        single = next(
            (r for r in train["leaderboard"] if r["trial"] >= 0 and r["status"] == "complete"), None
        )
        return text(
            "choice_ensemble",
            n=len(choice["members"]),
            metric=metric,
            score=text.number(choice["cv_score"], 4),
            single=text.number(single["cv_mean"], 4) if single else "–",
        )
    member = choice["members"][0]
    best = next(r for r in train["leaderboard"] if r["trial"] >= 0 and r["status"] == "complete")
    key = "choice_best" if best["trial"] == member["trial"] else "choice_faster"
    return text(key, family=member["family"], trial=member["trial"], metric=metric)


def curve_sentence(curve: dict | None, text: Text) -> str:
    if not curve or "more_data_helps" not in curve:
        return ""
    sentence = text("curve_more" if curve["more_data_helps"] else "curve_flat")
    if curve.get("overfits"):
        sentence += " " + text("curve_overfits")
    return sentence


def selection_sentence(selection: dict, train: dict, text: Text) -> str:
    if "score_selected" not in selection:
        if "kept" not in selection:
            return text("selection_not_run")
        return text("selection_every" if selection["kept"] else "selection_none")
    return text(
        "selection_compared",
        kept=len(selection["kept"]),
        total=len(selection["kept"]) + len(selection["dropped"]),
        metric=metric_label(train["metric"]),
        selected=text.number(selection["score_selected"], 4),
        all=text.number(selection["score_all"], 4),
        seconds=text.number(selection["fit_s_selected"], 1),
        all_seconds=text.number(selection["fit_s_all"], 1),
    )


def done_sentence(row: dict, text: Text) -> str:
    if "changes" not in row:
        return row["done"]
    parts = [text("done_trees", n=row["trees"])] if row.get("trees") is not None else []
    parts += [
        f"{c['parameter']} {_setting(c['default'], text)} → {_setting(c['value'], text)}"
        for c in row["changes"]
    ]
    return ", ".join(parts) if parts else text("done_defaults")


def metric_why(train: dict, text: Text) -> str:
    name = train["metric"]
    reason = train.get("metric_reason") or {}
    general = text(f"metric_{name}") if name in {"roc_auc", "log_loss", "rmse"} else ""
    if reason.get("basis") == "charter":
        specific = reason["text"]
    elif "share" in reason:
        specific = text(
            "reason_binary", positive=reason["positive"], share=text.percent(reason["share"])
        )
    elif "classes" in reason:
        specific = text(
            "reason_multiclass",
            classes=reason["classes"],
            smallest=text.percent(reason["smallest"]),
            largest=text.percent(reason["largest"]),
        )
    else:
        specific = text("metric_no_reason", metric=metric_label(name))
    return f"{general} {specific}".strip()


def tuning_sentence(train: dict, text: Text) -> str:
    tuning = (train.get("diagnostics") or {}).get("tuning")
    if not tuning:
        return ""
    improved = [f for f in tuning["families"] if f["family"] in tuning["improved"]]
    if improved:
        gains = ", ".join(
            f"{f['family']} {text.number(f['default'], 4)} → {text.number(f['tuned'], 4)}"
            + (text("within_fold_noise") if f.get("within_noise") else "")
            for f in improved
        )
        return text("tuning_improved", metric=metric_label(train["metric"]), gains=gains)
    tried = any(f["tuned_trials"] for f in tuning["families"])
    return text("tuning_flat" if tried else "tuning_none")


def robustness_sentence(train: dict, text: Text) -> str:
    check = (train.get("diagnostics") or {}).get("robustness")
    if not check:
        return ""
    by_median = next(
        (r["model"] for r in train["leaderboard"] if r.get("trial") == check["best_by_median"]),
        "?",
    )
    return text(
        "robustness_agree" if check["agree"] else "robustness_differs",
        family=check["family"],
        trial=check["trial"],
        metric=metric_label(train["metric"]),
        mean=text.score(check["mean"]),
        median=text.score(check["median"]),
        spread=text.score(check["std"]),
        folds=len(check["scores"]),
        other=f"{by_median} #{check['best_by_median']}",
    )


def _setting(value, text: Text) -> str:
    """A hyperparameter's value as a reader needs it: floats to 3 significant digits."""
    if isinstance(value, float):
        return text.general(value, 3)
    return str(value)
