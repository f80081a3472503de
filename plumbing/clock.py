"""Scenario time: one clock shared by the fake backends, the SUT and the harness.

Every duration in a scenario (token TTLs, queue service times, fault windows) is in
*scenario seconds*. Two clocks play game days:

- :class:`ScaledClock` with ``time_scale=60`` runs one scenario minute per wall second,
  so every part that reads the same clock shrinks together (and real work, an HTTP
  round trip or an Aer call, costs ``time_scale`` times its wall time);
- :class:`VirtualClock` is the time of a :class:`~plumbing.virtual.VirtualEventLoop`,
  which jumps over idle time: real work costs no scenario time and a run does not
  depend on the machine's speed. Only parts in the loop's process can read it.

Unit tests pass a :class:`FakeClock` instead and advance it by hand: nothing sleeps.

The clock is plumbing because every part reads the very same object: the fake clouds
(time-driven simulations), the reference orchestrator and the harness.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Any, Protocol, runtime_checkable

from plumbing.virtual import VirtualEventLoop

__all__ = ["Clock", "FakeClock", "ScaledClock", "VirtualClock", "sleep_or_event"]


@runtime_checkable
class Clock(Protocol):
    """Scenario time source. ``now()`` is scenario seconds since the clock's start."""

    @property
    def time_scale(self) -> float:
        """Scenario seconds per second of the event loop's clock.

        The loop's clock (``loop.time()``) is what asyncio timers, socket timeouts and
        the fault proxy run on: wall seconds under a :class:`ScaledClock`, scenario
        seconds under a :class:`VirtualClock` (whose scale is therefore 1).
        """
        ...

    def now(self) -> float:
        """Scenario seconds elapsed since the start of the run."""
        ...

    def to_wall(self, seconds: float) -> float:
        """Convert a scenario duration into the loop's seconds (for socket timeouts)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep for ``seconds`` of scenario time."""
        ...


class ScaledClock:
    """Wall clock running ``time_scale`` times faster, starting at scenario time 0.

    >>> clock = ScaledClock(time_scale=60)
    >>> clock.to_wall(60.0)
    1.0
    """

    def __init__(self, time_scale: float = 1.0, *, started: bool = True) -> None:
        if not time_scale > 0:
            raise ValueError(f"time_scale must be > 0, got {time_scale!r}")
        self._scale = float(time_scale)
        self._t0: float | None = time.monotonic() if started else None

    @property
    def time_scale(self) -> float:
        return self._scale

    def start(self) -> None:
        """Make scenario time 0 be now (called once every part is up and warm).

        Until then ``now()`` reads 0: start-up takes wall time that is not scenario time.
        """
        self._t0 = time.monotonic()

    def now(self) -> float:
        if self._t0 is None:
            return 0.0
        return (time.monotonic() - self._t0) * self._scale

    def to_wall(self, seconds: float) -> float:
        return seconds / self._scale

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self._scale)


class VirtualClock:
    """Scenario time is the time of the running :class:`~plumbing.virtual.VirtualEventLoop`.

    Reads 0 until :meth:`start` (called in that loop), like :class:`ScaledClock`. The
    loop's seconds are scenario seconds, so ``to_wall`` is the identity: a timeout of
    ``to_wall(20)`` is 20 scenario seconds, not 20 wall seconds.
    """

    def __init__(self) -> None:
        self._loop: VirtualEventLoop | None = None
        self._t0 = 0.0

    @property
    def time_scale(self) -> float:
        return 1.0

    def start(self) -> None:
        """Make scenario time 0 be now; raises unless the running loop is virtual."""
        loop = asyncio.get_running_loop()
        if not isinstance(loop, VirtualEventLoop):
            raise RuntimeError(
                "VirtualClock needs a VirtualEventLoop (plumbing.virtual.run), "
                f"not a {type(loop).__name__}"
            )
        self._loop, self._t0 = loop, loop.time()

    def now(self) -> float:
        if self._loop is None:
            return 0.0
        return self._loop.time() - self._t0

    def to_wall(self, seconds: float) -> float:
        return seconds

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that only moves when a test calls :meth:`advance`.

    Sleepers wake in deadline order; ``advance`` lets the woken tasks run before it
    returns, so a test can advance and then assert on what happened, without sleeping.
    """

    def __init__(self, start: float = 0.0, time_scale: float = 1.0) -> None:
        self._now = start
        self._scale = time_scale
        self._seq = itertools.count()
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []

    @property
    def time_scale(self) -> float:
        return self._scale

    def now(self) -> float:
        return self._now

    def to_wall(self, seconds: float) -> float:
        return seconds / self._scale

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._seq), fut))
        await fut

    @property
    def sleepers(self) -> int:
        """How many tasks are waiting on this clock."""
        return sum(1 for *_, f in self._sleepers if not f.done())

    async def advance(self, seconds: float) -> None:
        """Move time forward, waking every sleeper whose deadline passes, in order."""
        target = self._now + seconds
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, fut = heapq.heappop(self._sleepers)
            self._now = max(self._now, deadline)
            if not fut.done():
                fut.set_result(None)
            await _settle()
        self._now = target
        await _settle()


async def sleep_or_event(clock: Clock, seconds: float | None, event: asyncio.Event) -> bool:
    """Sleep ``seconds`` of scenario time (None: for ever) or until ``event`` is set,
    whichever comes first; return whether ``event`` is set.

    For loops that wait for their next due time but must react at once to a change (a
    new rate, a stop, a new deadline): the waiter is cancelled either way, none is left
    behind on the clock.
    """
    waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(event.wait())]
    if seconds is not None:
        waits.append(asyncio.ensure_future(clock.sleep(seconds)))
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waits:
            waiter.cancel()
    return event.is_set()


async def _settle(rounds: int = 5) -> None:
    # Several loop turns: a woken task may await another ready future before it blocks.
    for _ in range(rounds):
        await asyncio.sleep(0)
