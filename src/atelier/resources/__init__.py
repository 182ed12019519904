"""What the machine has, against what the project measured it needs."""

from atelier.resources._machine import machine, services
from atelier.resources._stage import ResourcesResult, resources

__all__ = ["ResourcesResult", "machine", "resources", "services"]
