"""The line of jobs waiting to be dispatched: first come first served, or fair by tenant.

:class:`FifoLine` is the orchestrator's historical behaviour: one queue, oldest first.
One tenant that floods the orchestrator fills it, and every other tenant's job waits
behind the whole flood.

:class:`FairLine` (``tenant_inflight`` set, README "Scenario catalogue", tenancy) keeps
one queue per tenant and serves them in turn (round robin), and lets no tenant hold
more than ``limit`` jobs dispatched and not yet finished: a noisy tenant's backlog
waits here, where it can be overtaken, instead of in the backend's queue, where it
cannot. A tenant within its share sees a queue about as short as with no neighbour.

Neither waits: :meth:`take` returns a job that may be
dispatched now, or None; the store waits on its event between.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from reference_orchestrator.store import Job

__all__ = ["FairLine", "FifoLine", "Line"]


class Line(Protocol):
    def push(self, job: Job) -> None: ...
    def push_front(self, job: Job) -> None: ...
    def take(self) -> Job | None: ...
    def release(self, job: Job) -> bool: ...


class FifoLine:
    """One queue, oldest first."""

    def __init__(self) -> None:
        self._jobs: collections.deque[Job] = collections.deque()

    def push(self, job: Job) -> None:
        self._jobs.append(job)

    def push_front(self, job: Job) -> None:
        self._jobs.appendleft(job)

    def take(self) -> Job | None:
        return self._jobs.popleft() if self._jobs else None

    def release(self, job: Job) -> bool:
        """A taken job finished or came back: nothing to account for."""
        return False


class FairLine:
    """One queue per tenant, served in turn, at most ``limit`` jobs of a tenant out."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        self.limit = limit
        self._queues: dict[str, collections.deque[Job]] = {}
        self._order: list[str] = []  # tenants in the order they first came
        self._turn = 0  # index in _order of the tenant served next
        self._out: collections.Counter[str] = collections.Counter()
        self._taken: set[str] = set()  # ids of jobs taken and not released

    def _queue(self, tenant: str) -> collections.deque[Job]:
        if tenant not in self._queues:
            self._queues[tenant] = collections.deque()
            self._order.append(tenant)
        return self._queues[tenant]

    def push(self, job: Job) -> None:
        self.release(job)
        self._queue(job.tenant).append(job)

    def push_front(self, job: Job) -> None:
        self.release(job)
        self._queue(job.tenant).appendleft(job)

    def take(self) -> Job | None:
        """The next tenant's (in turn) oldest job, among tenants with room; None: none."""
        n = len(self._order)
        for i in range(n):
            tenant = self._order[(self._turn + i) % n]
            queue = self._queues[tenant]
            if queue and self._out[tenant] < self.limit:
                self._turn = (self._turn + i + 1) % n
                job = queue.popleft()
                self._out[tenant] += 1
                self._taken.add(job.id)
                return job
        return None

    def release(self, job: Job) -> bool:
        """``job`` finished or came back: its tenant has room again (True if it was out)."""
        if job.id not in self._taken:
            return False
        self._taken.discard(job.id)
        self._out[job.tenant] -= 1
        return True

    def out(self, tenant: str) -> int:
        """Jobs of ``tenant`` taken and not yet finished."""
        return self._out[tenant]
