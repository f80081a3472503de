"""The seam between the runner and the load: the built-in workload or Locust.

Both engines expose the same three things (:class:`LoadEngine`): ``run(submit_until,
drain_until)``, live ``counts`` for progress output, and ``stop_submitting``. Which one
runs is the scenario's ``workload.engine``; the built-in one stays the default.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from harness.clock import Clock
from harness.load.engine import LocustWorkload
from harness.observe import Journal
from harness.scenario import Scenario
from harness.targets import SutClient
from harness.workload import Workload, WorkloadCounts

__all__ = ["LoadEngine", "open_engine"]


class LoadEngine(Protocol):
    """What the runner needs from a load engine."""

    @property
    def counts(self) -> WorkloadCounts: ...

    def stop_submitting(self, drain_until: float | None = None) -> None: ...

    async def run(self, submit_until: float, drain_until: float) -> None: ...


@asynccontextmanager
async def open_engine(
    scenario: Scenario, client: SutClient, sut_url: str, clock: Clock, journal: Journal
) -> AsyncIterator[LoadEngine]:
    """Start the scenario's load engine (before the scenario clock starts) and yield it.

    Locust's files go to ``<run folder>/locust/``.
    """
    if scenario.workload.engine == "locust":
        locust = LocustWorkload(scenario, sut_url, clock, journal, journal.path.parent / "locust")
        async with locust.running() as engine:
            yield engine
        return
    yield Workload(scenario.workload, client, clock, journal, scenario.seed)
