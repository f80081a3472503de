"""The instrument's own error: how late the harness did what was due, in scenario time.

A game day measures the SUT in scenario seconds; at ``time_scale: 80`` one wall
millisecond the harness spends late is 80 scenario milliseconds of error in every
duration it reports. So each part that acts at a scheduled instant says how late it
was (:meth:`Lateness.observe`), in scenario seconds:

- ``tick``: the runner's SLI tick versus its tick boundary;
- ``arrival``: a job's submit versus its planned arrival time;
- ``fault``: a fault's inject or revert versus its scheduled start or end;
- ``poll``: a workload poll versus the moment it was due;
- ``webhook``: an alert or SUT event, from the start of its request's handling to the
  journal (the wait before handling shows in ``loop``);
- ``loop``: the event loop's stalls: a probe (:func:`probe_loop`) asks to be woken
  every :data:`PROBE_WALL_S` wall seconds and records how late it was woken.

The runner journals a ``lag`` record per tick (per source: count, p99, max over that
tick) and a ``lag.summary`` at the end (per source over the whole run); scoring turns
them into the run's measurement uncertainty (``harness.scoring.measurement``). The Aer
workers' lag behind the modelled service time comes from the fake backends' own
``backend.execution`` records (``aer_lag_s``).
"""

from __future__ import annotations

import asyncio
import math
import time
from array import array

from harness.journal.records import LagStats

__all__ = ["PROBE_WALL_S", "SOURCES", "Lateness", "probe_loop"]

SOURCES = ("tick", "arrival", "fault", "poll", "webhook", "loop")
#: the loop probe's period: any stall at least this long delays one of its wake-ups
PROBE_WALL_S = 0.02


def _stats(samples: array[float]) -> LagStats:
    ordered = sorted(samples)
    n = len(ordered)
    rank = max(1, math.ceil(0.99 * n))  # nearest rank, as everywhere in scoring
    return LagStats(
        n=n,
        p50=round(ordered[max(1, math.ceil(0.5 * n)) - 1], 4),
        p99=round(ordered[rank - 1], 4),
        max=round(ordered[-1], 4),
    )


class Lateness:
    """Samples of lateness per source, for the run and since the last :meth:`drain`.

    Samples are kept as C doubles (8 bytes each): a day-long real-time run's loop
    probe is ~4 million of them, a 40x game day a few thousand.
    """

    def __init__(self) -> None:
        self._run: dict[str, array[float]] = {}
        self._recent: dict[str, array[float]] = {}

    def observe(self, source: str, late: float) -> None:
        """``source`` acted ``late`` scenario seconds after it was due (early counts as 0)."""
        value = max(0.0, late)
        self._run.setdefault(source, array("d")).append(value)
        self._recent.setdefault(source, array("d")).append(value)

    def drain(self) -> dict[str, LagStats]:
        """Per-source ``{n, p50, p99, max}`` since the last call (for the tick's record)."""
        recent, self._recent = self._recent, {}
        return {name: _stats(s) for name, s in sorted(recent.items()) if s}

    def summary(self) -> dict[str, LagStats]:
        """Per-source ``{n, p50, p99, max}`` over the whole run."""
        return {name: _stats(s) for name, s in sorted(self._run.items()) if s}


async def probe_loop(lateness: Lateness, time_scale: float, period: float = PROBE_WALL_S) -> None:
    """Record the event loop's stalls as ``loop`` lateness, until cancelled.

    Uses wall time on purpose (``time.monotonic``, not the scenario clock): a stall is
    the loop not running, whatever clock the run uses; it is converted to scenario
    seconds with ``time_scale``.
    """
    while True:
        due = time.monotonic() + period
        await asyncio.sleep(period)
        lateness.observe("loop", (time.monotonic() - due) * time_scale)
