"""A project on disk: its charter, its warehouse and its artifacts."""

from functools import cached_property
from pathlib import Path

from atelier.charter import CHARTER_FILE, Charter, load_charter
from atelier.exceptions import StageOrderError

STATE_DIR = ".atelier"
WAREHOUSE_FILE = "warehouse.duckdb"


def resolve_path(root: Path, path: str) -> Path:
    """A path written in the charter, relative to the project folder unless absolute."""
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else root / candidate


class Project:
    """A project folder: ``atelier.yaml``, ``data/`` and the ``.atelier/`` state.

    Parameters
    ----------
    root : Path
        The project folder.
    charter : Charter
        Its validated charter.

    Examples
    --------
    After ``atelier demo demo-project``:

    >>> project = Project.load("demo-project")  # doctest: +SKIP
    >>> sql = "SELECT count(DISTINCT customer_id) FROM mart.customers"
    >>> project.warehouse.execute(sql).fetchone()  # doctest: +SKIP
    (7043,)
    """

    def __init__(self, root: Path, charter: Charter) -> None:
        self.root = Path(root)
        self.charter = charter

    @classmethod
    def load(cls, directory: str | Path) -> "Project":
        """Load the project in ``directory``, validating its charter."""
        root = Path(directory).resolve()
        return cls(root, load_charter(root / CHARTER_FILE))

    @property
    def charter_path(self) -> Path:
        """The charter file."""
        return self.root / CHARTER_FILE

    @property
    def state_dir(self) -> Path:
        """The ``.atelier/`` folder holding everything atelier writes."""
        return self.root / STATE_DIR

    @property
    def warehouse_path(self) -> Path:
        """The DuckDB warehouse file."""
        return self.state_dir / WAREHOUSE_FILE

    @property
    def artifacts_dir(self) -> Path:
        """The folder holding one subfolder of artifacts per stage."""
        return self.state_dir / "artifacts"

    def artifact_dir(self, stage: str) -> Path:
        """The artifacts folder of one stage (it may not exist yet)."""
        return self.artifacts_dir / stage

    def resolve(self, path: str) -> Path:
        """A path of the charter, relative to the project folder unless absolute."""
        return resolve_path(self.root, path)

    def connect(self, *, read_only: bool = True):
        """Open a new connection to the warehouse.

        Parameters
        ----------
        read_only : bool, default=True
            Open read-only, so that several readers can share the file.

        Returns
        -------
        duckdb.DuckDBPyConnection
        """
        import duckdb

        from atelier._config import duckdb_config

        if not self.warehouse_path.exists():
            raise StageOrderError(
                f"{self.root}: no warehouse yet; run `atelier ingest -p {self.root}` first"
            )
        return duckdb.connect(str(self.warehouse_path), read_only=read_only, config=duckdb_config())

    @cached_property
    def warehouse(self):
        """A read-only connection to the warehouse, opened on first use."""
        return self.connect(read_only=True)

    def close(self) -> None:
        """Close the warehouse connection if one was opened."""
        connection = self.__dict__.pop("warehouse", None)
        if connection is not None:
            connection.close()

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Project({self.root.as_posix()!r}, name={self.charter.project.name!r})"
