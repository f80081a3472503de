"""The resilience score: one number 0-100 from weighted parts, each 0..1.

- ``correctness`` = 1 - (lost + wrong + unexpected + duplicated) / submitted.
- ``recovery`` = mean over incidents of 1 when TTR <= target (or the incident had no
  impact), target / TTR when slower, 0 when not recovered.
- ``slo`` = 1 - min(1, worst SLO's error budget consumed).
- ``runbook`` = mean over the steps that count (due, done, or blocked by a step that was
  due and never done: :mod:`harness.scoring.runbook`) of 1 (done in time and in order),
  0.5 (done late or out of order) or 0 (not done).

score = 100 x sum(weight x part) / sum(weight), over the parts that apply (a run
without incidents has no recovery part, one without a runbook no runbook part).
Every part is monotone: a longer outage, one more bad event or one more lost job
never raises the score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness.scoring.config import Weights
from harness.scoring.incidents import Incident
from harness.scoring.ledger import Ledger
from harness.scoring.runbook import StepResult
from harness.scoring.slis import SloResult

__all__ = ["Resilience", "resilience"]


@dataclass(frozen=True, slots=True)
class Resilience:
    """The score (None when no part applies) and each part (None: does not apply)."""

    score: float | None
    parts: Mapping[str, float | None]
    weights: Mapping[str, float]


def resilience(
    ledger: Ledger,
    incidents: Sequence[Incident],
    slos: Sequence[SloResult],
    steps: Sequence[StepResult],
    weights: Weights,
    recovery_target: float,
) -> Resilience:
    parts: dict[str, float | None] = {
        "correctness": _correctness(ledger),
        "recovery": _recovery(incidents, recovery_target),
        "slo": _slo(slos),
        "runbook": _runbook(steps),
    }
    w = {
        "correctness": weights.correctness,
        "recovery": weights.recovery,
        "slo": weights.slo,
        "runbook": weights.runbook,
    }
    used = {k: w[k] for k, v in parts.items() if v is not None and w[k] > 0}
    total_w = sum(used.values())
    if total_w <= 0:
        return Resilience(None, parts, w)
    value = 100.0 * sum(w * (parts[k] or 0.0) for k, w in used.items()) / total_w
    return Resilience(round(value, 2), parts, w)


def _correctness(led: Ledger) -> float | None:
    if not led.submitted:
        return None
    bad = led.lost + led.wrong + led.unexpected + led.duplicated
    return max(0.0, 1.0 - bad / led.submitted)


def _recovery(incidents: Sequence[Incident], target: float) -> float | None:
    if not incidents:
        return None
    parts = []
    for i in incidents:
        if not i.impact:
            parts.append(1.0)  # no impact: nothing to recover from
        elif i.ttr_s is None:
            parts.append(0.0)
        elif i.ttr_s <= target:
            parts.append(1.0)
        else:
            parts.append(target / i.ttr_s)
    return sum(parts) / len(parts)


def _slo(slos: Sequence[SloResult]) -> float | None:
    used = [s.error_budget_consumed for s in slos if s.total]
    if not used:
        return None
    return 1.0 - min(1.0, max(used))


def _runbook(steps: Sequence[StepResult]) -> float | None:
    due = [s for s in steps if s.counted]
    if not due:
        return None
    marks = []
    for s in due:
        if s.done_at is None:
            marks.append(0.0)
        elif s.status == "done" and s.in_order:
            marks.append(1.0)
        else:
            marks.append(0.5)
    return sum(marks) / len(marks)
