"""A runbook shell step's timeout ends everything it started (issue 16, item 10)."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from harness.runbook.actions import ActionContext, ShellAction
from tests.processes import alive


def gone(pid: int) -> bool:
    return not alive([pid])


async def test_the_timeout_kills_the_commands_children_too(tmp_path):
    pidfile = tmp_path / "child.pid"
    action = ShellAction(f"sleep 300 & echo $! > {pidfile}; wait", timeout=1.0)
    t0 = time.monotonic()
    async with aiohttp.ClientSession() as http, asyncio.timeout(20):
        ok, detail = await action.run(ActionContext("http://127.0.0.1:9", http))
    assert not ok
    assert "timed out" in detail
    assert time.monotonic() - t0 < 10
    child = int(pidfile.read_text())
    await asyncio.to_thread(wait_gone, child)


def wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 5
    while not gone(pid):
        assert time.monotonic() < deadline, f"the command's child {pid} outlived its step"
        time.sleep(0.05)
