"""AutoClassifier and AutoRegressor against scikit-learn's own estimator checks."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from atelier import AutoClassifier, AutoRegressor

pytestmark = pytest.mark.slow

# A few trials of one family keep each check fast and the search reproducible;
# drop_leaks=False because the checks' synthetic blobs are separable by a single
# feature, which in business data would be a leak.
SETTINGS = dict(
    time_budget=300,  # a ceiling: max_trials decides, on a busy machine too
    max_trials=4,
    cv=3,
    families=["linear"],
    random_state=0,
    n_jobs=1,
    drop_leaks=False,
)


@parametrize_with_checks([AutoClassifier(**SETTINGS), AutoRegressor(**SETTINGS)])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
