"""Hybrid loops: each loop's progress and its iteration latency, end to end.

A loop's iteration is one job whose parameters came from the previous job's result
(:mod:`harness.load.loops`). Its *iteration latency* is what the loop's user waits for
it: from the client's submit to the client seeing its result, through the SUT, its
dispatch, the backend's queue and every poll in between. The ``iteration`` SLI (with a
``threshold``) is good at the iteration's result if it came within the threshold, bad
at the deadline otherwise (an iteration still waiting when the run ends, or one that
failed after it, counts bad); a loop's later iterations never start after a failed one,
which ``unfinished_loops`` counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from harness.scoring.events import SliEvent
from harness.scoring.stats import percentile
from harness.scoring.views import JobView

__all__ = ["LoopStats", "iteration_events", "iteration_latency_p95", "loop_stats"]

_DONE = ("ok", "recovered")


@dataclass(frozen=True, slots=True)
class LoopStats:
    """One loop over the run."""

    loop: str
    iterations: int  # planned
    done: int  # iterations that completed ok
    duration: float | None  # first submit to last ok result (None: none completed)
    iteration_p95: float | None  # seconds

    @property
    def finished(self) -> bool:
        return self.done >= self.iterations


def _iteration_time(job: JobView, end: float) -> float | None:
    """Submit to result seen; a job outstanding at ``end``: until then; failed: None."""
    if job.ended_at is not None and job.ended_at <= end:
        return job.ended_at - job.submitted_at if job.outcome in _DONE else None
    return end - job.submitted_at


def _by_loop(jobs: Iterable[JobView], end: float) -> dict[str, list[JobView]]:
    out: dict[str, list[JobView]] = defaultdict(list)
    for job in jobs:
        if job.loop is not None and job.submitted_at <= end:
            out[job.loop].append(job)
    for items in out.values():
        items.sort(key=lambda j: j.iteration or 0)
    return out


def loop_stats(jobs: Iterable[JobView], end: float) -> tuple[LoopStats, ...]:
    """Per-loop figures, by loop name; empty when the run had no loops."""
    out = []
    for loop, items in sorted(_by_loop(jobs, end).items()):
        ok = [j for j in items if j.outcome in _DONE and j.ended_at is not None]
        times = [t for j in items if (t := _iteration_time(j, end)) is not None]
        last = max((j.ended_at for j in ok if j.ended_at is not None), default=None)
        out.append(
            LoopStats(
                loop=loop,
                iterations=max(j.loop_iterations or 0 for j in items),
                done=len(ok),
                duration=last - items[0].submitted_at if last is not None else None,
                iteration_p95=percentile(times, 95),
            )
        )
    return tuple(out)


def iteration_latency_p95(jobs: Iterable[JobView], end: float) -> float | None:
    """p95 of every loop iteration's latency (outstanding ones until ``end``)."""
    times = [
        t for items in _by_loop(jobs, end).values() for j in items
        if (t := _iteration_time(j, end)) is not None
    ]  # fmt: skip
    return percentile(times, 95)


def iteration_events(jobs: Iterable[JobView], threshold: float, end: float) -> list[SliEvent]:
    """The ``iteration`` SLI's events (definition in the module docstring)."""
    out = []
    for items in _by_loop(jobs, end).values():
        for job in items:
            deadline = job.submitted_at + threshold
            done = job.ended_at if job.ended_at is not None and job.ended_at <= end else None
            if done is not None and done <= deadline:
                out.append(SliEvent(done, job.outcome in _DONE))
            elif deadline <= end:
                out.append(SliEvent(deadline, False))
    return out
