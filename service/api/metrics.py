"""Prometheus metrics, one registry per app: requests, latencies, appends, the log's head and projection lag.

With several worker processes (`accord serve --workers N`) each counts in
files of a directory they share, prometheus_client's multiprocess mode, and
`/metrics` adds them up, whichever worker answers the scrape.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

SHARED_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own variable
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Lag(Collector):
    """Read at each scrape: the head of the log and how far behind it each projection is."""

    def __init__(self, read: Callable[[], tuple[int, dict[str, int]]]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        try:
            head, positions = self._read()
        except Exception:  # the database is down: say so, and let the request counters still be scraped
            yield GaugeMetricFamily("accord_database_up", "Whether the database answered this scrape", value=0)
            return
        yield GaugeMetricFamily("accord_database_up", "Whether the database answered this scrape", value=1)
        yield GaugeMetricFamily("accord_log_head_position", "Position of the last event in the log", value=head)
        lag = GaugeMetricFamily("accord_projection_lag_events", "Events in the log a projection has not folded yet", labels=["projection"])
        position = GaugeMetricFamily("accord_projection_position", "Last position a projection has folded", labels=["projection"])
        for name, reached in sorted(positions.items()):
            lag.add_metric([name], max(head - reached, 0))
            position.add_metric([name], reached)
        yield lag
        yield position


@contextmanager
def shared_metrics() -> Iterator[None]:
    """A directory for the counters of worker processes started inside this block.

    prometheus_client reads the variable when it is first imported, so it is set
    before the workers start; a directory the operator named is used as it is.
    """
    if os.environ.get(SHARED_DIR):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="accord-metrics-") as directory:
        os.environ[SHARED_DIR] = directory
        try:
            yield
        finally:
            del os.environ[SHARED_DIR]


class Metrics:
    def __init__(self) -> None:
        self.shared = bool(os.environ.get(SHARED_DIR))
        self._lag: _Lag | None = None
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "accord_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "accord_http_request_duration_seconds", "Time to answer an HTTP request (to its last byte)",
            ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.appended = Counter("accord_events_appended", "Events appended through this server", registry=self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def watch(self, read: Callable[[], tuple[int, dict[str, int]]]) -> None:
        """Report the log's head and the projections' lag, as `read` gives them at each scrape."""
        self._lag = _Lag(read)
        self.registry.register(self._lag)

    def exposition(self) -> bytes:
        """The Prometheus text of every metric: this process's, or every worker's added up."""
        if not self.shared:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        if self._lag is not None:
            registry.register(self._lag)
        return generate_latest(registry)
