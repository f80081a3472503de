"""Stop conditions (``stop_when:``), evaluated on the journal so far while a run plays
(its :class:`~harness.scoring.journal_view.JournalView`, kept up to date by the runner).

A condition holds when its value is strictly above its bound:

- ``burn_rate``: the highest burn rate of any SLO over the trailing ``window``;
- ``lost_jobs``: jobs accepted by the SUT and still unanswered ``window`` after their
  submit (by default the drain length: they would be lost if the run ended now);
- ``failed_jobs``: jobs failed or rejected so far;
- ``wrong_results``: jobs completed with invalid or unexpected results so far;
- ``error_budget_consumed``: the worst SLO's budget consumed so far.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness.scoring.burn import burn_rate
from harness.scoring.config import ScoringConfig, StopRule
from harness.scoring.events import SliEvent
from harness.scoring.journal_view import JournalView
from harness.scoring.slis import sli_events, slo_results
from harness.scoring.views import JobView

__all__ = ["STOP_RULES", "StopHit", "stop_check"]

#: names a scenario can use under ``stop_when:``, with whether they take a window.
STOP_RULES = {
    "burn_rate": True,
    "lost_jobs": True,
    "failed_jobs": False,
    "wrong_results": False,
    "error_budget_consumed": False,
}


@dataclass(frozen=True, slots=True)
class StopHit:
    """A stop condition that holds: which, its value and bound, in words."""

    name: str
    value: float
    above: float
    reason: str


def stop_check(
    view: JournalView, config: ScoringConfig, now: float, default_window: float
) -> StopHit | None:
    """The first stop condition (in scenario order) that holds at ``now``, if any."""
    if not config.stop:
        return None
    jobs = view.jobs
    events = sli_events(view.requests, config.slos, now, final=False, jobs=jobs)
    for rule in config.stop:
        value = _value(rule, config, now, default_window, jobs, events)
        if value is not None and value > rule.above:
            return StopHit(rule.name, value, rule.above, _describe(rule, value, default_window))
    return None


def _value(
    rule: StopRule,
    config: ScoringConfig,
    now: float,
    default_window: float,
    jobs: Mapping[str, JobView],
    events: Mapping[str, Sequence[SliEvent]],
) -> float | None:
    window = rule.window if rule.window is not None else default_window
    if rule.name == "burn_rate":
        rates = [burn_rate(events.get(s.name, ()), s.objective, now, window) for s in config.slos]
        known = [r for r in rates if r is not None]
        return max(known) if known else None
    if rule.name == "lost_jobs":
        return float(
            sum(
                1
                for j in jobs.values()
                if j.accepted and j.outcome is None and now - j.submitted_at > window
            )
        )
    if rule.name == "failed_jobs":
        return float(sum(1 for j in jobs.values() if j.outcome == "failed"))
    if rule.name == "wrong_results":
        return float(sum(1 for j in jobs.values() if j.outcome in ("wrong", "unexpected")))
    results = slo_results((), config, now, final=False, events=events)
    return max((r.error_budget_consumed for r in results), default=0.0)


def _describe(rule: StopRule, value: float, default_window: float) -> str:
    window = rule.window if rule.window is not None else default_window
    over = f" over {window:g}s" if STOP_RULES.get(rule.name) else ""
    return f"stop condition {rule.name}{over}: {value:g} > {rule.above:g}"
