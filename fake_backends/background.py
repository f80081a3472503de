"""Other tenants' load on a fake device: Poisson arrivals in scenario time, seeded.

The rate is the backend's configured base rate plus whatever a
:class:`~fake_backends.switches.Saturation` setting adds (read at every arrival, and
re-read at once when the setting changes: the next arrival is drawn again).
Background jobs occupy queue places and slots like real ones; they are not simulated
and not journalled one by one (they are nobody's jobs in the ledger).

Arrivals are a time-changed unit-rate process: each gap is one unit-exponential draw
(``backend:<name>:background``), spent at whatever rate holds while it runs out. A rate
change therefore never costs or adds a draw, so the sequence of draws is fixed by the
seed and the arrival times move only with the rate changes themselves (the tenants
come from their own stream, ``backend:<name>:tenants``).
"""

from __future__ import annotations

import asyncio
import itertools

from fake_backends.errors import QueueFull
from fake_backends.queue import BackendJob, JobQueue
from fake_backends.spec import LoadSpec
from fake_backends.switches import Saturation, Switches
from plumbing.clock import Clock, sleep_or_event
from plumbing.seeds import stream

__all__ = ["BackgroundLoad"]


class BackgroundLoad:
    """Generates background jobs into a queue; ``run()`` until cancelled."""

    def __init__(
        self,
        spec: LoadSpec,
        queue: JobQueue,
        switches: Switches,
        clock: Clock,
        *,
        seed: int,
        name: str = "backend",
    ) -> None:
        self.spec = spec
        self._queue = queue
        self._switches = switches
        self._clock = clock
        self._gaps = stream(seed, f"backend:{name}:background")
        self._tenants = stream(seed, f"backend:{name}:tenants")
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self.submitted = 0
        self.rejected = 0
        switches.watch(Saturation, self.changed)

    @property
    def rate(self) -> float:
        """Jobs per scenario second right now."""
        extra = self._switches.get(Saturation)
        return self.spec.rate + (extra.rate if extra is not None else 0.0)

    def changed(self) -> None:
        """The rate changed: draw the next arrival with the new rate."""
        self._changed.set()

    async def run(self) -> None:
        left = self._gaps.expovariate(1.0)  # unit "mass" until the next arrival
        while True:
            self._changed.clear()
            rate = self.rate
            if rate <= 0:
                await self._changed.wait()
                continue
            since = self._clock.now()
            if await self._wait(left / rate):
                # the rate changed: keep what is left of this gap, spend it at the new rate
                left = max(0.0, left - (self._clock.now() - since) * rate)
                continue
            self._arrive()
            left = self._gaps.expovariate(1.0)

    async def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` of scenario time; True if the rate changed meanwhile."""
        return await sleep_or_event(self._clock, seconds, self._changed)

    def _arrive(self) -> None:
        n = next(self._ids)
        extra = self._switches.get(Saturation)
        shots = (extra.shots if extra is not None else None) or self.spec.shots
        job = BackendJob(
            id=f"bg-{n:06d}",
            tenant=f"other-tenant-{self._tenants.randrange(max(1, self.spec.tenants)) + 1}",
            shots=shots,
            circuit=None,
            created_at=self._clock.now(),
            priority=self.spec.priority,
        )
        try:
            self._queue.submit(job)
            self.submitted += 1
        except QueueFull:
            self.rejected += 1
