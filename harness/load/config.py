"""The ``workload:`` section of a scenario as a value: the load either engine drives.

Parsed by :mod:`harness.scenario.parse`; read by the built-in
:class:`~harness.load.workload.Workload` and the Locust engine
(:mod:`harness.load.locust_engine`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from harness.load.loops import LoopConfig

__all__ = ["NoisyTenant", "WorkloadConfig"]


@dataclass(frozen=True, slots=True)
class NoisyTenant:
    """One tenant (the run's first) sends ``rate`` more jobs per scenario second from
    ``at`` for ``duration``: a noisy neighbour of the others (``workload.noisy``)."""

    rate: float
    at: float
    duration: float

    @property
    def end(self) -> float:
        return self.at + self.duration


@dataclass(frozen=True, slots=True)
class WorkloadConfig:
    """The load: the built-in engine's Poisson arrivals, or Locust users.

    ``engine: locust`` runs ``users`` Locust users (``locustfile``: ``reference``, or a
    path relative to the scenario file) in ``processes`` processes; each submits a job,
    follows it, then thinks for about ``think_time`` (scenario seconds).
    """

    rate: float = 0.2
    circuits: tuple[str, ...] = ("bell", "ghz-3", "ghz-5")
    shots: int = 1024
    poll_interval: float = 15.0
    tenants: int = 3
    submit_timeout: float = 30.0
    idle_us: float = 0.0  # scheduled idle before measurement (device time, not scaled)
    engine: Literal["builtin", "locust"] = "builtin"
    users: int = 10
    spawn_rate: float = 10.0
    locustfile: str = "reference"
    processes: int = 1
    think_time: float = 10.0
    noisy: NoisyTenant | None = None  # built-in engine only
    loops: LoopConfig | None = None  # built-in engine only

    @property
    def peak_rate(self) -> float:
        """Jobs per scenario second at the busiest (a noisy tenant's on top)."""
        return self.rate + (self.noisy.rate if self.noisy is not None else 0.0)
