"""Runs a scenario's runbook live: notices due steps, runs automated actions, pages.

Every tick it evaluates the steps on the journal so far (the run's
:class:`~harness.scoring.JournalView`, kept up to date as records arrive) with the same
pure function scoring uses (:func:`harness.scoring.runbook_results`), so "due" means
the same thing live and in the report. For each step that just became due it journals
``runbook.triggered``; a ``run`` step's action is then executed (unless the run is
interactive: there the responder decides, see :mod:`harness.run.responder`) and its
outcome journalled as ``runbook.step`` (``status: done`` or ``failed``, with the
action's answer). Scoring reads only those records.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence

from harness.instruments import Instruments
from harness.journal.records import RUNBOOK_STEP, RUNBOOK_TRIGGERED
from harness.runbook.actions import ActionContext
from harness.runbook.spec import RunbookStep
from harness.scoring import (
    RunbookContext,
    StepResult,
    StepSpec,
    runbook_context,
    runbook_results,
    score_view,
)
from plumbing.clock import Clock

__all__ = ["RunbookEngine"]

PageFn = Callable[[RunbookStep, StepResult], None]
#: hears one attempt of a step's action: (succeeded, the answer, next try or None)
ReportFn = Callable[[bool, str, float | None], None]

#: scenario seconds between two full live scores (SLI triggers, recovery expectations)
HEAVY_EVERY = 30.0


class RunbookEngine:
    """Watches for due steps every tick; runs their actions in a task group."""

    def __init__(
        self,
        steps: Sequence[RunbookStep],
        live: Instruments[Clock],
        actions: ActionContext,
        *,
        interactive: bool = False,
        page: PageFn | None = None,
    ) -> None:
        self.steps = tuple(steps)
        self._live = live
        self._actions = actions
        self._interactive = interactive
        self._page = page
        self._seen: set[str] = set()
        self._due: dict[str, float | None] = {}  # step id -> due at, as journalled
        # ticks and incidents are costly to rebuild (a full score): only when a trigger
        # needs them (an SLI condition, or a step done when recovery is observed), and at
        # most every HEAVY_EVERY scenario seconds, to keep the event loop free
        self._heavy = _needs_ticks([s.spec for s in self.steps])
        self._heavy_at = -HEAVY_EVERY
        self._last: RunbookContext | None = None

    def by_id(self, step_id: str) -> RunbookStep | None:
        return next((s for s in self.steps if s.id == step_id), None)

    async def run(self) -> None:
        """Evaluate at every tick until cancelled (actions in flight are cancelled too)."""
        if not self.steps:
            return
        clock, tick = self._live.clock, self._live.scoring.tick
        async with asyncio.TaskGroup() as tg:
            while True:
                now = clock.now()
                await clock.sleep(tick - (now % tick) + tick * 1e-3)
                if len(self._seen) == len(self.steps):
                    return  # every step is due: nothing left to watch (actions finish)
                for step, result in self.due():
                    self._seen.add(step.id)
                    self._due[step.id] = result.triggered_at
                    self._live.journal.write(
                        RUNBOOK_TRIGGERED({"id": step.id, "due_at": result.triggered_at})
                    )
                    if self._page is not None:
                        self._page(step, result)
                    if step.action is not None and not self._interactive:
                        tg.create_task(self._automate(step, result))

    def results(self) -> tuple[StepResult, ...]:
        """Every step as things stand (what the responder's ``steps`` command shows)."""
        return runbook_results([s.spec for s in self.steps], self._context())

    def due(self) -> list[tuple[RunbookStep, StepResult]]:
        """Steps that became due since the last call."""
        results = runbook_results([s.spec for s in self.steps], self._context())
        return [
            (step, r)
            for step, r in zip(self.steps, results, strict=True)
            if r.triggered_at is not None and step.id not in self._seen
        ]

    def _context(self) -> RunbookContext:
        view, config, now = self._live.view, self._live.scoring, self._live.clock.now()
        if self._heavy and now - self._heavy_at >= HEAVY_EVERY:
            self._heavy_at = now
            score = score_view(view, config, final=False)
            ctx = runbook_context(view, config, score.ticks, score.incidents, now=now)
            self._last = ctx
        elif self._heavy and self._last is not None:
            # between full scores: fresh alerts, events and step records, the last ticks
            ctx = dataclasses.replace(
                self._light(now), ticks=self._last.ticks, recoveries=self._last.recoveries
            )
        else:
            ctx = self._light(now)
        return ctx

    def _light(self, now: float) -> RunbookContext:
        """Alerts, faults, events and step records only (no ticks, no incidents)."""
        return runbook_context(self._live.view, self._live.scoring, (), (), now=now)

    async def _automate(self, step: RunbookStep, result: StepResult) -> None:
        await self.attempt(step, result.triggered_at, by="automation")

    async def attempt(
        self,
        step: RunbookStep,
        due: float | None,
        *,
        by: str,
        report: ReportFn | None = None,
    ) -> bool:
        """Run the action; with ``retry``, again after each failure until the deadline.

        ``due`` is when the step became due (None: now); the deadline is ``within`` after
        it. ``report(ok, detail, next_try)`` hears every attempt's outcome and when the
        next one will be (None: no more: done, no ``retry``, or past the deadline).
        """
        clock = self._live.clock
        due = due if due is not None else clock.now()
        deadline = due + step.spec.within if step.spec.within is not None else None
        while True:
            ok, detail = await self.perform(step, by=by)
            next_try = None if ok or step.retry is None else clock.now() + step.retry
            if next_try is not None and deadline is not None and next_try > deadline:
                next_try = None
            if report is not None:
                report(ok, detail, next_try)
            if next_try is None or step.retry is None:
                return ok
            await clock.sleep(step.retry)

    def deadline(self, step_id: str) -> tuple[float | None, float | None]:
        """(due at, deadline) of a step as the engine last saw it (None: not due / none)."""
        due = self._due.get(step_id)
        step = self.by_id(step_id)
        within = step.spec.within if step is not None else None
        return due, (due + within if due is not None and within is not None else None)

    async def perform(self, step: RunbookStep, *, by: str) -> tuple[bool, str]:
        """Run ``step``'s action (if any) and journal the outcome: (succeeded, its answer)."""
        if step.action is None:
            self._live.journal.write(RUNBOOK_STEP({"id": step.id, "status": "done", "by": by}))
            return True, "done"
        ok, detail = await step.action.run(self._actions)
        self._live.journal.write(
            RUNBOOK_STEP(
                {
                    "id": step.id,
                    "status": "done" if ok else "failed",
                    "by": by,
                    "action": step.action.describe(),
                    "mitigation": step.mitigation,
                    "detail": detail,
                }
            )
        )
        return ok, detail


def _needs_ticks(specs: Sequence[StepSpec]) -> bool:
    """True if a trigger reads ticks: an SLI condition, or a step that expects recovery
    and that a later step waits for."""
    recovery = {s.id for s in specs if s.expect == "recovery"}
    for i, s in enumerate(specs):
        if s.when.kind == "sli":
            return True
        waits_on = s.when.name if s.when.kind == "step" else None
        if s.when.kind == "default" and i > 0:
            waits_on = specs[i - 1].id
        if waits_on in recovery:
            return True
    return False
