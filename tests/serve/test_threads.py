import threading

import lightgbm
import numpy as np
from sklearn.datasets import make_classification
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from atelier.learn._boosting import EarlyStoppedClassifier
from atelier.serve._threads import MANY_ROWS, ThreadCounts


def _served_model():
    X, y = make_classification(n_samples=3_000, n_features=8, random_state=0)
    booster = EarlyStoppedClassifier(library="lightgbm", n_jobs=2, random_state=0)
    return Pipeline([("scale", StandardScaler()), ("model", booster)]).fit(X, y), X


def _inner(model) -> lightgbm.LGBMClassifier:
    return model.named_steps["model"].model_


def test_a_served_model_predicts_on_one_thread_and_on_its_own_for_large_batches():
    model, X = _served_model()
    expected = model.predict_proba(X)
    threads = ThreadCounts(model)
    assert len(threads) == 2  # the wrapper's n_jobs and the fitted LightGBM model's
    assert _inner(model).n_jobs == 1
    with threads.for_rows(MANY_ROWS - 1):
        assert _inner(model).n_jobs == 1
    with threads.for_rows(MANY_ROWS):
        assert _inner(model).n_jobs == 2
        np.testing.assert_allclose(model.predict_proba(X), expected)
    assert _inner(model).n_jobs == 1
    np.testing.assert_allclose(model.predict_proba(X), expected)


def test_overlapping_large_batches_keep_the_threads_until_the_last_ends():
    model, _ = _served_model()
    threads = ThreadCounts(model)
    first_in, second_done = threading.Event(), threading.Event()
    seen = []

    def first():
        with threads.for_rows(MANY_ROWS):
            first_in.set()
            second_done.wait(10)
            seen.append(_inner(model).n_jobs)  # the second call has ended meanwhile

    worker = threading.Thread(target=first)
    worker.start()
    first_in.wait(10)
    with threads.for_rows(MANY_ROWS):
        pass
    second_done.set()
    worker.join(10)
    assert seen == [2]
    assert _inner(model).n_jobs == 1
