"""The search's tuned trials run in parallel on Spark executors.

Each Spark task is one worker of :mod:`atelier.learn._parallel`: it loads the
search's studies from the shared database, runs trials while tickets are left
to claim (or time, without ``max_trials``), and sends their records back. The rows
and the search travel once, as a broadcast value. A task whose process dies is run
again by Spark where its master allows retries (``local[N,F]``, any cluster); where
it does not, the job is submitted once more.
Either way the rerun finds the trial left unfinished and runs it again.

A rerun takes over its worker index, so the index's earlier run must be over. When
a job fails, Spark cancels its other tasks, but a cancelled task's Python process
may run on until Spark kills it, after ``spark.python.task.killTimeout``. The job
is therefore submitted again only once twice that time has passed.
"""

import logging
import re
import time
from dataclasses import dataclass

from atelier.charter import SparkSettings
from atelier.learn._parallel import gathered, run_worker, worker_state
from atelier.scale._session import spark_session
from atelier.sources._snapshot import first_line

SUBMISSIONS = 2  # a job that failed (a task died past its retries) is submitted once more
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SparkTrials:
    """Run a search's tuned trials on ``workers`` Spark tasks at once.

    Parameters
    ----------
    settings : SparkSettings
        The charter's ``spark:`` section (its master runs the tasks).
    workers : int
        Trials run at the same time; each uses its share of the search's threads.

    Examples
    --------
    >>> from atelier.charter import SparkSettings
    >>> SparkTrials(SparkSettings(master="local[2]"), workers=2).workers
    2
    """

    settings: SparkSettings
    workers: int = 2

    def tune(self, search, X, y) -> list:
        """Run the tuned trials of ``search`` (its studies in a database); return them.

        Parameters
        ----------
        search : atelier.learn._search.Search
            After its warm start; its setup's ``storage`` is shared by the workers.
        X : DataFrame
        y : ndarray

        Returns
        -------
        list of TrialRecord
        """
        import cloudpickle
        from py4j.protocol import Py4JJavaError

        spark = spark_session(self.settings)
        context = spark.sparkContext
        # the families build their models with closures: cloudpickle carries them
        payload = context.broadcast(cloudpickle.dumps(worker_state(search, X, y, self.workers)))

        def task(index, _):
            import cloudpickle

            yield cloudpickle.dumps(run_worker(cloudpickle.loads(payload.value), index))

        tasks = context.parallelize(range(self.workers), self.workers)
        context.setJobDescription(f"atelier: {self.workers} workers of tuned trials")
        returned = []
        try:
            for submission in range(SUBMISSIONS):
                try:
                    sent = tasks.mapPartitionsWithIndex(task).collect()
                except Py4JJavaError as error:  # a task died past its retries
                    log.warning("tuned trials: the Spark job failed: %s", first_line(error))
                    if submission == SUBMISSIONS - 1:
                        break  # what was told is rebuilt from the studies
                    time.sleep(2 * _kill_timeout_s(context) + 1)  # the cancelled tasks' end
                    continue
                returned = [record for blob in sent for record in cloudpickle.loads(blob)]
                break
        finally:
            payload.destroy()
        return gathered(search, returned, self.workers)


def _kill_timeout_s(context) -> float:
    """Seconds Spark waits before killing a cancelled task's Python process (``2s``)."""
    value = context.getConf().get("spark.python.task.killTimeout", "2s")
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s|m)?", value.strip())
    if match is None:
        return 2.0
    number, unit = float(match[1]), match[2] or "s"
    return number / 1000 if unit == "ms" else number * 60 if unit == "m" else number
