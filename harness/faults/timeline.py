"""The fault timeline: each fault starts at its time, lasts its duration, and is reverted.

Reverting happens in ``finally``, so a fault is healed on every exit path: the window
ending, an exception elsewhere in the run, Ctrl-C or SIGTERM (both cancel the run).
:meth:`Timeline.revert_all` is the runner's second line of defence; reverts are
idempotent, so calling it after the timeline already cleaned up is harmless.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from harness.errors import FaultError
from harness.faults.base import FaultContext, FaultSpec
from harness.journal.lateness import Lateness
from harness.journal.records import FAULT_ENDED, FAULT_STARTED, FaultStarted
from harness.journal.store import Journal
from plumbing.clock import Clock

__all__ = ["Timeline"]


class Timeline:
    """Runs a scenario's faults on the scenario clock."""

    def __init__(
        self,
        faults: Sequence[FaultSpec],
        ctx: FaultContext,
        clock: Clock,
        journal: Journal,
        *,
        lateness: Lateness | None = None,
    ) -> None:
        self._faults = tuple(faults)
        self._lateness = lateness or Lateness()
        self._ctx = ctx
        self._clock = clock
        self._journal = journal
        self._active: dict[str, FaultSpec] = {}

    @property
    def active(self) -> list[str]:
        """Ids of the faults in effect right now."""
        return list(self._active)

    async def run(self) -> None:
        """Inject and revert every fault at its scheduled time; return when all are done."""
        async with asyncio.TaskGroup() as tg:
            for spec in self._faults:
                tg.create_task(self._window(spec), name=f"fault:{spec.id}")

    async def _window(self, spec: FaultSpec) -> None:
        await self._clock.sleep(spec.at - self._clock.now())
        self._lateness.observe("fault", self._clock.now() - spec.at)
        self._active[spec.id] = spec
        try:
            started = FaultStarted(
                id=spec.id,
                kind=spec.kind,
                backends=list(spec.backends),
                params=spec.fault.params(),
                at=spec.at,
                until=spec.end,
            )
            if not spec.incident:
                started["incident"] = False
            self._journal.write(FAULT_STARTED(started))
            try:
                await spec.fault.inject(self._ctx, spec.backends)
            except Exception as exc:
                raise FaultError(f"inject failed: {exc}", fault_id=spec.id, kind=spec.kind) from exc
            try:  # most faults do nothing here; network.flap switches its partition
                await spec.fault.during(self._ctx, spec.backends, spec.end)
            except Exception as exc:
                raise FaultError(f"failed: {exc}", fault_id=spec.id, kind=spec.kind) from exc
            await self._clock.sleep(spec.end - self._clock.now())
            self._lateness.observe("fault", self._clock.now() - spec.end)
        finally:
            await self._revert(spec)

    async def _revert(self, spec: FaultSpec) -> None:
        if self._active.pop(spec.id, None) is None:
            return
        try:
            await spec.fault.revert(self._ctx, spec.backends)
        except Exception as exc:
            self._journal.write(
                FAULT_ENDED(
                    {"id": spec.id, "kind": spec.kind, "reverted": False, "error": str(exc)}
                )
            )
            raise FaultError(f"revert failed: {exc}", fault_id=spec.id, kind=spec.kind) from exc
        self._journal.write(FAULT_ENDED({"id": spec.id, "kind": spec.kind, "reverted": True}))

    async def revert_all(self) -> None:
        """Revert every fault still active (safe to call at any time, more than once)."""
        errors = []
        for spec in list(self._active.values()):
            try:
                await self._revert(spec)
            except FaultError as exc:
                errors.append(exc)
        if errors:
            raise errors[0]
