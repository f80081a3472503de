"""Who runs next: service time distribution, priorities and fair share by tenant.

Pure bookkeeping on the scenario clock, no asyncio: :mod:`fake_backends.queue` drives it
and the unit tests drive it with made-up times.

- :class:`ServiceTime`: per-job overhead + per-shot time; with ``cv > 0`` each job's
  time is drawn from a lognormal distribution with that mean and coefficient of
  variation (a real device's QPU time varies), seeded by the caller's RNG.
- :class:`WaitingRoom`: queued jobs by priority (higher first), then, with fair share
  on, by tenant: the tenant that used the least device time recently goes next
  (usage decays with a half-life), each tenant's own jobs in arrival order. Without
  fair share, arrival order within a priority.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

__all__ = ["FairShare", "Queued", "ServiceTime", "WaitingRoom", "estimate_starts"]


@dataclass(frozen=True, slots=True)
class ServiceTime:
    """Scenario seconds a job holds its slot: ``per_job + per_shot * shots`` on average."""

    per_job: float = 1.0
    per_shot: float = 0.0
    cv: float = 0.0

    def __post_init__(self) -> None:
        if self.per_job < 0 or self.per_shot < 0 or self.cv < 0:
            raise ValueError(f"service time parts must be >= 0: {self}")

    def of(self, shots: int) -> float:
        """The mean service time of a job of ``shots`` shots."""
        return self.per_job + self.per_shot * shots

    def sample(self, shots: int, rng: random.Random) -> float:
        """One job's service time: the mean, or a lognormal draw around it if ``cv > 0``."""
        mean = self.of(shots)
        if self.cv <= 0 or mean <= 0:
            return mean
        sigma2 = math.log(1 + self.cv**2)
        return rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))


class Queued(Protocol):
    """What the waiting room needs to know about a job."""

    @property
    def tenant(self) -> str: ...

    @property
    def priority(self) -> int: ...

    @property
    def shots(self) -> int: ...


J = TypeVar("J", bound=Queued)


class FairShare:
    """Device seconds used per tenant, decaying with ``halflife`` scenario seconds."""

    def __init__(self, halflife: float = 600.0) -> None:
        self._rate = math.log(2) / halflife if halflife > 0 else 0.0
        self._usage: dict[str, tuple[float, float]] = {}

    def charge(self, tenant: str, seconds: float, now: float) -> None:
        self._usage[tenant] = (self.usage(tenant, now) + seconds, now)

    def usage(self, tenant: str, now: float) -> float:
        used, at = self._usage.get(tenant, (0.0, now))
        return used * math.exp(-self._rate * max(0.0, now - at))

    def snapshot(self, now: float) -> dict[str, float]:
        return {t: self.usage(t, now) for t in self._usage}


class WaitingRoom(Generic[J]):
    """Queued jobs in dispatch order (see the module docstring)."""

    def __init__(self, *, fair_share: bool = True) -> None:
        self.fair_share = fair_share
        self._seq = itertools.count()
        self._levels: dict[int, dict[str, collections.deque[tuple[int, J]]]] = {}
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[J]:
        for tenants in self._levels.values():
            for jobs in tenants.values():
                for _, job in jobs:
                    yield job

    def add(self, job: J) -> None:
        level = self._levels.setdefault(job.priority, {})
        level.setdefault(job.tenant, collections.deque()).append((next(self._seq), job))
        self._size += 1

    def remove(self, job: J) -> bool:
        jobs = self._levels.get(job.priority, {}).get(job.tenant)
        if not jobs:
            return False
        for entry in jobs:
            if entry[1] is job:
                jobs.remove(entry)
                self._size -= 1
                self._tidy(job.priority, job.tenant)
                return True
        return False

    def pop(self, usage: Mapping[str, float]) -> J | None:
        """Take the next job to run, given each tenant's current usage."""
        choice = self._choose(self._levels, usage)
        if choice is None:
            return None
        priority, tenant = choice
        _, job = self._levels[priority][tenant].popleft()
        self._size -= 1
        self._tidy(priority, tenant)
        return job

    def order(self, usage: Mapping[str, float], cost: ServiceTime) -> list[J]:
        """Every queued job in the order :meth:`pop` would take them (projected)."""
        levels = {
            p: {t: collections.deque(q) for t, q in ts.items()} for p, ts in self._levels.items()
        }
        used = dict(usage)
        out: list[J] = []
        while True:
            choice = self._choose(levels, used)
            if choice is None:
                return out
            priority, tenant = choice
            _, job = levels[priority][tenant].popleft()
            if not levels[priority][tenant]:
                del levels[priority][tenant]
                if not levels[priority]:
                    del levels[priority]
            used[tenant] = used.get(tenant, 0.0) + cost.of(job.shots)
            out.append(job)

    def _choose(
        self,
        levels: Mapping[int, Mapping[str, collections.deque[tuple[int, J]]]],
        usage: Mapping[str, float],
    ) -> tuple[int, str] | None:
        if not levels:
            return None
        priority = max(levels)
        tenants = levels[priority]
        if self.fair_share:
            tenant = min(tenants, key=lambda t: (usage.get(t, 0.0), tenants[t][0][0]))
        else:
            tenant = min(tenants, key=lambda t: tenants[t][0][0])
        return priority, tenant

    def _tidy(self, priority: int, tenant: str) -> None:
        level = self._levels[priority]
        if not level[tenant]:
            del level[tenant]
            if not level:
                del self._levels[priority]


def estimate_starts(
    order: list[float], busy_until: list[float], slots: int, now: float
) -> list[float]:
    """Projected start time of each queued job, in order.

    ``order`` holds each queued job's mean service time in dispatch order and
    ``busy_until`` the projected end of each running job.
    """
    free = sorted([max(now, t) for t in busy_until] + [now] * max(0, slots - len(busy_until)))
    heapq.heapify(free)
    starts = []
    for service in order:
        start = heapq.heappop(free)
        starts.append(start)
        heapq.heappush(free, start + service)
    return starts
