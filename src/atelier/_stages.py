"""The stages of a run, in order, and where each keeps its artifacts.

The runner runs them and the report reads their artifacts; both import this
foundation module, and neither imports the other.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    """A stage as the runner and the report see it.

    Attributes
    ----------
    name : str
        Its name, also the folder of its artifacts unless ``folder`` says otherwise.
    upstream : tuple of str
        The stages whose artifacts it reads. The charter sections it reads are not
        listed: the runner records them while the stage runs.
    always : bool
        Run it every time: it checks its own inputs (ingest reads each source's
        content hash and reloads only what changed).
    folder : str or None
        Its artifacts folder, when not named after the stage.
    """

    name: str
    upstream: tuple[str, ...]
    always: bool = False
    folder: str | None = None

    @property
    def artifacts(self) -> str:
        """The name of its folder under ``.atelier/artifacts/``."""
        return self.folder or self.name


STAGES = (
    Stage("ingest", (), always=True),
    Stage("privacy", ("ingest",)),
    Stage("profile", ("ingest",)),
    Stage("clean", ("ingest", "profile")),
    Stage("explore", ("profile", "clean")),
    Stage("train", ("ingest", "profile", "clean"), folder="learn"),
    Stage("segments", ("profile", "clean")),
    Stage("deep", ("ingest", "profile", "clean", "train")),
    # after deep: the served model is audited, the network when it beat the classical one
    Stage("fairness", ("ingest", "profile", "clean", "train", "deep")),
    # last: its progress reads which stages completed (run.json), which changes each run
    Stage("plan", (), always=True),
    # the peak memory and CPU time of every stage before it, against the machine's
    Stage("resources", (), always=True),
    # the methods every stage used, the measurements the partners are chosen from, the
    # information system with the servers resources found answering or not
    Stage("landscape", (), always=True),
    # the big-data choice, sized from what every stage and check measured
    Stage("scale", (), always=True),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)
BY_NAME = {stage.name: stage for stage in STAGES}
