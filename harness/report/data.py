"""``report.json``: the score plus what a reader needs to trust it.

The format is versioned (:data:`SCHEMA_VERSION`) and described by the JSON Schema in
``harness/report/report.schema.json``; a test validates real reports against it. The
scenario comes in as :class:`ScenarioFacts` (a parsed scenario is one): reports never
parse a scenario themselves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from harness.exitcode import ExitCode
from harness.scoring import (
    Incident,
    InFlight,
    Ledger,
    Measurement,
    Score,
    ScoringConfig,
    SloResult,
    StepResult,
    TickStats,
    can_fire,
)

__all__ = ["SCHEMA_VERSION", "ScenarioFacts", "build_report"]

SCHEMA_VERSION = 3


def _first(records: Sequence[Mapping[str, Any]], kind: str) -> Mapping[str, Any]:
    return next((r for r in records if r.get("type") == kind), {})


def _last(records: Sequence[Mapping[str, Any]], kind: str) -> Mapping[str, Any]:
    return next((r for r in reversed(records) if r.get("type") == kind), {})


class ScenarioFacts(Protocol):
    """What a report needs to know about the scenario of a run."""

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def seed(self) -> int: ...

    @property
    def time_scale(self) -> float: ...

    @property
    def duration(self) -> float: ...

    @property
    def tick(self) -> float: ...

    def scoring_config(self) -> ScoringConfig: ...


def _num(x: float | None, digits: int = 3) -> float | None:
    """JSON-safe number: None stays None, infinity becomes None (reported as such)."""
    if x is None or not math.isfinite(x):
        return None
    return round(x, digits)


def _inc(i: Incident, uncertainty: float) -> dict[str, Any]:
    return {
        "fault": i.id,
        "kind": i.kind,
        "start_s": _num(i.start_s),
        "end_s": _num(i.end_s),
        "detected": i.detected,
        "detected_at_s": _num(i.detected_at_s),
        "ttd_s": _num(i.ttd_s),
        "burn_rate_detected_at_s": _num(i.burn_detected_at_s),
        "burn_rate_ttd_s": _num(i.burn_ttd_s),
        "acknowledged_at_s": _num(i.acknowledged_at_s),
        "tta_s": _num(i.tta_s),
        "mitigated_at_s": _num(i.mitigated_at_s),
        "ttm_s": _num(i.ttm_s),
        "mitigation": i.mitigation,
        "impact": i.impact,
        "impact_start_s": _num(i.impact_start_s),
        "recovered": i.recovered,
        "recovery": i.recovery,
        "recovered_at_s": _num(i.recovered_at_s),
        "ttr_s": _num(i.ttr_s),
        "uncertainty_s": _num(uncertainty) or 0.0,
        "affected_jobs": i.affected_jobs,
        "worst_latency_s": _num(i.worst_latency_s, 1),
        "worst_latency_in_flight": i.worst_latency_in_flight,
        "causes": [
            {"fault": c.id, "kind": c.kind, "start_s": _num(c.start), "end_s": _num(c.end)}
            for c in i.causes
        ],
    }


def _measurement(m: Measurement | None) -> dict[str, Any]:
    if m is None:
        m = Measurement(None, 0.0, 0.0, 0.0, (), None)
    return {
        "time_scale": m.time_scale,
        "tolerance_s": _num(m.tolerance) or 0.0,
        "uncertainty_s": _num(m.uncertainty) or 0.0,
        "max_lag_s": _num(m.max_lag) or 0.0,
        "worst_source": m.worst,
        "reliable": m.reliable,
        "safe_time_scale": _num(m.safe_scale, 1),
        "sources": [
            {"name": s.name, "n": s.n, "p99_s": _num(s.p99) or 0.0, "max_s": _num(s.max) or 0.0}
            for s in m.sources
        ],
    }


def _slo(s: SloResult, result: Score) -> dict[str, Any]:
    page = next((p for p in result.burn.pages if p.slo == s.name), None)
    peak = max(
        (r for pt in result.burn.timeline if (r := pt.rates.get(s.name)) is not None),
        default=None,
    )
    return {
        "name": s.name,
        "objective": s.objective,
        "threshold_s": s.threshold,
        "min_fidelity": s.min_fidelity,
        "max_fidelity": s.max_fidelity,
        "max_drop": s.max_drop,
        "window_s": s.window,
        "good": s.good,
        "bad": s.bad,
        "total": s.total,
        "error_budget_consumed": _num(s.error_budget_consumed, 4),
        "peak_burn_rate": _num(peak, 2),
        "page": None
        if page is None
        else {
            "at_s": _num(page.t),
            "factor": page.rule.factor,
            "long_window_s": _num(page.rule.long),
            "short_window_s": _num(page.rule.short),
        },
    }


def _ledger(led: Ledger) -> dict[str, Any]:
    return {
        "submitted": led.submitted,
        "ok": led.ok,
        "failed": led.failed,
        "wrong": led.wrong,
        "unexpected": led.unexpected,
        "indeterminate": led.indeterminate,
        "recovered": led.recovered,
        "lost": led.lost,
        "duplicated": led.duplicated,
        "duplicate_executions": led.duplicate_executions,
        "execution_surplus": led.execution_surplus,
        "by_fingerprint": led.by_fingerprint,
        "by_key": led.by_key,
        "unattributed_executions": led.unattributed,
        "key_mismatches": led.key_mismatches,
        "identity_checked": led.identity_checked,
        "identity_conflicts": led.identity_conflicts,
        "canaries": led.canaries,
        "success_rate": _num(led.success_rate, 4),
        "unexpected_results": [
            {"job": u.job, "expected": u.expected, "got": u.got, "belongs_to": u.belongs_to}
            for u in led.unexpected_results
        ],
    }


def _alerting(result: Score) -> dict[str, Any]:
    q = result.alerting
    if q is None:
        return {"pages": [], "precision": None, "recall": None, "false_positives": 0,
                "unresolved": 0, "worst_per_incident": 0, "per_incident": {}}  # fmt: skip
    return {
        "pages": [
            {
                "alert": p.identity,
                "t": _num(p.t),
                "resolved_at_s": _num(p.resolved_at),
                "incident": p.incident,
            }  # fmt: skip
            for p in q.pages
        ],
        "precision": _num(q.precision, 4),
        "recall": _num(q.recall, 4),
        "false_positives": q.false_positives,
        "unresolved": q.unresolved,
        "worst_per_incident": q.worst_per_incident,
        "per_incident": dict(q.per_incident),
    }


def _telemetry(result: Score) -> dict[str, Any]:
    t = result.telemetry
    return {
        "webhook_refused": t.refused,
        "alerts_lost": list(t.lost),
        "scrapes": t.scrapes,
        "scrape_failures": t.scrape_failures,
        "longest_dark_s": _num(t.longest_dark),
    }


def _secrets(result: Score) -> dict[str, Any]:
    found = result.secrets
    return {
        "checked": dict(found.checked) if found.checked is not None else None,
        "leaks": [
            {"t": _num(k.t), "where": k.where, "secret": k.secret, "detail": k.detail}
            for k in found.leaks
        ],
    }


def _tenants(result: Score) -> list[dict[str, Any]]:
    return [
        {
            "tenant": t.tenant,
            "jobs": t.jobs,
            "share": _num(t.share, 4),
            "success_rate": _num(t.success_rate, 4),
            "queue_wait_p95_s": _num(t.queue_wait_p95, 1),
            "quiet": t.quiet,
        }
        for t in result.tenants
    ]


def _loops(result: Score) -> list[dict[str, Any]]:
    return [
        {
            "loop": lp.loop,
            "iterations": lp.iterations,
            "done": lp.done,
            "duration_s": _num(lp.duration, 1),
            "iteration_p95_s": _num(lp.iteration_p95, 1),
        }
        for lp in result.loops
    ]


def _budget(result: Score) -> dict[str, Any] | None:
    spent = result.spend
    if spent is None or spent.budget is None:
        return None
    return {
        "shots": spent.budget.shots,
        "qpu_seconds": spent.budget.qpu_seconds,
        "shots_consumed": _num(spent.shots_consumed, 4),
        "qpu_consumed": _num(spent.qpu_consumed, 4),
        "consumed": _num(spent.consumed, 4),
    }


def _step(r: StepResult) -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.kind,
        "triggered_at_s": _num(r.triggered_at),
        "done_at_s": _num(r.done_at),
        "by": r.by,
        "within_s": _num(r.within),
        "status": r.status,
        "deadline_met": r.deadline_met,
        "in_order": r.in_order,
        "detail": r.detail,
        "blocked_by": r.blocked_by,
    }


def _tick(
    t: TickStats,
    slo_names: Sequence[str],
    burn: Mapping[str, float | None],
    backlog: InFlight | None,
) -> dict[str, Any]:
    return {
        "t": t.start,
        "healthy": t.healthy,
        **{
            name: (_num(t.good.get(name, 0) / n, 4) if (n := t.total.get(name, 0)) else None)
            for name in slo_names
        },
        "fidelity": _num(t.fidelity, 4),
        "latency_p95_s": _num(t.latency_p95, 1),
        "queue_depth": t.queue_depth,
        "burn_rate": {k: _num(v, 2) for k, v in burn.items()},
        **({"stuck": dict(t.stuck)} if t.stuck else {}),
        "in_flight": backlog.jobs if backlog is not None else None,
        "oldest_in_flight_s": _num(backlog.oldest_s, 1) if backlog is not None else None,
    }


def _sut(records: Sequence[Mapping[str, Any]], started: Mapping[str, Any]) -> dict[str, Any]:
    """Which clock the SUT ran on, its log, and what happened to its process."""
    clock = _first(records, "sut.clock")
    starts = [r for r in records if r.get("type") == "sut.started"]
    return {
        "clock": started.get("sut_clock"),
        "clock_rates": clock.get("measured"),
        "log": starts[0].get("log") if starts else None,
        "starts": len(starts),
        "exits": [
            {"t": r["t"], "exit_code": r.get("exit_code"), "last_lines": r.get("last_lines", "")}
            for r in records
            if r.get("type") == "sut.exited"
        ],
        "kills": [r["t"] for r in records if r.get("type") == "sut.killed"],
        "restart_failures": [
            {"t": r["t"], "error": r.get("error", "")}
            for r in records
            if r.get("type") == "sut.restart_failed"
        ],
    }


def build_report(
    records: Sequence[Mapping[str, Any]], scenario: ScenarioFacts, result: Score
) -> dict[str, Any]:
    """The report as JSON-ready data; every other report format renders from this."""
    started = _first(records, "run.started")
    ended = _last(records, "run.ended")
    config_record = _first(records, "run.config")
    stop = _first(records, "run.stop")
    led = result.ledger
    config = scenario.scoring_config()
    names = [s.name for s in config.slos]
    burn_at = {round(p.t, 6): p.rates for p in result.burn.timeline}
    uncertainty = result.measurement.uncertainty if result.measurement is not None else 0.0
    return {
        "schema_version": SCHEMA_VERSION,
        "scenario": scenario.name,
        "description": scenario.description,
        "seed": scenario.seed,
        "time_scale": scenario.time_scale,
        "clock": config_record.get("clock", "scaled"),  # journals before issue 17: scaled
        "duration_s": scenario.duration,
        "tick_s": scenario.tick,
        "target": started.get("target"),
        "started_at": started.get("started_at"),
        "wall_seconds": _num(ended.get("wall_s"), 1),
        "interactive": result.interactive,
        "status": result.status,
        "reason": result.reason,
        "stop_condition": stop.get("condition"),
        "passed": result.passed,
        "exit_code": ExitCode.of_run(result.status, result.passed),
        "score": {
            "value": result.resilience.score,
            "parts": {k: _num(v, 4) for k, v in result.resilience.parts.items()},
            "weights": dict(result.resilience.weights),
            "recovery_target_s": config.recovery_target,
        },
        "incidents": [_inc(i, uncertainty) for i in result.incidents],
        "mttr_s": _num(result.mttr_s),
        "error_budget_consumed": _num(result.error_budget_consumed, 4),
        "burn_rate": {
            "rules": [
                {
                    "factor": r.factor,
                    "long_window_s": _num(r.long),
                    "short_window_s": _num(r.short),
                    "can_fire": can_fire(r, scenario.duration),
                }
                for r in config.burn_rules
            ],
            "timeline_window_s": _num(result.burn.timeline[0].window)
            if result.burn.timeline
            else None,
            "peak": _num(result.burn.peak, 2),
            "peak_slo": result.burn.peak_slo,
            "page_fired": result.burn.first_page is not None,
            "first_page_at_s": _num(result.burn.first_page.t) if result.burn.first_page else None,
            "first_page_slo": result.burn.first_page.slo if result.burn.first_page else None,
        },
        "slos": [_slo(s, result) for s in result.slos],
        "jobs": _ledger(led),
        "cost": {
            "executions": led.executions,
            "unkeyed_executions": led.unkeyed_executions,
            "shots_executed": led.shots_executed,
            "qpu_seconds": _num(led.qpu_seconds, 1),
            "shots_per_ok_job": _num(led.shots_per_ok_job, 1),
            "qpu_seconds_per_ok_job": _num(led.qpu_seconds_per_ok_job, 3),
            "budget": _budget(result),
        },
        "mean_fidelity": _num(result.mean_fidelity, 4),
        "measurement": _measurement(result.measurement),
        "runbook": [_step(r) for r in result.runbook],
        "gates": [
            {
                "name": g.name,
                "op": g.op,
                "threshold": g.threshold,
                "value": _num(g.value, 4) if g.value is not None else None,
                "unit": g.unit,
                "passed": g.passed,
                "note": g.note,
            }
            for g in result.gates
        ],
        "alerts": [{"t": a.t, "status": a.status, "name": a.name} for a in result.alerts],
        "alert_quality": _alerting(result),
        "telemetry": _telemetry(result),
        "secrets": _secrets(result),
        "tenants": _tenants(result),
        "loops": _loops(result),
        "sut_events": [
            {"t": r["t"], "kind": r.get("kind"), "name": r.get("name")}
            for r in records
            if r.get("type") == "sut.event"
        ],
        "sut": _sut(records, started),
        "timeline": [
            _tick(
                t,
                names,
                burn_at.get(round(t.start + scenario.tick, 6), {}),
                result.in_flight[k] if k < len(result.in_flight) else None,
            )
            for k, t in enumerate(result.ticks)
        ],
    }
