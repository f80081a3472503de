"""Scoring a run: the journal in, a :class:`~harness.scoring.result.Score` out."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from harness.scoring.burn import burn_analysis
from harness.scoring.config import ScoringConfig
from harness.scoring.gates import evaluate
from harness.scoring.incidents import Incident, incidents
from harness.scoring.ledger import ledger
from harness.scoring.resilience import resilience
from harness.scoring.result import Score
from harness.scoring.runbook import RunbookContext, runbook_results
from harness.scoring.slis import TickStats, sli_events, slo_results, tick_stats
from harness.scoring.stats import mean
from harness.scoring.views import (
    Record,
    alerts_of,
    faults_of,
    job_views,
    mitigations_of,
    run_end,
)

__all__ = ["is_interactive", "run_status", "runbook_context", "score"]


def run_status(records: Sequence[Record]) -> tuple[str, str | None]:
    """(status, reason) from the last ``run.ended`` record; ``incomplete`` without one."""
    for r in reversed(records):
        if r.get("type") == "run.ended":
            return str(r.get("status", "completed")), r.get("reason")
    return "incomplete", "the journal has no run.ended record (the run was killed)"


def runbook_context(
    records: Sequence[Record],
    config: ScoringConfig,
    ticks: Sequence[TickStats],
    found: Sequence[Incident],
    *,
    now: float = float("inf"),
) -> RunbookContext:
    """What runbook steps are evaluated against, from the journal and the incidents."""
    return RunbookContext(
        alerts=alerts_of(records),
        faults=faults_of(records),
        ticks=ticks,
        tick=config.tick,
        recoveries=[
            (i.recovered_at_s, i.recovered_at_s + (config.stable_window if i.impact else 0.0))
            for i in found
            if i.recovered_at_s is not None
        ],
        mitigations=mitigations_of(records),
        events=[
            (float(r["t"]), str(r.get("name", ""))) for r in records if r.get("type") == "sut.event"
        ],
        step_records=[r for r in records if r.get("type") == "runbook.step"],
        interactive=is_interactive(records),
        now=now,
    )


def is_interactive(records: Sequence[Record]) -> bool:
    return any(r.get("type") == "run.config" and r.get("interactive") for r in records)


def score(records: Sequence[Record], config: ScoringConfig, *, final: bool = True) -> Score:
    """Score a journal (a list of records as written to ``journal.jsonl``).

    ``final=False`` scores a run still playing: unfinished jobs are not lost yet.
    """
    end = run_end(records)
    jobs = job_views(records)
    events = sli_events(records, config.slos, end, jobs=jobs, final=final)
    ticks = tick_stats(records, config, end, events=events, jobs=jobs)
    alerts = alerts_of(records)
    burn = burn_analysis(events, config.slos, config.burn_rules, config.tick, end)
    args = (faults_of(records), ticks, alerts, burn)
    mitigations = mitigations_of(records)
    first = incidents(*args, (), mitigations, config, end)
    steps = runbook_results(config.runbook, runbook_context(records, config, ticks, first, now=end))
    interactive = is_interactive(records)
    acks = [
        s.done_at
        for s in steps
        if s.done_at is not None and (s.by == "responder" or not interactive)
    ]
    found = incidents(*args, acks, mitigations, config, end)
    ttrs = [i.ttr_s for i in found]
    mttr = (
        None
        if not ttrs or any(t is None for t in ttrs)
        else mean([t for t in ttrs if t is not None])
    )
    slos = slo_results(records, config, end, events=events)
    led = ledger(records, jobs)
    consumed = max((s.error_budget_consumed for s in slos), default=0.0)
    status, reason = run_status(records)
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
        mean_fidelity=mean([j.fidelity for j in jobs.values() if j.fidelity is not None]),
        interactive=interactive,
    )
    gates = tuple(evaluate(g, draft) for g in config.gates)
    passed = status == "completed" and all(g.passed for g in gates)
    return dataclasses.replace(draft, gates=gates, passed=passed)
