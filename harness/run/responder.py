"""The human side of ``gameday run --interactive``: pages on the terminal, typed step ids.

When the first alert arrives or a runbook step becomes due, the responder is paged
with the incident summary and the live SLIs. They type a step's id when they did it
(for a ``run`` step the harness then performs its action); ``status`` shows the live
SLIs again, ``steps`` the runbook, ``help`` the commands. Every typed step is
journalled as ``runbook.step`` with ``by: responder`` and its scenario time, so the
report scores the human exactly as it scores automation.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from harness.durations import fmt_duration
from harness.journal.store import Journal
from harness.runbook import RunbookStep
from harness.runbook.engine import RunbookEngine
from harness.scoring import StepResult
from plumbing.clock import Clock

__all__ = ["Responder", "live_status"]

Write = Callable[[str], None]


class Responder:
    """Reads step ids from a stream and pages the responder through ``write``."""

    def __init__(self, clock: Clock, journal: Journal, write: Write | None = None) -> None:
        self._clock = clock
        self._journal = journal
        self._write = write or _print
        self._paged = False
        self._alerts_seen = 0
        self.engine: RunbookEngine | None = None
        self.status: Callable[[], str] = lambda: "no live data yet"

    def page(self, step: RunbookStep, result: StepResult) -> None:
        """Called by the runbook engine when ``step`` becomes due."""
        now = fmt_duration(self._clock.now())
        if not self._paged:
            self._paged = True
            self._write(f"\n*** PAGE at {now}: incident in progress ***\n{self.status()}")
        what = step.spec.action or f"confirm: {step.spec.expect}"
        within = f" within {fmt_duration(step.spec.within)}" if step.spec.within else ""
        self._write(f"[{now}] step due: {step.id} ({what}){within}. Type '{step.id}' when done.")

    def alert(self, status: str, name: str) -> None:
        """Show an alert the SUT sent (the first one pages)."""
        now = fmt_duration(self._clock.now())
        if not self._paged and status == "firing":
            self._paged = True
            self._write(f"\n*** PAGE at {now}: alert {name} firing ***\n{self.status()}")
        else:
            self._write(f"[{now}] alert {name} {status}")

    async def read(self, stream: TextIO | None = None) -> None:
        """Handle typed lines until the stream ends or the task is cancelled."""
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), stream or sys.stdin
        )
        try:
            while line := await reader.readline():
                await self.handle(line.decode("utf-8", "replace").strip())
        finally:
            transport.close()

    async def handle(self, text: str) -> None:
        """One typed command: a step id, ``status``, ``steps`` or ``help``."""
        if not text:
            return
        engine = self.engine
        step = engine.by_id(text) if engine is not None else None
        if step is not None and engine is not None:
            ok = await engine.perform(step, by="responder")
            outcome = "done" if ok else "FAILED (see the journal)"
            self._write(f"[{fmt_duration(self._clock.now())}] {step.id}: {outcome}")
        elif text == "status":
            self._write(self.status())
        elif text == "steps" and engine is not None:
            self._write("runbook: " + ", ".join(s.id for s in engine.steps))
        else:
            known = ", ".join(s.id for s in engine.steps) if engine is not None else "none"
            self._write(
                f"unknown command {text!r}: type a step id ({known}), status, steps or help"
            )


def _print(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def live_status(tick: Mapping[str, Any] | None) -> str:
    """One line of live figures for the responder, from the latest tick record."""
    if tick is None:
        return "live: no tick yet"
    return (
        f"live at {tick['t']}s: {tick.get('submitted')} jobs submitted, {tick.get('ok')} ok, "
        f"{tick.get('failed')} failed, {tick.get('outstanding')} outstanding; "
        f"queue {tick.get('queue_depth')}; active faults: {tick.get('active_faults') or 'none'}"
    )
