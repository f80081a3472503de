"""The stop monitor on a fake clock: checks at the end of the warm-up, then just after
every tick boundary (so that tick's records are in), on the live journal view, and
stops at the first condition that holds."""

from __future__ import annotations

import asyncio

import pytest

from harness.instruments import Instruments
from harness.journal import records
from harness.journal.store import Journal
from harness.run.stop import StopMonitor
from harness.scoring import JournalView, SloSpec, StopRule
from plumbing.clock import FakeClock
from tests.unit.journals import config


@pytest.fixture
def rig(clocked: tuple[FakeClock, Journal]) -> tuple[FakeClock, Journal, JournalView]:
    clock, journal = clocked
    view = JournalView()
    journal.subscribe(view.add)
    return clock, journal, view


def reject(journal: Journal, n: int) -> None:
    """Job ``n`` submitted and refused by the SUT, now."""
    submitted = records.JobSubmitted(
        job=f"j{n}", tenant="t", name="n", circuit="bell", shots=10, width=2, ideal={}
    )
    journal.write(records.JOB_SUBMITTED(submitted))
    journal.write(records.JOB_REJECTED({"job": f"j{n}", "status": 503, "error": "no"}))


def monitor(journal: Journal, view: JournalView, clock: FakeClock, *rules: StopRule) -> StopMonitor:
    scoring = config(slos=(SloSpec("success", 0.9),), stop=rules)
    return StopMonitor(Instruments(clock, journal, view, scoring), after=60.0, drain=300.0)


async def test_the_first_condition_that_holds_after_the_warm_up_stops_the_run(rig):
    clock, journal, view = rig
    stop = monitor(journal, view, clock, StopRule("failed_jobs", 2.0, None))
    run = asyncio.create_task(stop.run())
    await clock.advance(0)  # it is waiting on the clock
    for n in range(3):
        reject(journal, n)  # already over the bound, but during the warm-up
    await clock.advance(59.9)
    assert not stop.stopped.is_set()  # nothing is checked during the warm-up
    await clock.advance(0.1)
    await run
    assert stop.stopped.is_set()
    assert stop.hit is not None
    assert (stop.hit.name, stop.hit.value, stop.hit.above) == ("failed_jobs", 3.0, 2.0)
    (record,) = [r for r in journal.records if r["type"] == "run.stop"]
    assert (record["t"], record["condition"]) == (60.0, "failed_jobs")
    assert record["reason"] == "stop condition failed_jobs: 3 > 2"


async def test_it_keeps_watching_until_a_condition_holds(rig):
    clock, journal, view = rig
    stop = monitor(journal, view, clock, StopRule("failed_jobs", 2.0, None))
    run = asyncio.create_task(stop.run())
    await clock.advance(0)  # it is waiting on the clock
    await clock.advance(100)
    reject(journal, 1)
    await clock.advance(100)
    assert not stop.stopped.is_set()
    reject(journal, 2)
    reject(journal, 3)
    await clock.advance(10)
    await run
    assert stop.hit is not None
    # checked just after the tick boundary, when that tick's records are in
    assert [r["t"] for r in journal.records if r["type"] == "run.stop"] == [200.01]


async def test_without_stop_conditions_it_returns_at_once(rig):
    clock, journal, view = rig
    await monitor(journal, view, clock).run()
    assert clock.sleepers == 0
    assert not journal.records
