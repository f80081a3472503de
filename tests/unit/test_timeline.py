"""The fault timeline on a fake clock: inject at the start, revert at the end or on any
way out, during() in between, errors named after the fault."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Self

import pytest

from harness.errors import FaultError
from harness.faults.base import FaultContext, FaultKind, FaultSpec
from harness.faults.timeline import Timeline
from harness.fields import Fields
from harness.journal.store import Journal
from plumbing.clock import FakeClock


@dataclass(frozen=True)
class Recorded(FaultKind):
    """A fault kind that writes down when each of its steps ran (scenario time)."""

    kind: ClassVar[str] = "test.recorded"
    summary: ClassVar[str] = "records its calls"
    clock: FakeClock
    calls: list[tuple[str, float]] = field(default_factory=list)
    fail: str = ""  # "inject" or "revert": that step raises
    flips: int = 0  # during(): switch this many times, once per 10 s

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        raise NotImplementedError

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        self._step("inject")

    async def during(self, ctx: FaultContext, backends: Sequence[str], until: float) -> None:
        for _ in range(self.flips):
            await self.clock.sleep(10)
            self._step("flip")

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        self._step("revert")

    def _step(self, name: str) -> None:
        self.calls.append((name, self.clock.now()))
        if self.fail == name:
            raise RuntimeError(f"{name} broke")


def spec(fault: Recorded, at: float = 10.0, duration: float = 30.0) -> FaultSpec:
    return FaultSpec("f1", fault.kind, at, duration, ("b",), fault)


@pytest.fixture
def rig(clocked: tuple[FakeClock, Journal]) -> tuple[FakeClock, Journal]:
    return clocked


async def running(
    rig: tuple[FakeClock, Journal], fault: Recorded
) -> tuple[Timeline, asyncio.Task[None]]:
    """A timeline of ``fault`` alone, run in a task that is waiting on the clock at 0."""
    clock, journal = rig
    timeline = Timeline([spec(fault)], FaultContext({}), clock, journal)
    task = asyncio.create_task(timeline.run())
    await clock.advance(0)
    return timeline, task


def types(journal: Journal) -> list[str]:
    return [str(r["type"]) for r in journal.records]


async def test_a_fault_is_injected_at_its_time_and_reverted_at_its_end(rig):
    clock, journal = rig
    fault = Recorded(clock)
    timeline, run = await running(rig, fault)
    await clock.advance(9.9)
    assert (fault.calls, timeline.active) == ([], [])
    await clock.advance(0.1)
    assert (fault.calls, timeline.active) == ([("inject", 10.0)], ["f1"])
    await clock.advance(30)
    assert fault.calls == [("inject", 10.0), ("revert", 40.0)]
    assert timeline.active == []
    await run
    started, ended = journal.records
    assert (started["type"], started["until"], started["backends"]) == (
        "fault.started",
        40.0,
        ["b"],
    )
    assert (ended["type"], ended["t"], ended["reverted"]) == ("fault.ended", 40.0, True)


async def test_during_runs_between_inject_and_revert(rig):
    clock, journal = rig
    fault = Recorded(clock, flips=2)
    _, run = await running(rig, fault)
    await clock.advance(45)
    await run
    assert fault.calls == [("inject", 10.0), ("flip", 20.0), ("flip", 30.0), ("revert", 40.0)]


async def test_cancelling_the_run_reverts_the_active_fault(rig):
    clock, journal = rig
    fault = Recorded(clock)
    timeline, run = await running(rig, fault)
    await clock.advance(20)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert fault.calls == [("inject", 10.0), ("revert", 20.0)]
    await timeline.revert_all()  # the runner's second line of defence: nothing left
    assert fault.calls[-1] == ("revert", 20.0)
    assert types(journal) == ["fault.started", "fault.ended"]


async def fault_error(rig: tuple[FakeClock, Journal], fault: Recorded, until: float) -> FaultError:
    """The error a timeline with ``fault`` ends with, once the clock reached ``until``."""
    clock = rig[0]
    _, run = await running(rig, fault)
    await clock.advance(until)
    with pytest.raises(ExceptionGroup) as info:
        await run
    (error,) = info.value.exceptions
    assert isinstance(error, FaultError)
    return error


async def test_a_failed_inject_is_a_fault_error_and_is_still_reverted(rig):
    clock, _ = rig
    fault = Recorded(clock, fail="inject")
    error = await fault_error(rig, fault, 10)
    assert (error.fault_id, error.kind) == ("f1", "test.recorded")
    assert "inject failed: inject broke" in str(error)
    assert [name for name, _ in fault.calls] == ["inject", "revert"]


async def test_a_failed_revert_is_journalled_and_raised(rig):
    clock, journal = rig
    error = await fault_error(rig, Recorded(clock, fail="revert"), 40)
    assert "revert failed: revert broke" in str(error)
    ended = journal.records[-1]
    assert (ended["type"], ended["reverted"], ended["error"]) == (
        "fault.ended",
        False,
        "revert broke",
    )
