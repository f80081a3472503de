"""CI gates: named figures of a score with a ``max`` or ``min`` bound.

A gate whose value is missing (``None``: not detected, not recovered, no data) fails,
so a silent gap can never pass a build. Gates of a run that never injected a fault are
not evaluated (:func:`not_evaluated`): the run is ``invalid`` or stopped, and that is
its verdict.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from harness.scoring.config import GateSpec
from harness.scoring.result import GateResult, Score
from harness.scoring.tenancy import quiet_queue_wait_p95, worst_tenant_success

__all__ = ["GATES", "evaluate", "not_evaluated"]


def _worst(values: Sequence[float | None]) -> float | None:
    if any(v is None for v in values):
        return None
    return max((v for v in values if v is not None), default=0.0)


Getter = Callable[[Score], float | None]


def _per_incident(figure: str) -> Getter:
    """The worst of a per-incident figure (None when any incident lacks it)."""
    return lambda s: _worst([getattr(i, figure) for i in s.incidents])


def _alerting(figure: str) -> Getter:
    """A figure of the alert-quality analysis (None when the run has none)."""
    return lambda s: None if s.alerting is None else getattr(s.alerting, figure)


#: gate name -> (unit, description, value getter). ``None`` values fail every gate.
GATES: dict[str, tuple[str, str, Getter]] = {
    "mttr": ("s", "mean time to recover (not recovered fails)", lambda s: s.mttr_s),
    "ttd": (
        "s",
        "worst time to detect by the SUT's alerts (not detected fails)",
        _per_incident("ttd_s"),
    ),
    "tta": (
        "s",
        "worst time to acknowledge (first runbook step done)",
        _per_incident("tta_s"),
    ),
    "ttm": (
        "s",
        "worst time to mitigate (SUT mitigation event or runbook action)",
        _per_incident("ttm_s"),
    ),
    "burn_rate_ttd": (
        "s",
        "worst time to the harness's burn-rate page",
        _per_incident("burn_ttd_s"),
    ),
    "error_budget_consumed": (
        "budget",  # a fraction of the budget; reports write it as a percentage
        "worst SLO's bad events / allowed bad events",
        lambda s: s.error_budget_consumed,
    ),
    "peak_burn_rate": ("", "peak burn rate of any SLO", lambda s: s.burn.peak or 0.0),
    "lost_jobs": ("", "jobs accepted but never finished", lambda s: s.ledger.lost),
    "failed_jobs": ("", "jobs failed or rejected", lambda s: s.ledger.failed),
    "wrong_results": ("", "jobs completed with invalid counts", lambda s: s.ledger.wrong),
    "unexpected_results": (
        "",
        "canary results that belong to another job or none",
        lambda s: s.ledger.unexpected,
    ),
    "indeterminate_jobs": ("", "submits with unknown fate", lambda s: s.ledger.indeterminate),
    "duplicate_executions": (
        "",
        "extra backend executions of one logical job (by fingerprint, whatever the key)",
        lambda s: s.ledger.duplicate_executions,
    ),
    "duplicated_jobs": ("", "logical jobs executed more than once", lambda s: s.ledger.duplicated),
    "execution_surplus": (
        "",
        "successful executions beyond one per logical job (found by circuit fingerprint)",
        lambda s: s.ledger.execution_surplus,
    ),
    "unattributed_executions": (
        "",
        "backend executions of no known job (a circuit changed on the way)",
        lambda s: s.ledger.unattributed,
    ),
    "success_rate": ("", "ok jobs / submitted jobs", lambda s: s.ledger.success_rate),
    "budget_consumed": (
        "",
        "share of the spend budget (shots, QPU-seconds: the larger) the backends executed",
        lambda s: s.spend.consumed if s.spend is not None else None,
    ),
    "shots_per_ok_job": (
        "",
        "shots executed (retries and duplicates included) per ok job",
        lambda s: s.ledger.shots_per_ok_job,
    ),
    "qpu_seconds_per_ok_job": (
        "s",
        "QPU-seconds executed per ok job",
        lambda s: s.ledger.qpu_seconds_per_ok_job,
    ),
    "mean_fidelity": ("", "mean Hellinger fidelity of results", lambda s: s.mean_fidelity),
    "too_good_results": (
        "",
        "results closer to the ideal than the correctness SLO's max_fidelity (not the device's)",
        lambda s: s.too_good,
    ),
    "drifted_results": (
        "",
        "results more than the stability SLO's max_drop below their circuit's baseline",
        lambda s: s.drifted,
    ),
    "iteration_latency_p95": (
        "s",
        "p95 of hybrid loop iterations, submit to result seen (no loops fails)",
        lambda s: s.iteration_p95,
    ),
    "unfinished_loops": (
        "",
        "hybrid loops that did not complete every iteration (no loops fails)",
        lambda s: sum(1 for lp in s.loops if not lp.finished) if s.loops else None,
    ),
    "worst_tenant_success": (
        "",
        "lowest success rate (ok / jobs) of any tenant",
        lambda s: worst_tenant_success(s.tenants),
    ),
    "quiet_tenant_queue_wait_p95": (
        "s",
        "worst queue wait p95 of the tenants within their fair share of the jobs",
        lambda s: quiet_queue_wait_p95(s.tenants),
    ),
    "alert_precision": (
        "",
        "share of the SUT's pages that were about an incident",
        _alerting("precision"),
    ),
    "alert_recall": (
        "",
        "share of incidents the SUT paged about",
        _alerting("recall"),
    ),
    "false_positive_pages": (
        "",
        "pages outside every incident",
        _alerting("false_positives"),
    ),
    "alerts_per_incident": (
        "",
        "most pages one incident caused (an alert storm)",
        _alerting("worst_per_incident"),
    ),
    "unresolved_alerts": (
        "",
        "pages still firing at the end of the run",
        _alerting("unresolved"),
    ),
    "alerts_lost": (
        "",
        "pages the webhook refused and the SUT never delivered after",
        lambda s: len(s.telemetry.lost),
    ),
    "metrics_dark": (
        "s",
        "longest time between two successful scrapes of the SUT's metrics",
        lambda s: s.telemetry.longest_dark,
    ),
    "secret_leaks": (
        "",
        "credentials the SUT was given seen in its log, alerts or requests (place x secret)",
        lambda s: len(s.secrets.leaks),
    ),
    "runbook_steps_missed": (
        "",
        "due runbook steps not done within their deadline",
        lambda s: sum(1 for r in s.runbook if r.missed),
    ),
    "score": ("", "resilience score 0-100", lambda s: s.resilience.score),
}


def evaluate(spec: GateSpec, s: Score) -> GateResult:
    unit, _, getter = GATES[spec.name]
    if spec.name == "mttr" and s.incidents and not any(i.impact for i in s.incidents):
        # nothing to recover from is the best a system can do, not a missing figure
        return GateResult(spec.name, spec.op, spec.threshold, None, True, unit, "no impact")
    value = getter(s)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        passed = False
    elif spec.op == "max":
        passed = value <= spec.threshold
    else:
        passed = value >= spec.threshold
    return GateResult(spec.name, spec.op, spec.threshold, value, passed, unit)


def not_evaluated(spec: GateSpec) -> GateResult:
    """A gate of a run that never injected a fault: no value, neither passed nor failed."""
    return GateResult(spec.name, spec.op, spec.threshold, None, None, GATES[spec.name][0])
