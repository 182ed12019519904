"""Prometheus metrics of the API: requests, latency, errors, predictions by class."""

from collections import Counter as Tally

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)


class ServeMetrics:
    """The API's metrics, in a registry of their own (one per app)."""

    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "atelier_requests",
            "HTTP requests by route, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "atelier_request_duration_seconds",
            "Time to answer a request, by route",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "atelier_errors",
            "Requests answered with a 4xx or 5xx status, by route and status",
            ["route", "status"],
            registry=self.registry,
        )
        self.predictions = Counter(
            "atelier_predictions",
            "Records scored, by predicted class or decision",
            ["label"],
            registry=self.registry,
        )

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route).observe(seconds)
        if status >= 400:
            self.errors.labels(route, str(status)).inc()

    def count_predictions(self, labels: list) -> None:
        """Count scored records by label (regression values are counted as one label)."""
        if labels and isinstance(labels[0], float):
            self.predictions.labels("value").inc(len(labels))
            return
        for label, count in Tally(map(str, labels)).items():
            self.predictions.labels(label).inc(count)

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in Prometheus' text format, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
