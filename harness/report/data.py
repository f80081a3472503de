"""``report.json``: the score plus what a reader needs to trust it (versioned schema)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from harness.errors import ScenarioError
from harness.scenario import Scenario, parse_scenario
from harness.scoring import Score, exit_code

__all__ = ["SCHEMA_VERSION", "build_report", "scenario_of"]

SCHEMA_VERSION = 1


def _first(records: Sequence[Mapping[str, Any]], kind: str) -> Mapping[str, Any]:
    return next((r for r in records if r.get("type") == kind), {})


def _last(records: Sequence[Mapping[str, Any]], kind: str) -> Mapping[str, Any]:
    return next((r for r in reversed(records) if r.get("type") == kind), {})


def scenario_of(records: Sequence[Mapping[str, Any]]) -> Scenario:
    """The scenario a journal was recorded with (from its ``run.config`` record)."""
    config = _first(records, "run.config")
    if not config:
        raise ScenarioError("the journal has no run.config record", file="journal.jsonl")
    return parse_scenario(config.get("source"), file=str(config.get("file", "journal.jsonl")))


def _num(x: float | None, digits: int = 3) -> float | None:
    """JSON-safe number: None stays None, infinity becomes None (reported as such)."""
    if x is None or not math.isfinite(x):
        return None
    return round(x, digits)


def build_report(
    records: Sequence[Mapping[str, Any]], scenario: Scenario, result: Score
) -> dict[str, Any]:
    """The report as JSON-ready data; every other report format renders from this."""
    started = _first(records, "run.started")
    ended = _last(records, "run.ended")
    ledger = result.ledger
    return {
        "schema_version": SCHEMA_VERSION,
        "scenario": scenario.name,
        "description": scenario.description,
        "seed": scenario.seed,
        "time_scale": scenario.time_scale,
        "duration_s": scenario.duration,
        "target": started.get("target"),
        "started_at": started.get("started_at"),
        "wall_seconds": _num(ended.get("wall_s"), 1),
        "status": result.status,
        "reason": result.reason,
        "passed": result.passed,
        "exit_code": exit_code(result),
        "incidents": [
            {
                "fault": i.id,
                "kind": i.kind,
                "start_s": _num(i.start_s),
                "end_s": _num(i.end_s),
                "detected": i.detected,
                "detected_at_s": _num(i.detected_at_s),
                "ttd_s": _num(i.ttd_s),
                "impact": i.impact,
                "impact_start_s": _num(i.impact_start_s),
                "recovered": i.recovered,
                "recovered_at_s": _num(i.recovered_at_s),
                "ttr_s": _num(i.ttr_s),
            }
            for i in result.incidents
        ],
        "mttr_s": _num(result.mttr_s),
        "error_budget_consumed": _num(result.error_budget_consumed, 4),
        "slos": [
            {
                "name": s.name,
                "objective": s.objective,
                "threshold_s": s.threshold,
                "window_s": s.window,
                "good": s.good,
                "bad": s.bad,
                "total": s.total,
                "error_budget_consumed": _num(s.error_budget_consumed, 4),
            }
            for s in result.slos
        ],
        "jobs": {
            "submitted": ledger.submitted,
            "ok": ledger.ok,
            "failed": ledger.failed,
            "wrong": ledger.wrong,
            "indeterminate": ledger.indeterminate,
            "lost": ledger.lost,
            "duplicated": ledger.duplicated,
            "duplicate_executions": ledger.duplicate_executions,
            "success_rate": _num(ledger.success_rate, 4),
        },
        "cost": {
            "executions": ledger.executions,
            "unkeyed_executions": ledger.unkeyed_executions,
            "shots_executed": ledger.shots_executed,
            "qpu_seconds": _num(ledger.qpu_seconds, 1),
            "shots_per_ok_job": _num(ledger.shots_executed / ledger.ok, 1) if ledger.ok else None,
        },
        "mean_fidelity": _num(result.mean_fidelity, 4),
        "gates": [
            {
                "name": g.name,
                "op": g.op,
                "threshold": g.threshold,
                "value": _num(g.value, 4) if g.value is not None else None,
                "unit": g.unit,
                "passed": g.passed,
            }
            for g in result.gates
        ],
        "alerts": [{"t": a.t, "status": a.status, "name": a.name} for a in result.alerts],
        "timeline": [
            {
                "t": t.start,
                "healthy": t.healthy,
                **{
                    name: (
                        _num(t.good.get(name, 0) / n, 4) if (n := t.total.get(name, 0)) else None
                    )
                    for name in (s.name for s in scenario.slos)
                },
                "fidelity": _num(t.fidelity, 4),
            }
            for t in result.ticks
        ],
    }
