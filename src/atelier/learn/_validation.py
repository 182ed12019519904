"""How the models are validated: the cross-validation chosen from the data, and why."""

import numpy as np
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    TimeSeriesSplit,
)

from atelier.exceptions import DataError
from atelier.learn._metrics import REGRESSION

SMALL = 1_000  # below this many rows, k-fold is repeated 3 times
LARGE = 100_000  # from this many rows, 3 folds are enough
FOLDS = 5


def choose_splits(
    task: str,
    y: np.ndarray,
    *,
    cv=None,
    groups=None,
    random_state=None,
) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """The folds to cross-validate on, and a sentence saying why these.

    Parameters
    ----------
    task : str
    y : ndarray
        The encoded target.
    cv : None, int, "time" or a scikit-learn splitter
        None chooses from the data; an int is a number of folds; ``"time"`` means
        the rows are in time order and each fold validates on rows after those it
        trains on.
    groups : array-like or None
        Rows of one group never fall on both sides of a split.
    random_state : int or None

    Returns
    -------
    splits : list of (train_rows, valid_rows)
    why : str
    """
    splits, why, _ = planned_splits(task, y, cv=cv, groups=groups, random_state=random_state)
    return splits, why


def planned_splits(task: str, y: np.ndarray, *, cv=None, groups=None, random_state=None):
    """:func:`choose_splits`'s folds and sentence, with the plan behind them.

    Returns
    -------
    splits : list of (train_rows, valid_rows)
    why : str
    plan : dict
        See :func:`validation_plan`.
    """
    splitter, plan = validation_plan(task, y, cv=cv, groups=groups, random_state=random_state)
    splits = list(splitter.split(np.zeros(len(y)), y, groups))
    return splits, _in_words(plan, cv), plan


def validation_plan(task: str, y: np.ndarray, *, cv=None, groups=None, random_state=None):
    """The splitter :func:`choose_splits` uses, and the facts behind the choice.

    Returns
    -------
    splitter : scikit-learn splitter
    plan : dict
        ``kind`` (``given``, ``time``, ``group``, ``repeated`` or ``kfold``),
        ``folds``, ``stratified``, ``rows``, ``groups`` (group k-fold),
        ``repeats`` and ``smallest_class`` (when it limited the folds, else None):
        what a report needs to explain the choice in any language.
    """
    n_rows = len(y)
    classification = task != REGRESSION
    plan = {"rows": n_rows, "stratified": classification, "smallest_class": None}
    if cv is not None and not isinstance(cv, int | str):
        return cv, plan | {"kind": "given", "folds": None, "stratified": False}
    folds = cv if isinstance(cv, int) else (3 if n_rows >= LARGE else FOLDS)
    if classification and groups is None and cv != "time":
        smallest = int(np.bincount(y).min()) if len(y) else 0
        if 2 <= smallest < folds:
            folds = plan["smallest_class"] = smallest
    if cv == "time":
        return TimeSeriesSplit(n_splits=FOLDS), plan | {
            "kind": "time",
            "folds": FOLDS,
            "stratified": False,
        }
    if groups is not None:
        n_groups = len(np.unique(groups))
        folds = min(folds, n_groups)
        if n_groups < 2:
            raise DataError("groups: at least 2 distinct groups are needed to cross-validate")
        splitter = (
            StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=random_state)
            if classification
            else GroupKFold(n_splits=folds)
        )
        return splitter, plan | {"kind": "group", "folds": folds, "groups": n_groups}
    if n_rows < SMALL:
        kind = RepeatedStratifiedKFold if classification else RepeatedKFold
        splitter = kind(n_splits=folds, n_repeats=3, random_state=random_state)
        return splitter, plan | {"kind": "repeated", "folds": folds, "repeats": 3}
    kind = StratifiedKFold if classification else KFold
    splitter = kind(n_splits=folds, shuffle=True, random_state=random_state)
    return splitter, plan | {"kind": "kfold", "folds": folds}


def _in_words(plan: dict, cv) -> str:
    stratified = "stratified " if plan["stratified"] else ""
    kind, folds = plan["kind"], plan["folds"]
    if kind == "given":
        return f"the splitter given: {cv!r}"
    if kind == "time":
        why = (
            f"time-ordered splits ({folds}): each fold validates on rows later than those it "
            "trains on, as the model will be used on the future"
        )
    elif kind == "group":
        why = (
            f"group {folds}-fold: the {plan['groups']:,} groups never straddle training and "
            "validation, so the score is that of a new group"
        )
    elif kind == "repeated":
        why = (
            f"{stratified}{folds}-fold repeated 3 times: "
            f"with {plan['rows']:,} rows one split is too noisy to compare models"
        )
    else:
        why = f"{stratified}{folds}-fold" + (
            " (stratified keeps each class's share in every fold)" if plan["stratified"] else ""
        )
    if plan["smallest_class"] is not None:
        why += f" (only {folds} folds: the smallest class has {plan['smallest_class']} members)"
    return why
