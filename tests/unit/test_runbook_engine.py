"""The runbook engine on a fake clock: due steps noticed at each tick from the live
journal view, automated actions run and retried until their deadline, pages when a
human responds."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from harness.instruments import Instruments
from harness.journal import records
from harness.journal.store import Journal
from harness.runbook import RunbookStep
from harness.runbook.actions import ActionContext
from harness.runbook.engine import RunbookEngine
from harness.scoring import JournalView, StepResult, StepSpec, Trigger
from plumbing.clock import FakeClock
from tests.unit.journals import config


class FakeAction:
    """An action that succeeds or fails as told, and counts its calls (no SUT needed)."""

    def __init__(self, *outcomes: bool) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def describe(self) -> str:
        return "HTTP POST /admin/restart"

    async def run(self, ctx: ActionContext) -> tuple[bool, str]:
        self.calls += 1
        ok = self.outcomes.pop(0)
        return ok, "200 restarted" if ok else "503 busy"


def steps(action: FakeAction) -> tuple[RunbookStep, ...]:
    ack = StepSpec("ack", Trigger("alert"), expect="alert", within=60.0)
    restart = StepSpec("restart", Trigger("step", "ack"), action=action.describe(), within=30.0)
    return (RunbookStep(ack), RunbookStep(restart, action, retry=5.0))


@pytest.fixture
async def rig(clocked: tuple[FakeClock, Journal]):
    clock, journal = clocked
    view = JournalView()
    journal.subscribe(view.add)
    async with aiohttp.ClientSession() as http:  # never used: the action is a fake
        yield clock, journal, view, ActionContext("http://127.0.0.1:9", http)


def engine(rig: Any, action: FakeAction, **kw: Any) -> RunbookEngine:
    clock, journal, view, actions = rig
    plan = steps(action)
    cfg = config(runbook=tuple(s.spec for s in plan))
    return RunbookEngine(plan, Instruments(clock, journal, view, cfg), actions, **kw)


async def alert_at(clock: FakeClock, journal: Journal, t: float) -> None:
    await clock.advance(t - clock.now())
    alert = records.Alert(status="firing", name="Down", source="sut", summary="")
    journal.write(records.ALERT(alert))


def of(journal: Journal, kind: str) -> list[tuple[Any, ...]]:
    return [
        (r["t"], r["id"], r.get("status"), r.get("by"))
        for r in journal.records
        if r["type"] == kind
    ]


async def play(rig: Any, action: FakeAction) -> None:
    """Run the engine to its end, with an alert firing at 25 s."""
    clock, journal, _, _ = rig
    run = asyncio.create_task(engine(rig, action).run())
    await clock.advance(0)
    await alert_at(clock, journal, 25.0)
    while not run.done():
        await clock.advance(1)
    await run


async def test_a_due_step_is_noticed_at_the_next_tick_and_its_action_retried(rig):
    journal = rig[1]
    action = FakeAction(False, True)
    await play(rig, action)
    # ack is due when the alert fires and done as soon as it is seen; restart is due then
    assert [(r["t"], r["id"], r["due_at"]) for r in journal.records[1:3]] == [
        (30.01, "ack", 25.0),
        (30.01, "restart", 25.0),
    ]
    assert of(journal, "runbook.step") == [
        (30.01, "restart", "failed", "automation"),
        (35.01, "restart", "done", "automation"),
    ]
    assert action.calls == 2
    done = journal.records[-1]
    assert (done["action"], done["detail"], done["mitigation"]) == (
        "HTTP POST /admin/restart",
        "200 restarted",
        True,
    )


async def test_retries_stop_at_the_deadline(rig):
    journal = rig[1]
    await play(rig, FakeAction(*[False] * 20))
    # due at 25 within 30: attempts at 30.01, 35.01, ..., 50.01 (the next would be late)
    assert [t for t, *_ in of(journal, "runbook.step")] == [30.01, 35.01, 40.01, 45.01, 50.01]


async def test_in_an_interactive_run_the_responder_is_paged_and_nothing_runs_by_itself(rig):
    clock, journal, _, _ = rig
    action = FakeAction(True)
    run_config = records.RunConfig(
        scenario="t", file="t.yaml", source={}, seed=0, time_scale=1.0, interactive=True
    )
    journal.write(records.RUN_CONFIG(run_config))  # steps are done when a human says so
    paged: list[tuple[str, StepResult]] = []
    runbook = engine(rig, action, interactive=True, page=lambda s, r: paged.append((s.id, r)))
    run = asyncio.create_task(runbook.run())
    await clock.advance(0)
    await alert_at(clock, journal, 25.0)
    await clock.advance(10)
    assert [(step, r.triggered_at) for step, r in paged] == [("ack", 25.0)]
    assert not of(journal, "runbook.step")  # in an interactive run a human acts
    step = runbook.by_id("ack")
    assert step is not None
    assert (await runbook.perform(step, by="responder"))[0]
    await clock.advance(10)  # restart waits for ack: due now
    assert [s for s, _ in paged] == ["ack", "restart"]
    assert action.calls == 0
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
