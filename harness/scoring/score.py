"""Scoring a run: the journal in, a :class:`~harness.scoring.result.Score` out."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from harness.scoring.alerting import alert_quality
from harness.scoring.burn import burn_analysis
from harness.scoring.config import ScoringConfig
from harness.scoring.cost import spend
from harness.scoring.gates import evaluate, not_evaluated
from harness.scoring.incidents import Incident, incidents
from harness.scoring.inflight import affected, in_flight
from harness.scoring.journal_view import JournalView
from harness.scoring.ledger import ledger
from harness.scoring.loops import iteration_latency_p95, loop_stats
from harness.scoring.measurement import measurement
from harness.scoring.resilience import resilience
from harness.scoring.result import Score
from harness.scoring.runbook import RunbookContext, runbook_results
from harness.scoring.slis import SloResult, TickStats, sli_events, slo_results, tick_stats
from harness.scoring.stats import mean
from harness.scoring.telemetry import secrets, telemetry
from harness.scoring.tenancy import tenant_stats
from harness.scoring.views import JobView, Record

__all__ = ["runbook_context", "score", "score_view"]


def runbook_context(
    view: JournalView,
    config: ScoringConfig,
    ticks: Sequence[TickStats],
    found: Sequence[Incident],
    *,
    now: float = float("inf"),
) -> RunbookContext:
    """What runbook steps are evaluated against, from the journal and the incidents."""
    return RunbookContext(
        alerts=tuple(view.alerts),
        faults=view.faults,
        ticks=ticks,
        tick=config.tick,
        recoveries=[
            (i.recovered_at_s, i.recovered_at_s + config.stable_window)
            for i in found
            if i.recovered_at_s is not None
        ]
        # nothing to recover from: an ``expect: recovery`` step is done at the fault start
        + [(i.start_s, i.start_s) for i in found if not i.impact],
        mitigations=sorted(view.mitigations),
        events=list(view.sut_events),
        step_records=list(view.step_records),
        interactive=view.interactive,
        now=now,
    )


def _mttr(found: Sequence[Incident]) -> float | None:
    """Mean TTR over the incidents with impact (None: one was not recovered, or none)."""
    ttrs = [i.ttr_s for i in found if i.impact]
    if not ttrs or any(t is None for t in ttrs):
        return None
    return mean([t for t in ttrs if t is not None])


def _with_impact(
    found: Sequence[Incident], view: JournalView, config: ScoringConfig, end: float
) -> tuple[Incident, ...]:
    """Each incident with its affected jobs and worst latency, over its window: start to
    recovery (not recovered, or no impact: to the next incident, or the run's end)."""
    out = []
    for k, inc in enumerate(found):
        after = found[k + 1].start_s if k + 1 < len(found) else end
        recovered = inc.recovered_at_s
        until = recovered if inc.impact and recovered is not None else after
        worst = affected(view.jobs, config.slos, inc.start_s, until, end)
        out.append(
            dataclasses.replace(
                inc,
                affected_jobs=worst.affected_jobs,
                worst_latency_s=worst.worst_latency_s,
                worst_latency_in_flight=worst.in_flight,
            )
        )
    return tuple(out)


def _too_good(jobs: Iterable[JobView], config: ScoringConfig) -> int | None:
    """Jobs delivered closer to the ideal than the correctness SLO's ``max_fidelity``."""
    ceiling = next((s.max_fidelity for s in config.slos if s.name == "correctness"), None)
    if ceiling is None:
        return None
    return sum(1 for j in jobs if j.fidelity is not None and j.fidelity > ceiling)


def _drifted(slos: Sequence[SloResult]) -> int | None:
    """Results that drifted from their circuit's baseline: the stability SLO's bad
    events (None: no such SLO)."""
    return next((s.bad for s in slos if s.name == "stability" and s.max_drop is not None), None)


def score(records: Sequence[Record], config: ScoringConfig, *, final: bool = True) -> Score:
    """Score a journal (a list of records as written to ``journal.jsonl``).

    ``final=False`` scores a run still playing: unfinished jobs are not lost yet.
    """
    return score_view(JournalView.of(records), config, final=final)


def score_view(view: JournalView, config: ScoringConfig, *, final: bool = True) -> Score:
    """Score a journal's view (:func:`score`; live, the runner's up-to-date view)."""
    end, jobs = view.end, view.jobs
    events = sli_events(view.requests, config.slos, end, jobs=jobs, final=final)
    ticks = tick_stats(view.ticks, config, end, events=events, jobs=jobs)
    alerts = tuple(view.alerts)
    burn = burn_analysis(events, config.slos, config.burn_rules, config.tick, end)
    args = (view.faults, ticks, alerts, burn)
    mitigations = sorted(view.mitigations)
    first = incidents(*args, (), mitigations, config, end)
    steps = runbook_results(config.runbook, runbook_context(view, config, ticks, first, now=end))
    # acknowledged: a step done (typed by the responder in an interactive run) or a page
    # acknowledged with `ack`
    acks = [
        s.done_at
        for s in steps
        if s.done_at is not None and (s.by == "responder" or not view.interactive)
    ] + view.acks
    found = incidents(*args, acks, mitigations, config, end)
    if final:  # what the reports show; the live loops (runbook, stop monitor) need none
        found = _with_impact(found, view, config, end)
    mttr = _mttr(found)
    slos = slo_results((), config, end, events=events)
    led = ledger(view.executions, jobs)
    consumed = max((s.error_budget_consumed for s in slos), default=0.0)
    status, reason = view.status or (
        "incomplete",
        "the journal has no run.ended record (the run was killed)",
    )
    measured = measurement([*view.instrument, *view.executions], config.tick, config.lag_tolerance)
    if status == "completed" and not measured.reliable:
        # the machine distorted the run: its figures are shown, never judged
        status, reason = "unreliable", measured.describe()
    draft = Score(
        status=status,
        reason=reason,
        end_s=end,
        incidents=found,
        mttr_s=mttr,
        slos=slos,
        error_budget_consumed=consumed,
        ledger=led,
        ticks=ticks,
        alerts=alerts,
        gates=(),
        burn=burn,
        runbook=steps,
        resilience=resilience(led, found, slos, steps, config.weights, config.recovery_target),
        measurement=measured,
        spend=spend(led, config.budget),
        alerting=alert_quality(alerts, found, config.stable_window, end),
        telemetry=telemetry(view.refused, view.scrapes, alerts),
        secrets=secrets(view.leaks, view.secret_scan),
        mean_fidelity=mean([j.fidelity for j in jobs.values() if j.fidelity is not None]),
        tenants=tenant_stats(jobs.values(), end),
        loops=loop_stats(jobs.values(), end),
        iteration_p95=iteration_latency_p95(jobs.values(), end),
        too_good=_too_good(jobs.values(), config),
        drifted=_drifted(slos),
        interactive=view.interactive,
        in_flight=in_flight(jobs.values(), config.tick, len(ticks), end) if final else (),
    )
    # a run that never injected a fault (invalid, or stopped first) has nothing to gate
    judged = status in ("completed", "unreliable") or bool(view.faults)
    gates = tuple(evaluate(g, draft) if judged else not_evaluated(g) for g in config.gates)
    if status == "unreliable":
        gates = tuple(dataclasses.replace(g, note="not judged: run unreliable") for g in gates)
    passed = status == "completed" and all(g.passed for g in gates)
    return dataclasses.replace(draft, gates=gates, passed=passed)
