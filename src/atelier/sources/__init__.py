"""Reading data sources: files, databases and HTTP APIs, each fingerprinted by content."""

from atelier.sources._delimited import read_delimited
from atelier.sources._dispatch import snapshot_source
from atelier.sources._snapshot import SourceSnapshot

__all__ = ["SourceSnapshot", "read_delimited", "snapshot_source"]
