"""Runbook scoring: per step, when it became due, when it was done, deadline and order.

A step is **triggered** at the time its ``when`` first holds (see
:class:`~harness.scoring.config.Trigger`), computed from the journal alone. It is
**done** at:

- an interactive run: the first ``runbook.step`` record with ``status: done`` for it
  (the responder typed its id);
- a ``run`` step: the first ``runbook.step`` record with ``status: done`` (the
  automated action succeeded; ``status: failed`` records a failed attempt);
- an ``expect`` step: the first matching observation at or after its trigger: a firing
  alert (``alert``), a resolved alert (``resolved``), a mitigation (``mitigation``), a
  SUT event named ``expect_name`` (``event``), or an incident recovery confirmed after
  the trigger (``recovery``, done at ``max(trigger, recovered_at)``).

Deadline met: ``done - triggered <= within``. In order: done, and no step listed
before it was done a tick or more later (the scoring's resolution: SLIs, incidents and
the report's times are not finer than a tick, so two steps done in the same instant of
an incident, a few milliseconds apart in the journal, are not out of order).

**A broken chain is missed, not "not triggered".** A step that waits on an earlier
step (``{step: ID}``, or the default: the previous step) which was due and never done
has its incident all the same: it counts as ``missed`` with ``blocked_by`` naming the
step it waited on, whatever the length of the chain. Otherwise a responder who does
nothing would leave every later step "not triggered" and lose no marks for them. Only
a step whose own condition (a fault, an alert, an SLI, a time) never held is ``not
triggered``.

Status: ``done``, ``late``, ``failed`` (its action failed and it never got done),
``missed`` (due, or blocked by a step that was due, and never done) or ``not
triggered``. Missed steps (for the ``runbook_steps_missed`` gate) are those ``late``,
``failed`` or ``missed``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.scoring.config import StepSpec, Trigger
from harness.scoring.slis import TickStats
from harness.scoring.views import AlertView, FaultView

__all__ = ["MISSED_STATUSES", "RunbookContext", "StepResult", "runbook_results"]


@dataclass(frozen=True, slots=True)
class RunbookContext:
    """The facts runbook steps are evaluated against (all scenario seconds)."""

    alerts: Sequence[AlertView] = ()
    faults: Sequence[FaultView] = ()
    ticks: Sequence[TickStats] = ()
    tick: float = 10.0
    recoveries: Sequence[tuple[float, float]] = ()  # (recovered_at, confirmed_at)
    mitigations: Sequence[tuple[float, str]] = ()
    events: Sequence[tuple[float, str]] = ()  # SUT events: (t, name)
    step_records: Sequence[Mapping[str, Any]] = ()
    interactive: bool = False
    now: float = float("inf")


@dataclass(frozen=True, slots=True)
class StepResult:
    """How one runbook step went (times are scenario seconds; None: did not happen)."""

    id: str
    kind: str
    triggered_at: float | None
    done_at: float | None
    by: str | None
    within: float | None
    status: str
    in_order: bool
    detail: str | None = None
    deadline_met: bool | None = field(default=None)
    blocked_by: str | None = None  #: the earlier step it waited on, due and never done

    @property
    def missed(self) -> bool:
        """Counted by the ``runbook_steps_missed`` gate: late, failed or never done."""
        return self.status in MISSED_STATUSES

    @property
    def counted(self) -> bool:
        """Scored at all: it became due, was done, or its chain broke before it."""
        return (
            self.triggered_at is not None or self.done_at is not None or self.blocked_by is not None
        )


#: the statuses of a step that was not done in time
MISSED_STATUSES = ("late", "failed", "missed")


def runbook_results(steps: Sequence[StepSpec], ctx: RunbookContext) -> tuple[StepResult, ...]:
    """Evaluate every step in order (a step's trigger may depend on earlier steps)."""
    done: dict[str, float | None] = {}
    out: list[StepResult] = []
    by_id: dict[str, StepResult] = {}
    for i, step in enumerate(steps):
        triggered = _trigger(step.when, i, steps, done, ctx)
        done_at, by, detail, failed = _done(step, triggered, ctx)
        done[step.id] = done_at
        earlier = [done.get(s.id) for s in steps[:i]]
        in_order = done_at is not None and all(
            d is not None and d - done_at < ctx.tick - 1e-9 for d in earlier
        )
        met: bool | None = None
        if done_at is not None:
            base = triggered if triggered is not None else done_at
            met = step.within is None or done_at - base <= step.within + 1e-9
        blocked = None if triggered is not None else _blocked_by(step.when, i, steps, by_id)
        if done_at is not None:
            status = "done" if met else "late"
        elif triggered is None and blocked is None:
            status = "not triggered"
        else:
            status = "failed" if failed else "missed"
        result = StepResult(
            step.id,
            "run" if step.action else "expect",
            triggered,
            done_at,
            by,
            step.within,
            status,
            in_order,
            detail,
            met,
            blocked if done_at is None else None,
        )
        by_id[step.id] = result
        out.append(result)
    return tuple(out)


def _blocked_by(
    when: Trigger, index: int, steps: Sequence[StepSpec], results: Mapping[str, StepResult]
) -> str | None:
    """The earlier step this one waits on, when that step counted and was never done."""
    if when.kind == "step":
        waits_on = when.name
    elif when.kind == "default" and index > 0:
        waits_on = steps[index - 1].id
    else:
        return None
    upstream = results.get(waits_on or "")
    if upstream is None or upstream.done_at is not None or not upstream.counted:
        return None
    return upstream.id


def _trigger(
    when: Trigger,
    index: int,
    steps: Sequence[StepSpec],
    done: Mapping[str, float | None],
    ctx: RunbookContext,
) -> float | None:
    t: float | None
    if when.kind == "default":
        if index > 0:
            t = done.get(steps[index - 1].id)
        else:
            t = ctx.faults[0].start if ctx.faults else None
    elif when.kind == "alert":
        t = next(
            (
                a.t
                for a in ctx.alerts
                if a.status == "firing" and (when.name is None or a.name == when.name)
            ),
            None,
        )
    elif when.kind == "step":
        t = done.get(when.name or "")
    elif when.kind == "at":
        t = when.value
    elif when.kind == "fault":
        t = next((f.start for f in ctx.faults if when.name in (None, f.id)), None)
    else:  # sli: the end of the first tick whose good ratio is below the bound
        t = next(
            (
                tk.start + ctx.tick
                for tk in ctx.ticks
                if (n := tk.total.get(when.name or "", 0))
                and tk.good.get(when.name or "", 0) / n < (when.value or 0.0)
            ),
            None,
        )
    return t if t is not None and t <= ctx.now else None


def _done(
    step: StepSpec, triggered: float | None, ctx: RunbookContext
) -> tuple[float | None, str | None, str | None, bool]:
    """(done at, by whom, detail, an attempt failed) for one step."""
    mine = [r for r in ctx.step_records if r.get("id") == step.id]
    failed = any(r.get("status") == "failed" for r in mine)
    detail = next((str(r.get("detail")) for r in reversed(mine) if r.get("detail")), None)
    if ctx.interactive or step.action:
        rec = next((r for r in mine if r.get("status") == "done"), None)
        if rec is None:
            return None, None, detail, failed
        return float(rec["t"]), str(rec.get("by", "automation")), detail, failed
    if triggered is None:
        return None, None, None, False
    t = _observed(step, triggered, ctx)
    return t, ("observed" if t is not None else None), None, False


def _observed(step: StepSpec, since: float, ctx: RunbookContext) -> float | None:
    if step.expect in ("alert", "resolved"):
        status = "firing" if step.expect == "alert" else "resolved"
        name = step.expect_name
        times = [a.t for a in ctx.alerts if a.status == status and name in (None, a.name)]
    elif step.expect == "mitigation":
        times = [t for t, _ in ctx.mitigations]
    elif step.expect == "event":
        times = [t for t, name in ctx.events if name == step.expect_name]
    else:  # recovery: confirmed after the trigger
        times = [max(since, at) for at, confirmed in ctx.recoveries if confirmed >= since]
    return next((t for t in sorted(times) if since <= t <= ctx.now), None)
