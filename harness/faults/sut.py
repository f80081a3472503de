"""Faults on the SUT's own process (``command`` targets only: the harness owns it).

- ``sut.crash``: SIGKILL to the SUT's whole process group at ``at``; after ``duration``
  the harness starts the same command again (same port, environment and ``$QGAMEDAY_SUT_DIR``)
  and waits until it is ready. Do accepted jobs survive the restart? A job handle lost
  across a restart shows up as lost jobs in the ledger.
- ``sut.pause``: SIGSTOP to the group for ``duration``, then SIGCONT: a stop-the-world
  pause (a long GC, a frozen VM). Its timers fire late; clients' calls hang meanwhile.

A SUT that does not come back after a crash is journalled (``sut.restart_failed``) and
scored like any other outage, not an error of the harness.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from harness.errors import FaultError, TargetError
from harness.faults.base import FaultContext, FaultKind
from harness.journal.records import SUT_KILLED, SUT_RESTART_FAILED

__all__ = ["SutCrash", "SutPause"]


def _handle(ctx: FaultContext, kind: str) -> Any:
    if ctx.sut is None:
        raise FaultError(f"{kind} needs a target of kind: command (the harness owns its process)")
    return ctx.sut


@dataclass(frozen=True, slots=True)
class SutCrash(FaultKind):
    """SIGKILL the SUT's process group; restart it when the window ends."""

    kind: ClassVar[str] = "sut.crash"
    summary: ClassVar[str] = "kill -9 the SUT's process group; restart it after the window"

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        sut = _handle(ctx, self.kind)
        code = await sut.crash()
        if ctx.journal is not None:
            ctx.journal.write(SUT_KILLED({"exit_code": code}))

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        sut = _handle(ctx, self.kind)
        if sut.process.running:
            return
        try:
            await sut.restart()
        except TargetError as exc:
            if ctx.journal is not None:
                ctx.journal.write(SUT_RESTART_FAILED({"error": str(exc)[:2000]}))


@dataclass(frozen=True, slots=True)
class SutPause(FaultKind):
    """SIGSTOP the SUT's process group for the window, then SIGCONT."""

    kind: ClassVar[str] = "sut.pause"
    summary: ClassVar[str] = "SIGSTOP the SUT's process group for the window (stop-the-world)"

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        _handle(ctx, self.kind).pause()

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        sut = _handle(ctx, self.kind)
        if sut.process.paused:
            sut.resume()
