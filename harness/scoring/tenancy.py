"""Per-tenant SLIs: each tenant's success rate and queue wait, and fairness between them.

One noisy tenant must not starve the others. The figures, per tenant of the workload:
its jobs and share of them, its success rate (ok / jobs), and its queue wait p95 (a
job's wait: from its submit to its first backend execution; a job still waiting when
the run ended waited until then, so a starved job cannot hide by never starting; a job
that failed before it started has no wait).

Fairness is judged on the *quiet* tenants: those that sent no more than their fair
share of the jobs (1 / tenants). Max-min fairness promises exactly them their demand,
whatever a heavier tenant does, so ``quiet_tenant_queue_wait_p95`` (the worst p95 among
them) is the gate a noisy neighbour must not move; the noisy tenant's own jobs may wait.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from harness.scoring.stats import percentile
from harness.scoring.views import JobView

__all__ = ["TenantStats", "quiet_queue_wait_p95", "tenant_stats", "worst_tenant_success"]


@dataclass(frozen=True, slots=True)
class TenantStats:
    """One tenant's jobs over the run."""

    tenant: str
    jobs: int
    share: float  # of all the workload's jobs
    ok: int
    queue_wait_p95: float | None  # seconds; None: no job of it started or waited
    quiet: bool  # sent no more than its fair share

    @property
    def success_rate(self) -> float:
        return self.ok / self.jobs if self.jobs else 0.0


def _wait(job: JobView, end: float) -> float | None:
    if job.started_at is not None:
        return max(0.0, job.started_at - job.submitted_at)
    if job.ended_at is not None and job.ended_at <= end and job.outcome in ("failed",):
        return None  # failed (or was refused) before it ever ran
    if job.ended_at is not None and job.ended_at <= end:
        return max(0.0, job.ended_at - job.submitted_at)  # ran, start not seen: its end
    return max(0.0, end - job.submitted_at)  # still waiting when the run ended


def tenant_stats(jobs: Iterable[JobView], end: float) -> tuple[TenantStats, ...]:
    """Per-tenant figures, busiest tenant first; empty when the journal names no tenants."""
    by: dict[str, list[JobView]] = defaultdict(list)
    for job in jobs:
        if job.tenant is not None and job.submitted_at <= end:
            by[job.tenant].append(job)
    total = sum(len(v) for v in by.values())
    if not total:
        return ()
    fair = 1.0 / len(by)
    out = []
    for tenant, items in by.items():
        waits = [w for j in items if (w := _wait(j, end)) is not None]
        share = len(items) / total
        out.append(
            TenantStats(
                tenant=tenant,
                jobs=len(items),
                share=share,
                ok=sum(1 for j in items if j.outcome in ("ok", "recovered")),
                queue_wait_p95=percentile(waits, 95),
                quiet=share <= fair + 1e-9,
            )
        )
    return tuple(sorted(out, key=lambda t: (-t.jobs, t.tenant)))


def worst_tenant_success(stats: Iterable[TenantStats]) -> float | None:
    """The lowest success rate of any tenant (None: no tenants)."""
    rates = [t.success_rate for t in stats]
    return min(rates) if rates else None


def quiet_queue_wait_p95(stats: Iterable[TenantStats]) -> float | None:
    """The worst queue wait p95 among the quiet tenants (None: none, or none waited)."""
    waits = [t.queue_wait_p95 for t in stats if t.quiet]
    if not waits or any(w is None for w in waits):
        return None
    return max(w for w in waits if w is not None)
