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
    n_rows = len(y)
    classification = task != REGRESSION
    if cv is not None and not isinstance(cv, int | str):
        splits = list(cv.split(np.zeros(n_rows), y, groups))
        return splits, f"the splitter given: {cv!r}"
    folds = cv if isinstance(cv, int) else (3 if n_rows >= LARGE else FOLDS)
    reduced = ""
    if classification and groups is None and cv != "time":
        smallest = int(np.bincount(y).min()) if len(y) else 0
        if 2 <= smallest < folds:
            folds = smallest
            reduced = f" (only {folds} folds: the smallest class has {smallest} members)"
    if cv == "time":
        splitter = TimeSeriesSplit(n_splits=FOLDS)
        why = (
            f"time-ordered splits ({FOLDS}): each fold validates on rows later than those it "
            "trains on, as the model will be used on the future"
        )
    elif groups is not None:
        n_groups = len(np.unique(groups))
        folds = min(folds, n_groups)
        if n_groups < 2:
            raise DataError("groups: at least 2 distinct groups are needed to cross-validate")
        splitter = (
            StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=random_state)
            if classification
            else GroupKFold(n_splits=folds)
        )
        why = (
            f"group {folds}-fold: the {n_groups:,} groups never straddle training and "
            "validation, so the score is that of a new group"
        )
    elif n_rows < SMALL:
        kind = RepeatedStratifiedKFold if classification else RepeatedKFold
        splitter = kind(n_splits=folds, n_repeats=3, random_state=random_state)
        why = (
            f"{'stratified ' if classification else ''}{folds}-fold repeated 3 times: "
            f"with {n_rows:,} rows one split is too noisy to compare models"
        )
    else:
        kind = StratifiedKFold if classification else KFold
        splitter = kind(n_splits=folds, shuffle=True, random_state=random_state)
        why = f"{'stratified ' if classification else ''}{folds}-fold" + (
            " (stratified keeps each class's share in every fold)" if classification else ""
        )
    return list(splitter.split(np.zeros(n_rows), y, groups)), why + reduced
