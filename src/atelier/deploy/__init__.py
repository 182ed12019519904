"""The cloud deployment kit: a Dockerfile, Kubernetes manifests, a Spark scoring Job."""

from atelier.deploy._kit import KIT_DIR, TARGETS, DeployResult, deploy

__all__ = ["KIT_DIR", "TARGETS", "DeployResult", "deploy"]
