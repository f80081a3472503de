"""The scoring-related sections of a scenario: ``scoring:`` and ``stop_when:``.

::

    scoring:
      stable_window: 2m                # healthy SLIs needed to call an incident recovered
      burn_rate:
        window_scale: 0.1              # 1h/5m -> 6m/30s (compressed game days)
        rules: [{factor: 14.4, long: 1h, short: 5m}, {factor: 6, long: 6h, short: 30m}]
      weights: {correctness: 0.35, recovery: 0.3, slo: 0.2, runbook: 0.15}
      recovery_target: 10m             # TTR at or under this scores full recovery marks
      lag_tolerance: 10s               # measurement lag (p99) beyond it: "unreliable" (a tick)

    stop_when:                         # abort, revert faults, drain, report "aborted"
      burn_rate: {above: 50, window: 2m}
      lost_jobs: {above: 5}            # window: default the drain length
      failed_jobs: {above: 100}
      wrong_results: {above: 0}
      error_budget_consumed: {above: 0.5}

    budget:                            # the run's spend (every backend execution counts)
      shots: 300000
      qpu_seconds: 15m
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.fields import Fields
from harness.scoring import (
    DEFAULT_BURN_RULES,
    STOP_RULES,
    BurnRule,
    SpendBudget,
    StopRule,
    Weights,
)

__all__ = ["ScoringSection", "parse_budget", "parse_scoring_section", "parse_stop_when"]


@dataclass(frozen=True, slots=True)
class ScoringSection:
    """The validated ``scoring:`` section."""

    stable_window: float = 120.0
    burn_rules: tuple[BurnRule, ...] = DEFAULT_BURN_RULES
    weights: Weights = field(default_factory=Weights)
    recovery_target: float = 600.0
    lag_tolerance: float | None = None  # None: one tick
    window_scale: float = 1.0  #: the burn-rate windows' multiplier (rules are scaled already)


def parse_scoring_section(f: Fields) -> ScoringSection:
    stable = f.duration("stable_window", 120.0, positive=True)
    burn = f.child("burn_rate", {})
    scale = burn.number("window_scale", 1.0, min=1e-6)
    if scale <= 0:
        raise burn.error("expected a positive number", "window_scale")
    rules: tuple[BurnRule, ...] = DEFAULT_BURN_RULES
    if burn.has("rules"):
        rules = tuple(_rule(r) for r in burn.children("rules"))
        if not rules:
            raise burn.error("expected at least one rule", "rules")
    burn.done()
    w = f.child("weights", {})
    d = Weights()
    weights = Weights(
        correctness=w.number("correctness", d.correctness, min=0.0),
        recovery=w.number("recovery", d.recovery, min=0.0),
        slo=w.number("slo", d.slo, min=0.0),
        runbook=w.number("runbook", d.runbook, min=0.0),
    )
    w.done()
    if sum((weights.correctness, weights.recovery, weights.slo, weights.runbook)) <= 0:
        raise f.error("at least one weight must be positive", "weights")
    target = f.duration("recovery_target", 600.0, positive=True)
    tolerance = f.duration("lag_tolerance", None, positive=True)
    f.done()
    rules = tuple(r.scaled(scale) for r in rules)
    return ScoringSection(stable, rules, weights, target, tolerance, scale)


def _rule(r: Fields) -> BurnRule:
    rule = BurnRule(
        r.number("factor", min=0.0),
        r.duration("long", positive=True),
        r.duration("short", positive=True),
    )
    if rule.short > rule.long:
        raise r.error("the short window must not be longer than the long one", "short")
    r.done()
    return rule


def parse_stop_when(f: Fields) -> tuple[StopRule, ...]:
    out = []
    for name, c in f.named("stop condition", list(STOP_RULES)):
        above = c.number("above", min=0.0)
        window = c.duration("window", None, positive=True) if STOP_RULES[name] else None
        c.done()
        out.append(StopRule(name, above, window))
    return tuple(out)


def parse_budget(f: Fields) -> SpendBudget | None:
    """The ``budget:`` section (absent: None): shots and/or QPU-seconds, at least one."""
    if not f.keys():
        f.done()
        return None
    shots = f.integer("shots", None, min=1)
    qpu = f.duration("qpu_seconds", None, positive=True)
    f.done()
    if shots is None and qpu is None:
        raise f.error("expected shots, qpu_seconds or both")
    return SpendBudget(shots, qpu)
