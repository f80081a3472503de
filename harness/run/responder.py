"""The human side of ``gameday run --interactive``: pages, a status line, typed commands.

What the responder gets, on a :class:`~harness.run.terminal.Screen`:

- **a page** (the bell and a framed incident summary: what fired, since when, the live
  SLIs over the last minute, the jobs in flight and the oldest one's age, what the
  runbook says is due and by when) when the SUT's alert starts firing, or when a
  runbook step becomes due while no page is open;
- **a live status line**: scenario clock, an unacknowledged page, jobs, queue, firing
  alerts, the next deadline;
- **commands**: ``ack`` (acknowledge the open pages: journalled as ``responder.ack``,
  it is the incident's TTA unless a step was typed earlier), a step's id (done; a
  ``run`` step's action is performed by the harness, and a failed action is reported
  with its answer and retried per the step's ``retry`` until its deadline), ``steps``
  (the runbook: due, deadline, state), ``status``, ``history`` (what was typed, when,
  and what came of it), ``help``, ``quit`` (end the game day early, like Ctrl-C);
- **an exit summary**: pages and when they were acknowledged, every step typed and how
  its attempts went.

Typed steps are journalled as ``runbook.step`` with ``by: responder`` at their scenario
time, so the report scores the human exactly as it scores automation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from harness.durations import fmt_duration
from harness.instruments import Instruments
from harness.journal.records import ALERT, RESPONDER_ACK
from harness.run.progress import Snapshot
from harness.run.terminal import Screen
from harness.runbook import RunbookStep
from harness.runbook.engine import RunbookEngine
from harness.scoring import StepResult, sli_events
from harness.scoring.views import alert_of
from plumbing.clock import Clock

__all__ = ["COMMANDS", "Responder"]

COMMANDS = ("ack", "steps", "status", "history", "help", "quit")
#: scenario seconds of SLI events the page and ``status`` show (at least)
LIVE_WINDOW = 60.0

HELP = """\
ack        acknowledge the page (stops the status line asking)
<step id>  you did this runbook step (a `run` step: the harness performs its action)
steps      the runbook: what is due, by when, what is done
status     live SLIs, jobs in flight, alerts
history    what you typed, when, and what came of it
quit       end the game day early (faults reverted, the run reported), like Ctrl-C
Up/Down recall earlier commands, Tab completes step ids."""


@dataclass(slots=True)
class Page:
    """One page: when, what fired, and when it was acknowledged."""

    at: float
    what: str
    acked_at: float | None = None


@dataclass(slots=True)
class Typed:
    """One typed command and what came of it (updated as a step's attempts go)."""

    at: float
    text: str
    outcome: str
    attempts: list[str] = field(default_factory=list)


class Responder:
    """Pages the responder on ``screen`` and runs what they type."""

    def __init__(
        self,
        live: Instruments[Clock],
        screen: Screen,
        *,
        interrupt: Callable[[], None] = lambda: None,
    ) -> None:
        self._live = live
        self._screen = screen
        self._interrupt = interrupt
        self.engine: RunbookEngine | None = None
        self.pages: list[Page] = []
        self.history: list[Typed] = []
        self._snap: Snapshot | None = None
        self._firing: dict[str, float] = {}
        self._retrying: set[str] = set()
        self._quitting = False
        self._actions: asyncio.TaskGroup | None = None  # typed steps' attempts

    # -- what happens to the responder ----------------------------------------------

    def page(self, step: RunbookStep, result: StepResult) -> None:
        """Called by the runbook engine when ``step`` becomes due.

        The first step due in an incident pages (unless its alert already did); later
        ones, due because the responder did the step before, are a line each.
        """
        deadline = self._deadline_text(step.id, result.triggered_at)
        if step.id in self._retrying or any(h.text == step.id for h in self.history):
            return  # typed before the engine's tick noticed it was due: nothing to say
        if self._paged_in_this_incident():
            self._line(f"step due: {step.id} ({_what(step)}){deadline}")
        else:
            due = f"runbook step {step.id} is due ({_what(step)}){deadline}"
            self._page(f"runbook step {step.id} due", due, result.triggered_at)
        self._status()

    def record(self, r: Mapping[str, Any]) -> None:
        """A journal listener: an alert pages the moment it arrives, not at the next tick."""
        if r.get("type") != ALERT.name:
            return
        alert = alert_of(r)
        if alert.status == "firing" and alert.name not in self._firing:
            self._firing[alert.name] = alert.t
            summary = f": {alert.summary}" if alert.summary else ""
            self._page(f"alert {alert.name} firing", f"alert {alert.name}{summary}", alert.t)
        elif alert.status == "resolved" and alert.name in self._firing:
            del self._firing[alert.name]
            self._line(f"alert {alert.name} resolved")
        self._status()

    def tick(self, snap: Snapshot) -> None:
        """Called by the runner every tick: the status line moves on."""
        self._snap = snap
        self._status()

    def _paged_in_this_incident(self) -> bool:
        starts = [f.start for f in self._live.view.faults if f.start <= self._live.clock.now()]
        since = max(starts, default=0.0)
        return any(p.at >= since for p in self.pages)

    def _page(self, title: str, what: str, since: float | None) -> None:
        now = self._live.clock.now()
        self.pages.append(Page(now, title))
        self._screen.bell()
        body = Table.grid(padding=(0, 2))
        body.add_column(style="bold", no_wrap=True)
        body.add_column()
        body.add_row("What fired", Text(what))  # the SUT's words are never Rich markup
        body.add_row("Since", fmt_duration(since if since is not None else now))
        for label, value in self._live_rows():
            body.add_row(label, Text(value))
        body.add_row("Runbook", Text(self._due_text()))
        hint = Text("Type ack to acknowledge, a step id when you did it, help for more.")
        self._screen.show(
            Panel(
                Group(body, hint),
                title=Text(f"PAGE at {fmt_duration(now)}: {title}"),
                title_align="left",
                border_style="bold red",
            )
        )

    def _line(self, text: str) -> None:
        self._screen.show(Text(f"[{fmt_duration(self._live.clock.now())}] {text}"))

    # -- commands ---------------------------------------------------------------------

    async def run(self) -> None:
        """Read commands until cancelled; actions and their retries run alongside."""
        self._status()
        async with asyncio.TaskGroup() as tg:
            self._actions = tg
            try:
                await self._screen.read(self.handle, self._quit)
                await asyncio.Event().wait()  # input ended: pages and actions go on
            finally:
                self._actions = None

    async def handle(self, text: str) -> None:
        """One typed command (see the module docstring)."""
        if not text:
            return
        now = self._live.clock.now()
        engine = self.engine
        step = engine.by_id(text) if engine is not None else None
        if step is not None:
            self._perform(step, now)
        elif text == "ack":
            self.history.append(Typed(now, text, self._ack(now)))
        elif text in ("steps", "status", "history", "help"):
            self.history.append(Typed(now, text, "shown"))
            self._screen.show(self._view_of(text))
        elif text == "quit":
            self.history.append(Typed(now, text, "ended the game day"))
            self._quit()
        else:
            known = ", ".join(s.id for s in engine.steps) if engine is not None else "none"
            self.history.append(Typed(now, text, "unknown command"))
            self._line(
                f"unknown command {text!r}: type a step id ({known}), ack, steps, status, "
                "history, help or quit"
            )
        self._status()

    def _quit(self) -> None:
        # once: a second cancel of the run would cut its clean-up (the revert) short
        if self._quitting:
            self._line("already ending: faults are being reverted and the run reported")
            return
        self._quitting = True
        self._line("ending the game day: faults are reverted and the run is reported")
        self._interrupt()

    def _ack(self, now: float) -> str:
        open_pages = [p for p in self.pages if p.acked_at is None]
        if not open_pages:
            self._line("nothing to acknowledge")
            return "nothing to acknowledge"
        for p in open_pages:
            p.acked_at = now
        first = open_pages[0]
        self._live.journal.write(RESPONDER_ACK({"page": first.what, "paged_at": first.at}))
        outcome = f"acknowledged {len(open_pages)} page(s), +{fmt_duration(now - first.at)}"
        self._line(outcome)
        return outcome

    def _perform(self, step: RunbookStep, now: float) -> None:
        engine = self.engine
        assert engine is not None
        if step.id in self._retrying:
            self._line(f"{step.id}: already being retried; its attempts are reported here")
            self.history.append(Typed(now, step.id, "already being retried"))
            return
        typed = Typed(now, step.id, "performing" if step.action else "done")
        self.history.append(typed)
        if step.action is None:
            self._line(f"{step.id}: done at {fmt_duration(now)}")
        else:
            self._line(f"{step.id}: {step.action.describe()}...")
        due, _ = engine.deadline(step.id)
        self._retrying.add(step.id)
        assert self._actions is not None, "commands are handled while run() reads them"
        self._actions.create_task(self._attempts(engine, step, due, typed))

    async def _attempts(
        self, engine: RunbookEngine, step: RunbookStep, due: float | None, typed: Typed
    ) -> None:
        def report(ok: bool, detail: str, next_try: float | None) -> None:
            now = fmt_duration(self._live.clock.now())
            typed.attempts.append(f"{now} {'ok' if ok else 'FAILED'}: {detail}")
            if ok:
                typed.outcome = f"done at {now}"
                if step.action is not None:
                    self._line(f"{step.id}: done ({detail})")
                return
            if next_try is not None:
                retry = f"retrying at {fmt_duration(next_try)} (retry: {fmt_duration(step.retry)})"
            elif step.retry is None:
                retry = f"no retry set: type {step.id} to try again"
            else:
                retry = f"past its deadline, no more retries: type {step.id} to try again"
            typed.outcome = f"failed ({len(typed.attempts)} attempts)"
            self._line(f"{step.id} FAILED: {detail}; {retry}")

        try:
            await engine.attempt(step, due, by="responder", report=report)
        finally:
            self._retrying.discard(step.id)
            self._status()

    # -- what the responder sees ------------------------------------------------------

    def _view_of(self, command: str) -> RenderableType:
        if command == "help":
            return Text(HELP)
        if command == "history":
            return self._history_table()
        if command == "steps":
            return self._steps_table()
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        for label, value in self._live_rows():
            grid.add_row(label, Text(value))
        grid.add_row("Runbook", Text(self._due_text()))
        return Panel(
            grid, title=f"status at {fmt_duration(self._live.clock.now())}", title_align="left"
        )

    def _live_rows(self) -> list[tuple[str, str]]:
        view, config, now = self._live.view, self._live.scoring, self._live.clock.now()
        window = max(LIVE_WINDOW, 6 * config.tick)
        events = sli_events(view.requests, config.slos, now, final=False, jobs=view.jobs)
        slis = []
        for slo in config.slos:
            recent = [e for e in events.get(slo.name, ()) if now - window < e.t <= now]
            total = sum(e.weight for e in recent)
            good = sum(e.weight for e in recent if e.good)
            mark = "" if not total or good >= slo.objective * total else " (below objective)"
            slis.append(f"{slo.name} {good}/{total}{mark}" if total else f"{slo.name} none")
        rows = [("Live SLIs", f"{', '.join(slis)} (last {fmt_duration(window)})")]
        waiting = [
            j.submitted_at
            for j in view.jobs.values()
            if j.ended_at is None and j.submitted_at <= now
        ]
        oldest = f"; oldest in flight {fmt_duration(now - min(waiting))}" if waiting else ""
        jobs = self._snap.jobs if self._snap is not None else None
        counts = (
            f"{jobs.submitted} submitted, {jobs.ok} ok, {jobs.failed} failed, "
            if jobs is not None
            else ""
        )
        rows.append(("Jobs", f"{counts}{len(waiting)} in flight{oldest}"))
        firing = ", ".join(f"{n} since {fmt_duration(t)}" for n, t in self._firing.items())
        rows.append(("Alerts", firing or "none firing"))
        return rows

    def _due_text(self) -> str:
        due = [
            f"{r.id} {self._deadline_text(r.id, r.triggered_at).strip() or '(no deadline)'}"
            for r in self._open_steps()
        ]
        return "; ".join(due) or "nothing due"

    def _open_steps(self) -> list[StepResult]:
        if self.engine is None:
            return []
        done = {str(r.get("id")) for r in self._live.view.step_records if r.get("status") == "done"}
        return [r for r in self.engine.results() if r.triggered_at is not None and r.id not in done]

    def _deadline_text(self, step_id: str, due: float | None = None) -> str:
        if self.engine is None:
            return ""
        step = self.engine.by_id(step_id)
        if due is None:
            due, _ = self.engine.deadline(step_id)
        if step is None or due is None or step.spec.within is None:
            return ""
        deadline = due + step.spec.within
        left = deadline - self._live.clock.now()
        late = f"{fmt_duration(left)} left" if left >= 0 else f"{fmt_duration(-left)} late"
        return f" by {fmt_duration(deadline)} ({late})"

    def _open_page(self) -> Page | None:
        return next((p for p in self.pages if p.acked_at is None), None)

    def _status(self) -> None:
        """Most urgent first, so a narrow terminal cuts the least useful end."""
        parts = []
        snap = self._snap
        now = self._live.clock.now()
        if snap is not None:
            parts.append(f"{_clock(now)}/{_clock(snap.duration)} {snap.phase}")
        page = self._open_page()
        if page is not None:
            parts.append(f"PAGED {_clock(page.at)}: ack")
        due = self._open_steps() if self.engine is not None and self.engine.steps else []
        if due:
            first = due[0]
            parts.append(f"due {first.id}{self._deadline_text(first.id, first.triggered_at)}")
        parts.append(f"alerts {len(self._firing)}")
        if snap is not None:
            c = snap.jobs
            parts.append(f"ok {c.ok} failed {c.failed} in flight {c.outstanding}")
            parts.append(f"queue {snap.queue_depth}")
        self._screen.status(" | ".join(parts))

    def _steps_table(self) -> Table:
        t = Table(title=f"runbook at {fmt_duration(self._live.clock.now())}", title_justify="left")
        for col in ("step", "what", "due", "deadline", "state"):
            t.add_column(col)
        if self.engine is None:
            return t
        for step, r in zip(self.engine.steps, self.engine.results(), strict=True):
            _, deadline = self.engine.deadline(step.id)
            t.add_row(
                step.id,
                Text(_what(step)),  # a shell command may hold brackets: not markup
                fmt_duration(r.triggered_at) if r.triggered_at is not None else "-",
                fmt_duration(deadline) if deadline is not None else "-",
                self._state(step, r),
            )
        return t

    def _state(self, step: RunbookStep, r: StepResult) -> str:
        if r.done_at is not None:
            return f"done at {fmt_duration(r.done_at)}"
        if step.id in self._retrying:
            return "failed, retrying"
        if r.triggered_at is None:
            return f"waiting for {r.blocked_by}" if r.blocked_by else "not due yet"
        return "FAILED: type it to try again" if r.status == "failed" else "due: do it"

    def _history_table(self) -> Table:
        t = Table(title="what you typed", title_justify="left")
        for col in ("at", "command", "outcome"):
            t.add_column(col)
        for h in self.history:
            t.add_row(fmt_duration(h.at), Text(h.text), Text(h.outcome))
        return t

    def summary(self) -> RenderableType:
        """The exit summary: pages, acknowledgements, steps typed and their attempts."""
        lines: list[RenderableType] = []
        for p in self.pages:
            ack = (
                f"acknowledged at {fmt_duration(p.acked_at)} (+{fmt_duration(p.acked_at - p.at)})"
                if p.acked_at is not None
                else "never acknowledged"
            )
            lines.append(Text(f"page at {fmt_duration(p.at)}: {p.what}; {ack}"))
        if not self.pages:
            lines.append(Text("no page"))
        for h in self.history:
            if self.engine is not None and self.engine.by_id(h.text) is not None:
                lines.append(Text(f"{fmt_duration(h.at)} typed {h.text}: {h.outcome}"))
                lines += [Text(f"    {a}") for a in h.attempts if "FAILED" in a][-3:]
        others = sum(
            1 for h in self.history if self.engine is None or not self.engine.by_id(h.text)
        )
        lines.append(Text(f"{len(self.history)} commands typed ({others} not steps)"))
        return Panel(Group(*lines), title="Your game day", title_align="left")


def _what(step: RunbookStep) -> str:
    return step.spec.action or f"confirm: {step.spec.expect}"


def _clock(seconds: float) -> str:
    m, sec = divmod(int(seconds), 60)
    return f"{m:02d}:{sec:02d}"


def commands_of(steps: Sequence[RunbookStep]) -> list[str]:
    """What the prompt completes: the commands and the runbook's step ids."""
    return [*COMMANDS, *(s.id for s in steps)]
