"""The interactive responder: paged once, then told what is due; typed step ids are
performed and journalled as the responder's, read from a pipe like a terminal."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from harness.journal import records
from harness.journal.store import Journal
from harness.run.responder import Responder, live_status
from harness.runbook import RunbookStep
from harness.runbook.actions import ActionContext
from harness.runbook.engine import RunbookEngine
from harness.scoring import JournalView, StepResult, StepSpec, Trigger
from plumbing.clock import FakeClock
from tests.unit.journals import config
from tests.unit.test_runbook_engine import FakeAction

ACK = StepSpec("ack", Trigger("alert"), expect="alert", within=60.0)
DUE = StepResult("ack", "expect", 25.0, None, None, 60.0, "missed", False)


@pytest.fixture
async def rig(tmp_path: Path):
    clock = FakeClock(start=90.0)
    journal = Journal(tmp_path / "journal.jsonl", clock)
    said: list[str] = []
    responder = Responder(clock, journal, write=said.append)
    responder.status = lambda: "live: all fine"
    action = FakeAction(True)
    steps = (RunbookStep(ACK), RunbookStep(StepSpec("restart", action="x"), action))
    async with aiohttp.ClientSession() as http:  # never used: the action is a fake
        engine = RunbookEngine(
            steps,
            config(runbook=tuple(s.spec for s in steps)),
            journal,
            JournalView(),
            clock,
            ActionContext("http://127.0.0.1:9", http),
            interactive=True,
            page=responder.page,
        )
        responder.engine = engine
        yield responder, said, journal, action
    journal.close()


def steps_typed(journal: Journal) -> list[dict[str, Any]]:
    return [r for r in journal.records if r["type"] == records.RUNBOOK_STEP.name]


async def test_the_first_page_says_what_is_going_on_and_later_ones_only_the_step(rig):
    responder, said, _, _ = rig
    step = responder.engine.steps[0]
    responder.page(step, DUE)
    responder.page(step, DUE)
    assert said[0] == "\n*** PAGE at 1m30s: incident in progress ***\nlive: all fine"
    assert (
        said[1:]
        == [
            "[1m30s] step due: ack (confirm: alert) within 1m00s. Type 'ack' when done.",
        ]
        * 2
    )


async def test_a_firing_alert_pages_and_later_alerts_are_one_line(rig):
    responder, said, _, _ = rig
    responder.alert("firing", "Down")
    responder.alert("resolved", "Down")
    assert said == [
        "\n*** PAGE at 1m30s: alert Down firing ***\nlive: all fine",
        "[1m30s] alert Down resolved",
    ]


async def test_typed_step_ids_are_performed_and_journalled_as_the_responders(rig):
    responder, said, journal, action = rig
    await responder.handle("restart")
    await responder.handle("ack")
    assert [(r["id"], r["status"], r["by"]) for r in steps_typed(journal)] == [
        ("restart", "done", "responder"),
        ("ack", "done", "responder"),
    ]
    assert action.calls == 1  # a run step's action runs when the human says so
    assert said == ["[1m30s] restart: done", "[1m30s] ack: done"]


async def test_status_steps_and_unknown_commands(rig):
    responder, said, journal, _ = rig
    for text in ("status", "steps", "", "reboot"):
        await responder.handle(text)
    assert said == [
        "live: all fine",
        "runbook: ack, restart",
        "unknown command 'reboot': type a step id (ack, restart), status, steps or help",
    ]
    assert not steps_typed(journal)


async def test_it_reads_typed_lines_until_the_stream_ends(rig):
    responder, said, journal, _ = rig
    read_end, write_end = os.pipe()
    os.write(write_end, b"ack\nstatus\n")
    os.close(write_end)
    with os.fdopen(read_end) as stream:
        await responder.read(stream)
    assert [r["id"] for r in steps_typed(journal)] == ["ack"]
    assert said == ["[1m30s] ack: done", "live: all fine"]


def test_live_status_reads_the_latest_tick():
    assert live_status(None) == "live: no tick yet"
    tick = {"t": 120.0, "submitted": 9, "ok": 7, "failed": 1, "outstanding": 1,
            "queue_depth": {"m": 2}, "active_faults": ["f1"]}  # fmt: skip
    assert live_status(tick) == (
        "live at 120.0s: 9 jobs submitted, 7 ok, 1 failed, 1 outstanding; "
        "queue {'m': 2}; active faults: ['f1']"
    )
