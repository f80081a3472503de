"""Other tenants' load on a fake device: Poisson arrivals in scenario time, seeded.

The rate is the backend's configured base rate plus whatever a
:class:`~fake_backends.switches.Saturation` setting adds (read at every arrival, and
re-read at once when the setting changes: the next arrival is drawn again).
Background jobs occupy queue places and slots like real ones; they are not simulated
and not journalled one by one (they are nobody's jobs in the ledger).
"""

from __future__ import annotations

import asyncio
import itertools
import random

from fake_backends.errors import QueueFull
from fake_backends.queue import BackendJob, JobQueue
from fake_backends.spec import LoadSpec
from fake_backends.switches import Saturation, Switches
from plumbing.clock import Clock

__all__ = ["BackgroundLoad"]


class BackgroundLoad:
    """Generates background jobs into a queue; ``run()`` until cancelled."""

    def __init__(
        self, spec: LoadSpec, queue: JobQueue, switches: Switches, clock: Clock, *, seed: int
    ) -> None:
        self.spec = spec
        self._queue = queue
        self._switches = switches
        self._clock = clock
        self._rng = random.Random(seed)
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
        while True:
            self._changed.clear()
            rate = self.rate
            if rate <= 0:
                await self._changed.wait()
                continue
            if await self._wait(self._rng.expovariate(rate)):
                continue  # memoryless: redraw with the new rate
            self._arrive()

    async def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` of scenario time; True if the rate changed meanwhile."""
        sleeper = asyncio.ensure_future(self._clock.sleep(seconds))
        changed = asyncio.ensure_future(self._changed.wait())
        try:
            await asyncio.wait({sleeper, changed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            changed.cancel()
        return self._changed.is_set()

    def _arrive(self) -> None:
        n = next(self._ids)
        extra = self._switches.get(Saturation)
        shots = (extra.shots if extra is not None else None) or self.spec.shots
        job = BackendJob(
            id=f"bg-{n:06d}",
            tenant=f"other-tenant-{self._rng.randrange(max(1, self.spec.tenants)) + 1}",
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
