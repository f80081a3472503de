"""The interactive responder on a fake clock and a fake screen: pages (bell and frame),
the status line, commands, typed steps performed, failed actions reported and retried
per the step's ``retry``, acknowledgement journalled, the exit summary."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from rich.console import RenderableType

from harness.instruments import Instruments
from harness.journal import records
from harness.load.seam import WorkloadCounts
from harness.run.progress import Snapshot
from harness.run.responder import Responder
from harness.run.terminal import LineScreen, render
from harness.runbook import RunbookStep
from harness.runbook.engine import RunbookEngine
from harness.scoring import StepSpec, Trigger, score
from plumbing.clock import FakeClock
from tests.unit.journals import config
from tests.unit.test_runbook_engine import FakeAction, alert_at
from tests.unit.test_runbook_engine import rig as rig  # noqa: F401 (a fixture)


class FakeScreen:
    """Collects what the responder shows; typed lines come from a queue."""

    def __init__(self) -> None:
        self.shown: list[str] = []
        self.bells = 0
        self.line = ""
        self.typed: asyncio.Queue[str | None] = asyncio.Queue()

    def show(self, renderable: RenderableType) -> None:
        self.shown.append(render(renderable, 80, color=False))

    def bell(self) -> None:
        self.bells += 1

    def status(self, line: str) -> None:
        self.line = line

    async def read(self, handle: Callable[[str], Awaitable[None]], interrupt: Any) -> None:
        while (text := await self.typed.get()) is not None:
            await handle(text)

    @property
    def text(self) -> str:
        return "".join(self.shown)


SNAP = Snapshot(t=0, duration=1200.0, phase="load", jobs=WorkloadCounts(9, 7, 1, 1),
                active_faults=(), alerts=0, queue_depth=2)  # fmt: skip


@pytest.fixture
async def game(rig: Any):  # noqa: F811
    """A responder over an interactive runbook engine; the alert fires at 25 s."""
    clock, journal, view, actions = rig
    run = records.RunConfig(
        scenario="t", file="t.yaml", source={}, seed=0, time_scale=1.0, interactive=True
    )
    journal.write(records.RUN_CONFIG(run))
    action = FakeAction(False, False, True)
    ack = StepSpec("paged", Trigger("alert"), expect="alert", within=60.0)
    restart = StepSpec("restart", Trigger("step", "paged"), action=action.describe(), within=30.0)
    plan = (RunbookStep(ack), RunbookStep(restart, action, retry=5.0))
    cfg = config(runbook=tuple(s.spec for s in plan))
    screen = FakeScreen()
    quits: list[bool] = []
    live = Instruments(clock, journal, view, cfg)
    responder = Responder(live, screen, interrupt=lambda: quits.append(True))
    journal.subscribe(responder.record)
    runbook = RunbookEngine(plan, live, actions, interactive=True, page=responder.page)
    responder.engine = runbook
    tasks = [asyncio.create_task(runbook.run()), asyncio.create_task(responder.run())]
    await clock.advance(0)
    yield clock, journal, screen, responder, action, quits
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def type_(clock: FakeClock, screen: FakeScreen, text: str) -> None:
    await screen.typed.put(text)
    await clock.advance(0)


async def test_an_alert_pages_at_once_with_a_bell_and_a_framed_summary(game):
    clock, journal, screen, responder, _, _ = game
    responder.tick(SNAP)
    await alert_at(clock, journal, 25.0)
    assert screen.bells == 1
    page = screen.shown[-1]
    assert page.startswith("╭─ PAGE at 25s: alert Down firing")
    for row in ("What fired  alert Down", "Since       25s", "Live SLIs", "Jobs        9 "
                "submitted, 7 ok, 1 failed", "Alerts      Down since 25s", "Type ack"):  # fmt: skip
        assert row in page, page
    assert "PAGED 00:25: ack" in screen.line
    assert screen.line.startswith("00:25/20:00 load")
    # the step due when the alert fired is a line, not a second page
    await clock.advance(10)
    assert screen.bells == 1
    assert "[30s] step due: paged (confirm: alert) by 1m25s (55s left)" in screen.text


async def test_ack_is_journalled_and_clears_the_status_line(game):
    clock, journal, screen, responder, _, _ = game
    await alert_at(clock, journal, 25.0)
    await clock.advance(5)
    await type_(clock, screen, "ack")
    (ack,) = [r for r in journal.records if r["type"] == "responder.ack"]
    assert (ack["t"], ack["paged_at"]) == (30.0, 25.0)
    assert "acknowledged 1 page(s), +5.0s" in screen.text
    assert "PAGED" not in screen.line
    await type_(clock, screen, "ack")
    assert screen.text.endswith("nothing to acknowledge\n")


async def test_a_failed_action_is_reported_with_its_answer_and_retried_per_its_retry(game):
    clock, journal, screen, responder, action, _ = game
    await alert_at(clock, journal, 25.0)
    await clock.advance(5)
    await type_(clock, screen, "paged")
    await clock.advance(10)  # restart is due once paged is done
    await type_(clock, screen, "restart")
    assert "restart FAILED: 503 busy; retrying at 45s (retry: 5.0s)" in screen.text
    await type_(clock, screen, "restart")
    assert "restart: already being retried" in screen.text
    await clock.advance(5)
    assert "restart FAILED: 503 busy; retrying at 50s" in screen.text
    await clock.advance(5)
    assert "restart: done (200 restarted)" in screen.text
    assert action.calls == 3
    typed = [(r["id"], r["status"], r["by"]) for r in journal.records
             if r["type"] == "runbook.step"]  # fmt: skip
    assert typed == [("paged", "done", "responder"), *[("restart", "failed", "responder")] * 2,
                     ("restart", "done", "responder")]  # fmt: skip
    s = score(journal.records, config(runbook=tuple(st.spec for st in responder.engine.steps)))
    assert [(r.id, r.status, r.by) for r in s.runbook] == [
        ("paged", "done", "responder"), ("restart", "done", "responder")]  # fmt: skip
    summary = render(responder.summary(), 100, color=False)
    assert "page at 25s: alert Down firing; never acknowledged" in summary
    assert "40s typed restart: done at 50s" in summary
    assert "45s FAILED: 503 busy" in summary


async def test_without_retry_a_failed_action_says_how_to_try_again(rig):  # noqa: F811
    clock, journal, view, actions = rig
    action = FakeAction(False)
    step = RunbookStep(StepSpec("restart", Trigger("at", value=0.0), action="x"), action)
    cfg = config(runbook=(step.spec,))
    screen = FakeScreen()
    live = Instruments(clock, journal, view, cfg)
    responder = Responder(live, screen)
    responder.engine = RunbookEngine((step,), live, actions, interactive=True)
    task = asyncio.create_task(responder.run())
    await type_(clock, screen, "restart")
    assert "restart FAILED: 503 busy; no retry set: type restart to try again" in screen.text
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_help_status_steps_history_unknown_and_quit(game):
    clock, journal, screen, _, _, quits = game
    await alert_at(clock, journal, 25.0)
    await clock.advance(10)
    for text in ("help", "status", "steps", "", "reboot", "history", "quit", "quit"):
        await type_(clock, screen, text)
    out = screen.text
    assert "ack        acknowledge the page" in out
    assert "status at 35s" in out
    assert "paged (no deadline)" not in out
    assert "Runbook    paged by 1m25s (50s left)" in out
    steps = out[out.index("runbook at 35s") :]
    assert "│ paged   │ confirm: alert" in steps
    assert "due: do it" in steps
    assert "waiting for paged" in steps  # restart waits for paged
    assert "unknown command 'reboot': type a step id (paged, restart), ack" in out
    history = out[out.index("what you typed") :]
    for command in ("help", "status", "steps", "reboot"):
        assert command in history
    assert quits == [True]  # once: a second cancel would cut the revert short
    assert "already ending" in out
    assert not [r for r in journal.records if r["type"] == "runbook.step"]


async def test_a_line_screen_reads_typed_lines_until_the_stream_ends(tmp_path):
    import io
    import os

    out = io.StringIO()
    read_end, write_end = os.pipe()
    os.write(write_end, b"ack\n\nstatus\n")
    os.close(write_end)
    seen: list[str] = []

    async def handle(text: str) -> None:
        seen.append(text)

    with os.fdopen(read_end) as stream:
        screen = LineScreen(out, stream)
        await screen.read(handle, lambda: None)
    assert seen == ["ack", "", "status"]
    screen.show("PAGE")
    assert out.getvalue() == "PAGE\n"


async def test_what_the_sut_says_is_shown_as_it_is_never_as_markup(game):
    clock, journal, screen, _, _, _ = game
    await clock.advance(25.0)
    alert = records.Alert(status="firing", name="Down[/]", source="sut", summary="[bold]50%[/]")
    journal.write(records.ALERT(alert))  # "[/]" alone would make Rich raise
    assert "alert Down[/]: [bold]50%[/]" in screen.text
