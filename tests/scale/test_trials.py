"""Tuned trials in parallel on Spark executors, their studies in PostgreSQL."""

import os
import signal
import threading
import time

import optuna
import pytest
from sklearn.datasets import make_classification

from atelier import AutoClassifier
from atelier.charter import SparkSettings
from atelier.scale._trials import SparkTrials
from tests.scale.conftest import SPARK, STUDIES

pytestmark = [pytest.mark.slow, pytest.mark.servers]


def _search(storage, max_trials: int) -> AutoClassifier:
    X, y = make_classification(3_000, 20, random_state=0)
    return AutoClassifier(
        families=["lightgbm"],
        max_trials=max_trials,
        random_state=0,
        n_jobs=2,
        time_budget=600,
        storage=storage,
        parallel=SparkTrials(SparkSettings(**SPARK), workers=2),
    ).fit(X, y)


def _trials(storage, model) -> list:
    return optuna.load_study(
        study_name=f"{model.study_prefix_}.lightgbm", storage=storage
    ).get_trials(deepcopy=False)


def test_two_workers_share_one_study(spark, storage):
    # the baseline, three defaults (LightGBM's own first), six tuned
    model = _search(storage, max_trials=10)
    trials = _trials(storage, model)
    tuned = [t for t in trials if "worker" in t.user_attrs]
    assert len(tuned) == 6
    assert {t.user_attrs["worker"] for t in tuned} == {0, 1}
    assert len({t.user_attrs["pid"] for t in tuned}) == 2  # two processes at once
    board = model.leaderboard_
    assert sorted(board.loc[board["origin"] == "tuned", "trial"]) == list(range(4, 10))
    assert any("6 tuned trials ran on 2 parallel workers" in n for n in model.notes_)


def test_a_worker_killed_mid_trial_loses_no_trial(spark, storage):
    known = {study.study_name for study in storage.get_all_studies()}
    killed = []

    def kill_one_running_worker():
        # the first tuned trial seen running has its process killed, as a lost executor
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            for summary in storage.get_all_studies():
                if summary.study_name in known:
                    continue
                study = optuna.load_study(study_name=summary.study_name, storage=storage)
                for trial in study.get_trials(states=(optuna.trial.TrialState.RUNNING,)):
                    if "pid" not in trial.user_attrs:  # its parameters not drawn yet
                        continue
                    pid = trial.user_attrs["pid"]
                    # frozen, then checked still on that trial: it cannot finish in between
                    os.kill(pid, signal.SIGSTOP)
                    now = {t.number: t.state for t in study.get_trials(deepcopy=False)}
                    if now[trial.number].is_finished():
                        os.kill(pid, signal.SIGCONT)
                        continue
                    os.kill(pid, signal.SIGKILL)
                    killed.append(trial.number)
                    return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_running_worker)
    killer.start()
    model = _search(storage, max_trials=10)
    killer.join()
    assert killed, "no running trial was seen"
    trials = {t.number: t for t in _trials(storage, model)}
    assert trials[killed[0]].state == optuna.trial.TrialState.FAIL
    reruns = [t for t in trials.values() if t.user_attrs.get("rerun_of") == killed[0]]
    assert len(reruns) == 1 and reruns[0].state != optuna.trial.TrialState.FAIL
    assert reruns[0].params == trials[killed[0]].params
    # every trial asked was told, and exactly the six tuned trials asked for count
    told = [t for t in trials.values() if "record" in t.user_attrs and "worker" in t.user_attrs]
    assert len(told) == 6
    assert all(t.state != optuna.trial.TrialState.RUNNING for t in trials.values())
    board = model.leaderboard_
    assert (board["origin"] == "tuned").sum() == 6
    assert any("trials whose worker died were run again" in n for n in model.notes_)


def test_a_sequential_search_keeps_its_studies_in_the_database(storage):
    X, y = make_classification(300, 5, random_state=0)
    model = AutoClassifier(
        families=["linear"], max_trials=5, random_state=0, storage=STUDIES, time_budget=600
    ).fit(X, y)
    trials = optuna.load_study(
        study_name=f"{model.study_prefix_}.linear", storage=storage
    ).get_trials(deepcopy=False)
    assert len(trials) == 4  # the baseline is no study's
    assert all(t.user_attrs["record"]["family"] == "linear" for t in trials)


def test_a_study_database_that_refuses_is_one_line_without_its_password():
    from atelier.exceptions import DataError

    X, y = make_classification(100, 4, random_state=0)
    model = AutoClassifier(
        families=["linear"], max_trials=2, storage="postgresql+psycopg://u:s3cret@127.0.0.1:1/test"
    )
    refused = r"^training.storage: the study database .*\*\*\*"
    with pytest.raises(DataError, match=refused) as caught:
        model.fit(X, y)
    assert "\n" not in str(caught.value) and "s3cret" not in str(caught.value)


def test_parallel_trials_without_a_shared_database_are_refused():
    X, y = make_classification(100, 4, random_state=0)
    parallel = SparkTrials(SparkSettings(**SPARK), workers=2)
    with pytest.raises(ValueError, match="give storage"):
        AutoClassifier(max_trials=2, parallel=parallel).fit(X, y)
