"""SLI events, per-tick SLI health and per-SLO error budget.

**The seam.** :func:`sli_events` turns journal records into SLI events, one list per
SLI name: the workload's per-job records (:func:`job_events`) and the load generator's
per-interval aggregates (:mod:`harness.scoring.requests`, weighted events for the
``requests`` and ``request_latency`` SLIs). Everything downstream (ticks, burn rates,
budgets) reads only these events.

Per-job events (definitions in ARCHITECTURE.md, "Scoring"):

- ``success``: at the job's end (``end`` of the run for a job with no fate: lost);
  good iff ``ok``.
- ``latency`` (threshold L): at ``min(completion, submit + L)``; good iff ``ok`` and
  completed within L. Jobs that failed outright before L count only against success.
- ``correctness`` (bound F): at completion, for every completed job; good iff ``ok``
  and its Hellinger fidelity to the ideal distribution is at least F (and, with a
  ``max_fidelity`` G, at most G: a result better than the device can give is not the
  device's).
- ``stability`` (bound D): at completion, for every completed job of a circuit with a
  baseline (:mod:`harness.scoring.stability`), except the jobs that made it; good iff
  ``ok`` and its fidelity is at most D below the baseline: identical circuits answered
  with drifting distributions.
- ``iteration`` (threshold I): a hybrid loop's jobs only, like ``latency``
  (:mod:`harness.scoring.loops`); a failed iteration is bad.
- ``queue_wait`` (threshold Q): at ``min(start, submit + Q)`` where start is the first
  backend execution of the job's idempotency key (or, when the backends never saw
  the key, its completion); good iff started within Q. Jobs that failed before Q
  without starting count only against success.

**In-flight jobs count** (censored): a job still outstanding past its ``latency`` (or
not started past its ``queue_wait``) threshold is bad from the moment it crosses it,
not only once it finally completes. Its SLI event is at the deadline (above); and
every later tick that starts while it is still outstanding counts it once more as
``stuck`` (``TickStats.stuck``): a tick is healthy only if its events *and* its stuck
jobs together meet the objective. So impact starts when jobs get stuck, and recovery
waits until the backlog has drained. Stuck counts weigh on tick health only: the
error budget counts each job once.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.scoring.config import ScoringConfig, SloSpec
from harness.scoring.events import SliEvent
from harness.scoring.loops import iteration_events
from harness.scoring.requests import request_events
from harness.scoring.stability import DEFAULT_BASELINE, baselines, drifted
from harness.scoring.stats import percentile
from harness.scoring.views import JobView, job_views

__all__ = [
    "SloResult",
    "TickStats",
    "job_events",
    "sli_events",
    "slo_results",
    "tick_stats",
]

COMPLETED = ("ok", "wrong", "unexpected")


@dataclass(frozen=True, slots=True)
class TickStats:
    """SLI counts in ``[start, start + tick)``; ``good``/``total`` are per SLI name."""

    start: float
    good: Mapping[str, int]
    total: Mapping[str, int]
    healthy: bool
    fidelity: float | None
    latency_p95: float | None = None
    queue_depth: int | None = None
    #: per SLI: jobs past its threshold and still outstanding when the tick started
    stuck: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SloResult:
    """One SLO over the whole run: events, and the share of its error budget consumed."""

    name: str
    objective: float
    threshold: float | None
    window: float | None
    good: int
    bad: int
    total: int
    error_budget_consumed: float
    min_fidelity: float | None = None
    max_fidelity: float | None = None
    max_drop: float | None = None


def sli_events(
    records: Sequence[Mapping[str, Any]],
    slos: Sequence[SloSpec],
    end: float,
    *,
    final: bool = True,
    jobs: Mapping[str, JobView] | None = None,
) -> dict[str, list[SliEvent]]:
    """Every SLI event up to ``end``, per SLI name (the seam: see the module docstring).

    With ``final=False`` (a run still going) unfinished jobs are not yet counted as lost.
    """
    views = job_views(records) if jobs is None else jobs
    events = job_events(views.values(), slos, end, final=final)
    for s in slos:
        if s.name == "iteration" and s.threshold is not None:
            events["iteration"] = iteration_events(views.values(), s.threshold, end)
    for name, items in request_events(records, slos, end).items():
        events[name] = events.get(name, []) + items
    return events


def job_events(
    jobs: Iterable[JobView], slos: Sequence[SloSpec], end: float, *, final: bool = True
) -> dict[str, list[SliEvent]]:
    """SLI events of the workload's logical jobs (definitions in the module docstring)."""
    out: dict[str, list[SliEvent]] = {s.name: [] for s in slos}
    spec = {s.name: s for s in slos}
    jobs = list(jobs)
    if (stable := spec.get("stability")) is not None and stable.max_drop is not None:
        base = baselines(jobs, stable.baseline or DEFAULT_BASELINE, end)
        for job in jobs:
            bad = drifted(job, base, stable.max_drop)
            if bad is not None and job.ended_at is not None and job.ended_at <= end:
                out["stability"].append(SliEvent(job.ended_at, not bad))
    for job in jobs:
        if job.submitted_at > end:
            continue
        ended = job.ended_at is not None and job.ended_at <= end
        done_at = job.ended_at if ended else None
        if "success" in out:
            if done_at is not None:
                out["success"].append(SliEvent(done_at, job.outcome == "ok"))
            elif final:
                out["success"].append(SliEvent(end, False))  # lost or never answered
        completed_at = done_at if job.outcome in COMPLETED else None
        if (s := spec.get("latency")) is not None and s.threshold is not None:
            _deadline(out["latency"], job, completed_at, done_at, s.threshold, end)
        if "correctness" in out and completed_at is not None:
            bound = spec["correctness"].min_fidelity
            ceiling = spec["correctness"].max_fidelity
            fid_ok = job.fidelity is None or (
                (bound is None or job.fidelity >= bound)
                and (ceiling is None or job.fidelity <= ceiling)
            )
            out["correctness"].append(SliEvent(completed_at, job.outcome == "ok" and fid_ok))
        if (s := spec.get("queue_wait")) is not None and s.threshold is not None:
            started = job.started_at if job.started_at is not None else completed_at
            if started is not None and started > end:
                started = None
            _deadline(out["queue_wait"], job, started, done_at, s.threshold, end, need_ok=False)
    return out


def _deadline(
    events: list[SliEvent],
    job: JobView,
    at: float | None,
    done_at: float | None,
    threshold: float,
    end: float,
    *,
    need_ok: bool = True,
) -> None:
    """Good at ``at`` if it came within ``threshold`` of the submit, else bad at the deadline."""
    deadline = job.submitted_at + threshold
    if at is not None and at <= deadline:
        events.append(SliEvent(at, job.outcome == "ok" or not need_ok))
    elif done_at is not None and done_at <= deadline and at is None:
        return  # failed fast: counted by the success SLI only
    elif deadline <= end:
        events.append(SliEvent(deadline, False))


def tick_stats(
    records: Sequence[Mapping[str, Any]],
    config: ScoringConfig,
    end: float,
    *,
    events: Mapping[str, Sequence[SliEvent]] | None = None,
    jobs: Mapping[str, JobView] | None = None,
) -> tuple[TickStats, ...]:
    """Per-tick SLI counts and health from scenario time 0 to ``end``."""
    views = job_views(records) if jobs is None else jobs
    evs = events if events is not None else sli_events(records, config.slos, end, jobs=views)
    n = max(1, math.ceil(end / config.tick))

    def slot(t: float) -> int:
        return min(n - 1, max(0, int(t // config.tick)))

    good: list[Counter[str]] = [Counter() for _ in range(n)]
    total: list[Counter[str]] = [Counter() for _ in range(n)]
    for name, items in evs.items():
        for e in items:
            total[slot(e.t)][name] += e.weight
            good[slot(e.t)][name] += e.weight if e.good else 0
    fid: list[list[float]] = [[] for _ in range(n)]
    lat: list[list[float]] = [[] for _ in range(n)]
    for job in views.values():
        if job.ended_at is not None and job.ended_at <= end:
            if job.fidelity is not None:
                fid[slot(job.ended_at)].append(job.fidelity)
            if job.latency is not None:
                lat[slot(job.ended_at)].append(job.latency)
    depth = _queue_depths(records, n, slot)
    stuck = _stuck(views.values(), config, n, end)
    objective = {s.name: s.objective for s in config.slos}
    return tuple(
        TickStats(
            start=i * config.tick,
            good=dict(good[i]),
            total=dict(total[i]),
            healthy=all(
                good[i][k] >= objective[k] * (total[i][k] + stuck[i][k])
                for k in set(total[i]) | set(stuck[i])
            ),
            fidelity=sum(fid[i]) / len(fid[i]) if fid[i] else None,
            latency_p95=percentile(lat[i], 95),
            queue_depth=depth[i],
            stuck={k: v for k, v in stuck[i].items() if v},
        )
        for i in range(n)
    )


def _stuck(
    jobs: Iterable[JobView], config: ScoringConfig, n: int, end: float
) -> list[Counter[str]]:
    """Per tick and SLI: jobs past the SLI's threshold, still outstanding at the tick's start.

    A job overdue from ``deadline`` until ``resolved`` (None: never, within the run) is
    stuck in every tick ``k`` with ``deadline < k * tick < resolved``; one pass with a
    difference array per SLI keeps this linear in jobs + ticks.
    """
    out: list[Counter[str]] = [Counter() for _ in range(n)]
    spans = {s.name: s.threshold for s in config.slos if s.name in ("latency", "queue_wait")}
    for name, threshold in spans.items():
        if threshold is None:
            continue
        diff = [0] * (n + 1)
        for job in jobs:
            deadline = job.submitted_at + threshold
            resolved = _resolved(job, name, end)
            if deadline >= end or (resolved is not None and resolved <= deadline):
                continue
            first = math.floor(deadline / config.tick) + 1
            last = n - 1 if resolved is None else math.ceil(resolved / config.tick - 1e-9) - 1
            if first <= last:
                diff[max(0, first)] += 1
                diff[min(n, last + 1)] -= 1
        running = 0
        for k in range(n):
            running += diff[k]
            if running:
                out[k][name] = running
    return out


def _resolved(job: JobView, sli: str, end: float) -> float | None:
    """When a job stopped being outstanding for ``sli`` (None: not by ``end``)."""
    done = job.ended_at if job.ended_at is not None and job.ended_at <= end else None
    if sli == "queue_wait" and job.started_at is not None and job.started_at <= end:
        return job.started_at if done is None else min(job.started_at, done)
    return done


def _queue_depths(records: Iterable[Mapping[str, Any]], n: int, slot: Any) -> list[int | None]:
    """Total queue depth over the backends, from the runner's ``tick`` records (max per tick)."""
    out: list[int | None] = [None] * n
    for r in records:
        if r.get("type") != "tick" or not isinstance(r.get("queue_depth"), Mapping):
            continue
        # a tick record at t describes the tick that just ended
        i = slot(max(0.0, float(r["t"]) - 1e-6))
        depth = sum(int(v) for v in r["queue_depth"].values())
        out[i] = max(depth, out[i] or 0)
    return out


def slo_results(
    records: Sequence[Mapping[str, Any]],
    config: ScoringConfig,
    end: float,
    *,
    final: bool = True,
    events: Mapping[str, Sequence[SliEvent]] | None = None,
    since: float = 0.0,
) -> tuple[SloResult, ...]:
    """Per-SLO good/bad counts and error budget consumed over ``[since, end]``.

    Consumed = bad / ((1 - objective) x events); with an SLO ``window`` it is scaled by
    ``load phase / window``. The runner calls this with ``final=False`` mid-run.
    """
    evs = events if events is not None else sli_events(records, config.slos, end, final=final)
    out = []
    for spec in config.slos:
        items = [e for e in evs.get(spec.name, []) if e.t >= since]
        total = sum(e.weight for e in items)
        good = sum(e.weight for e in items if e.good)
        out.append(
            SloResult(
                spec.name,
                spec.objective,
                spec.threshold,
                spec.window,
                good,
                total - good,
                total,
                budget_consumed(total - good, total, spec, config.load_end),
                spec.min_fidelity,
                spec.max_fidelity,
                spec.max_drop,
            )
        )
    return tuple(out)


def budget_consumed(bad: int, total: int, spec: SloSpec, load_end: float) -> float:
    """bad / allowed bad events; infinite when bad events exist but none were allowed."""
    allowed = (1.0 - spec.objective) * total
    consumed = bad / allowed if allowed > 0 else (0.0 if bad == 0 else math.inf)
    if spec.window:
        consumed *= load_end / spec.window
    return consumed
