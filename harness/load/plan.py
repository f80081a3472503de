"""The built-in workload's jobs, decided by the seed before any of them is sent.

Every job's arrival time (scenario seconds), circuit, canary nonce, fingerprint angle,
tenant, display name, shots and first-poll jitter come from named seed streams
(:mod:`plumbing.seeds`: ``arrivals``, ``jobmix``, ``names``, ``fingerprints``,
``polls``), each drawn once per job, job after job, by :meth:`JobPlan.next`. A noisy
tenant (``workload.noisy``) is a second Poisson stream of its own (``noisy`` arrivals,
``noisy-mix`` circuits) merged in by due time, every job of it the first tenant's. Nothing
here awaits, so task scheduling, a slow SUT or a late harness can never change which
jobs a seed makes or when they are due: two runs with one seed submit the very same
jobs at the same scenario times (the *due* time; how late the harness actually sent
each one is measured and reported as instrument lag).

>>> import math

from harness.load.config import WorkloadConfig
>>> a = JobPlan(WorkloadConfig(rate=1.0), seed=7).until(60.0)
>>> b = JobPlan(WorkloadConfig(rate=1.0), seed=7).until(60.0)
>>> a == b and len(a) > 30
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from harness.load.circuits import Circuit, tag_of
from harness.load.config import WorkloadConfig
from harness.load.jobmix import JobMix
from plumbing.seeds import stream

__all__ = ["JobPlan", "PlannedJob"]

#: the first poll of a job waits this share of the poll interval, drawn per job: it
#: spreads the polls of jobs that arrived together
FIRST_POLL = (0.2, 1.0)


@dataclass(frozen=True, slots=True)
class PlannedJob:
    """One job of the plan: what to submit, for whom, and when it is due."""

    index: int
    key: str
    due: float
    circuit: Circuit
    tenant: str
    name: str
    shots: int
    first_poll: float


class JobPlan:
    """The sequence of jobs a seed makes for a workload (see the module docstring)."""

    def __init__(self, config: WorkloadConfig, seed: int, *, start: float = 0.0) -> None:
        if not config.rate > 0:
            raise ValueError(f"rate must be > 0, got {config.rate}")
        self.config = config
        self.seed = seed
        self._arrivals = stream(seed, "arrivals")
        self._polls = stream(seed, "polls")
        self._offset = stream(seed, "fingerprints").random()
        self._mix = JobMix(seed, config.circuits, config.tenants, idle_us=config.idle_us)
        self._t = start + self._arrivals.expovariate(config.rate)  # the next main arrival
        self._n = 0
        self._noisy_t = math.inf
        if (noisy := config.noisy) is not None:
            self._noisy_arrivals = stream(seed, "noisy")
            self._noisy_mix = JobMix(
                seed, config.circuits, config.tenants, stream(seed, "noisy-mix"), config.idle_us
            )
            self._noisy_t = max(start, noisy.at) + self._noisy_arrivals.expovariate(noisy.rate)

    @property
    def tenants(self) -> list[str]:
        return self._mix.tenants

    def next(self) -> PlannedJob:
        """The next job (the earlier of the main and the noisy stream's next arrival);
        each of its streams is drawn exactly once per job, in a fixed order."""
        self._n += 1
        noisy = self.config.noisy
        if noisy is not None and self._noisy_t < min(self._t, noisy.end):
            due = self._noisy_t
            self._noisy_t += self._noisy_arrivals.expovariate(noisy.rate)
            drawn = self._noisy_mix.draw(tag=tag_of(self._n, self._offset))
            tenant = self._noisy_mix.tenants[0]
        else:
            due = self._t
            self._t += self._arrivals.expovariate(self.config.rate)
            drawn = self._mix.draw(tag=tag_of(self._n, self._offset))
            tenant = drawn.tenant
        lo, hi = FIRST_POLL
        return PlannedJob(
            index=self._n,
            key=f"wl-{self.seed}-{self._n:05d}",
            due=due,
            circuit=drawn.circuit,
            tenant=tenant,
            name=drawn.name,
            shots=self.config.shots,
            first_poll=self.config.poll_interval * self._polls.uniform(lo, hi),
        )

    def until(self, end: float) -> list[PlannedJob]:
        """Every job due before scenario time ``end`` (advances the plan past them)."""
        out = []
        while (job := self.next()).due < end:
            out.append(job)
        return out
