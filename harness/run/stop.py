"""Stop conditions while a game day plays (``stop_when:``).

Every tick after the warm-up, :class:`StopMonitor` evaluates the scenario's stop
conditions on the journal so far (:func:`harness.scoring.stop_check` on the run's
:class:`~harness.scoring.JournalView`, which the journal keeps up to date). The first one
that holds is journalled as ``run.stop`` and reported to the runner, which then aborts
the experiment: every active fault is reverted, the load stops, outstanding jobs
drain, and the run ends ``aborted`` (exit code 2).
"""

from __future__ import annotations

import asyncio

from harness.instruments import Instruments
from harness.journal.records import RUN_STOP
from harness.scoring import StopHit, stop_check
from plumbing.clock import Clock

__all__ = ["MIN_WALL_INTERVAL", "StopMonitor"]

MIN_WALL_INTERVAL = 0.2


class StopMonitor:
    """Sets :attr:`stopped` (and :attr:`hit`) when a stop condition holds."""

    def __init__(self, live: Instruments[Clock], *, after: float, drain: float) -> None:
        self._live = live
        self._after = after
        self._drain = drain
        self.stopped = asyncio.Event()
        self.hit: StopHit | None = None

    async def run(self) -> None:
        """Check every tick from ``after`` on; return once a condition held.

        At high time scales a tick lasts a few wall milliseconds: the check then runs
        every few ticks, at most every MIN_WALL_INTERVAL wall seconds (it derives every
        job's SLI events again, and the event loop is shared with the SUT and the
        backends).
        """
        clock, config = self._live.clock, self._live.scoring
        if not config.stop:
            return
        tick = config.tick
        while clock.to_wall(tick) < MIN_WALL_INTERVAL:
            tick += config.tick
        await clock.sleep(self._after - clock.now())
        while True:
            now = clock.now()
            hit = stop_check(self._live.view, config, now, self._drain)
            if hit is not None:
                self.hit = hit
                self._live.journal.write(
                    RUN_STOP(
                        {
                            "condition": hit.name,
                            "value": hit.value,
                            "above": hit.above,
                            "reason": hit.reason,
                        }
                    )
                )
                self.stopped.set()
                return
            await clock.sleep(tick - (now % tick) + tick * 1e-3)
