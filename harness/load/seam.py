"""The seam between the runner and the load: the built-in workload or Locust.

Both engines expose the same three things (:class:`LoadEngine`): ``run(submit_until,
drain_until)``, live ``counts`` for progress output, and ``stop_submitting``. Which one
runs is the scenario's ``workload.engine`` (the runner opens it); the built-in one
(:class:`~harness.load.workload.Workload`) stays the default, Locust is
:class:`~harness.load.locust_engine.LocustWorkload`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["LoadEngine", "WorkloadCounts"]


@dataclass(frozen=True, slots=True)
class WorkloadCounts:
    """Live counters for progress output (scoring uses the journal, not these)."""

    submitted: int
    ok: int
    failed: int
    outstanding: int


class LoadEngine(Protocol):
    """What the runner needs from a load engine."""

    @property
    def counts(self) -> WorkloadCounts: ...

    def stop_submitting(self, drain_until: float | None = None) -> None: ...

    async def run(self, submit_until: float, drain_until: float) -> None: ...
