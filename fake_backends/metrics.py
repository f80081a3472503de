"""``GET /metrics``: one fake cloud's state in Prometheus text format.

Each cloud has its own registry (no global state) with a collector that reads the
live state at scrape time: queue depth and running jobs, client jobs by state,
executions by outcome, background jobs, calibration version and age (of the served
properties: a stale-properties fault shows here), active faults, Aer batch calls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from fake_backends.cloud import FakeCloud
from fake_backends.queue import JobStatus
from fake_backends.switches import SETTINGS

__all__ = ["CloudCollector", "metrics_handler"]

#: every fault /metrics reports: the settings, and the states held outside them
_FAULTS = (
    *(kind.name for kind in SETTINGS),
    "maintenance",
    "token_endpoint_status",
    "stale_properties",
)


class CloudCollector(Collector):
    """Reads one cloud's state whenever the registry is scraped."""

    def __init__(self, cloud: FakeCloud) -> None:
        self.cloud = cloud

    def collect(self) -> Iterator[Metric]:
        c = self.cloud
        b = [c.name]
        yield _gauge("qgameday_queue_depth", "Jobs waiting for a slot", b, c.queue.depth)
        yield _gauge("qgameday_jobs_running", "Jobs holding a slot", b, c.queue.running)
        yield _gauge("qgameday_slots", "Execution slots", b, c.queue.slots)
        jobs = GaugeMetricFamily(
            "qgameday_jobs", "Client jobs by state", labels=["backend", "state"]
        )
        for state in JobStatus:
            jobs.add_metric([c.name, state.value], c.queue.states[state.value])
        yield jobs
        execs = CounterMetricFamily(
            "qgameday_executions", "Client job executions by outcome", labels=["backend", "status"]
        )
        for status in (JobStatus.DONE, JobStatus.ERROR):
            execs.add_metric([c.name, status.value], c.queue.executions[status.value])
        yield execs
        yield _counter(
            "qgameday_background_jobs", "Other tenants' jobs finished", b, c.queue.background_done
        )
        yield _gauge(
            "qgameday_background_rate", "Other tenants' arrival rate (jobs/s)", b, c.background.rate
        )
        cal = c.calibration
        yield _gauge(
            "qgameday_calibration_version",
            "Version of the served calibration",
            b,
            cal.served.version,
        )
        yield _gauge(
            "qgameday_calibration_age_seconds",
            "Scenario seconds since the served properties were updated",
            b,
            cal.age(),
        )
        yield _counter(
            "qgameday_aer_batches",
            "Aer batch calls that ran this backend's jobs",
            b,
            c.executor.batches_of(c.name),
        )
        active = set(c.switches.active())
        if cal.stale:
            active.add("stale_properties")
        faults = GaugeMetricFamily(
            "qgameday_fault_active", "1 while a fault is on", labels=["backend", "fault"]
        )
        for name in _FAULTS:
            faults.add_metric([c.name, name], 1.0 if name in active else 0.0)
        yield faults


def _gauge(name: str, doc: str, labels: list[str], value: float) -> GaugeMetricFamily:
    g = GaugeMetricFamily(name, doc, labels=["backend"] if labels else [])
    g.add_metric(labels, value)
    return g


def _counter(name: str, doc: str, labels: list[str], value: float) -> CounterMetricFamily:
    m = CounterMetricFamily(name, doc, labels=["backend"] if labels else [])
    m.add_metric(labels, value)
    return m


def metrics_handler(cloud: FakeCloud) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp handler serving ``cloud``'s metrics (no auth, like /healthz)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CloudCollector(cloud))

    async def handler(request: web.Request) -> web.Response:
        resp = web.Response(body=generate_latest(registry))
        resp.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return resp

    return handler
