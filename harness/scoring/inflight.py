"""What is in flight: the SUT's backlog per tick, and what an incident did to jobs.

While nothing completes, the per-tick SLIs of completed jobs have no points: the plot of
an outage was empty where the outage was. These figures show it instead:

- **in flight** at a tick's end: jobs the SUT accepted and had not finished (a lost job
  stays in flight to the end of the run); **oldest in flight**: the age of the oldest of
  them. That age is a latency still growing, a lower bound of the job's latency
  (*censored*): the report draws it beside the p95 latency of completed jobs.
- per incident, **affected jobs**: jobs with a bad SLI event (the definitions of
  :mod:`harness.scoring.slis`, unchanged) inside the incident's window, from its start
  to its recovery (not recovered, or no impact: to the next incident's start, or the
  end of the run); **worst latency**: the longest submit-to-end time of a job in flight
  during that window, censored (``in_flight``) when the job had not finished by the end
  of the run.

Pure, linear in jobs (plus ticks, and a heap for the oldest job).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from harness.scoring.config import SloSpec
from harness.scoring.slis import job_events
from harness.scoring.views import JobView

__all__ = ["InFlight", "Worst", "affected", "in_flight"]


@dataclass(frozen=True, slots=True)
class InFlight:
    """The SUT's backlog at one tick's end."""

    jobs: int
    oldest_s: float | None  #: age of the oldest job in flight (None: nothing in flight)


@dataclass(frozen=True, slots=True)
class Worst:
    """What one incident did to jobs (see the module docstring)."""

    affected_jobs: int
    worst_latency_s: float | None
    in_flight: bool  #: the worst job had not finished by the end of the run (censored)


def in_flight(jobs: Iterable[JobView], tick: float, n: int, end: float) -> tuple[InFlight, ...]:
    """Per tick ``k`` (its end at ``(k + 1) * tick``, capped at ``end``): the backlog."""
    accepted = sorted((j for j in jobs if j.accepted), key=lambda j: j.submitted_at)
    out: list[InFlight] = []
    oldest: list[tuple[float, float]] = []  # (submitted, finished or inf): a min-heap
    count_ends: list[float] = []  # finish times of the jobs counted so far: a min-heap
    i = 0
    for k in range(n):
        t = min((k + 1) * tick, end)
        while i < len(accepted) and accepted[i].submitted_at <= t:
            job = accepted[i]
            finished = job.ended_at if job.ended_at is not None else float("inf")
            heapq.heappush(oldest, (job.submitted_at, finished))
            heapq.heappush(count_ends, finished)
            i += 1
        while count_ends and count_ends[0] <= t:
            heapq.heappop(count_ends)
        # the top is the earliest submit left; finished ones are dropped when they reach
        # it, so after this it is the oldest job still in flight (younger finished ones
        # below it do not matter)
        while oldest and oldest[0][1] <= t:
            heapq.heappop(oldest)
        out.append(InFlight(len(count_ends), t - oldest[0][0] if oldest else None))
    return tuple(out)


def affected(
    jobs: Mapping[str, JobView],
    slos: Sequence[SloSpec],
    start: float,
    until: float,
    end: float,
) -> Worst:
    """Affected jobs and the worst latency of the window ``[start, until)``."""
    count = 0
    worst: float | None = None
    censored = False
    for job in jobs.values():
        finished = job.ended_at if job.ended_at is not None and job.ended_at <= end else None
        if job.submitted_at >= until or (finished is not None and finished < start):
            continue  # not in flight during the window
        events = job_events([job], slos, end, final=True)
        if any(not e.good and start <= e.t < until for evs in events.values() for e in evs):
            count += 1
        if not job.accepted:
            continue  # refused or indeterminate: it had no latency at the SUT
        latency = (finished if finished is not None else end) - job.submitted_at
        if worst is None or latency > worst:
            worst, censored = latency, finished is None
    return Worst(count, worst, censored)
