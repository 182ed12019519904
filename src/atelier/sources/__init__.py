"""Reading data sources: files, databases and HTTP APIs, each fingerprinted by content."""

from atelier.sources._dispatch import snapshot_source
from atelier.sources._snapshot import SourceSnapshot

__all__ = ["SourceSnapshot", "snapshot_source"]
