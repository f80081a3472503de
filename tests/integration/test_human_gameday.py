"""The human game day through a real pseudo-terminal (pexpect), as a responder sees it.

``gameday run --interactive`` on an 80x24 terminal at 40x: the page (bell and framed
summary) arrives, the status line is under the prompt, ``help``, ``status``, ``steps``
and ``history`` answer, ``ack`` is journalled, typed steps are performed, the token
refresh fails with the SUT's 503 while the token service is down and is retried per
the step's ``retry`` until it succeeds, and the run ends with the responder's summary;
the report scores what was typed.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pexpect
import pytest

from tests.integration.runs import JUDGED

ROOT = Path(__file__).resolve().parents[2]
HUMAN = ROOT / "tests" / "integration" / "scenarios" / "human.yaml"

pytestmark = pytest.mark.slow


def spawn(out: Path) -> pexpect.spawn[str]:
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    return pexpect.spawn(
        sys.executable,
        ["-m", "harness.cli", "run", str(HUMAN), "--interactive", *JUDGED, "--out", str(out)],
        cwd=str(ROOT),
        env=env,
        dimensions=(24, 80),
        encoding="utf-8",
        codec_errors="replace",
        timeout=120,
    )


class Terminal:
    """The child's terminal: answers prompt_toolkit's cursor position requests (CPR) as
    a real terminal would (without an answer it cannot place the status line)."""

    CPR = "\x1b[6n"

    def __init__(self, child: pexpect.spawn[str], log: Path) -> None:
        self.child = child
        self.log = log

    def expect(self, pattern: str | type[pexpect.EOF], timeout: float = 60) -> None:
        while True:
            try:
                i = self.child.expect([re.escape(self.CPR), pattern], timeout=timeout)
            except (pexpect.EOF, pexpect.TIMEOUT) as exc:
                why = type(exc).__name__
                raise AssertionError(f"{why} waiting for {pattern!r}; screen: {self.log}") from None
            if i == 1:
                return
            self.child.send("\x1b[12;1R")  # the cursor is on row 12 of 24

    def sendline(self, text: str) -> None:
        self.child.sendline(text)


def test_a_responder_is_paged_types_steps_and_sees_a_failed_action_retried(tmp_path):
    out = tmp_path / "human"
    child = spawn(out)
    screen_log = tmp_path / "screen.log"  # what the terminal got, for a failure's reader
    log_file = screen_log.open("w", encoding="utf-8")
    child.logfile_read = log_file
    term = Terminal(child, screen_log)
    try:
        term.expect("responder>")
        term.sendline("help")
        term.expect("acknowledge the page")
        term.expect(r"\d\d:\d\d/09:00 (warm-up|load)")  # the status line under the prompt
        # the page: the bell, then the frame with what fired and the live figures
        term.expect("\a", timeout=60)
        term.expect("PAGE at 3m")
        term.expect("Live SLIs")
        term.expect("Type ack to acknowledge")
        term.expect("PAGED")  # the status line asks for an acknowledgement
        term.sendline("ack")
        term.expect(r"acknowledged \d page\(s\)")
        term.sendline("paged")
        term.expect("paged: done at")
        term.sendline("refresh-tokens")
        # the token service is down: the SUT answers 503, and the step is retried
        term.expect("refresh-tokens FAILED: 503")
        term.expect(r"retrying at \d+m\d\ds\s+\(retry: 20s\)")
        for command, answer in (("status", "status at"), ("steps", "runbook at")):
            term.sendline(command)
            term.expect(answer)
        term.expect(r"refresh-tokens: done \(200", timeout=60)
        term.sendline("history")
        term.expect("what you typed")
        term.expect("Your game day", timeout=90)  # the exit summary
        term.expect("refresh-tokens: done at")
        term.expect("Exit code 0")
        term.expect(pexpect.EOF)
    finally:
        child.close(force=True)
        log_file.close()
    assert child.exitstatus == 0, screen_log.read_text()
    report = json.loads((out / "report.json").read_text())
    steps = {s["id"]: s for s in report["runbook"]}
    assert [(steps[k]["by"], steps[k]["status"]) for k in ("paged", "refresh-tokens")] == [
        ("responder", "done"),
        ("responder", "done"),
    ]
    assert steps["refresh-tokens"]["detail"].startswith("200")
    records = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    attempts = [(r["id"], r["status"]) for r in records if r["type"] == "runbook.step"]
    assert attempts[0] == ("paged", "done")
    assert attempts[-1] == ("refresh-tokens", "done")
    assert ("refresh-tokens", "failed") in attempts[1:-1]  # retried after a 503
    (ack,) = [r for r in records if r["type"] == "responder.ack"]
    (incident,) = report["incidents"]
    assert incident["acknowledged_at_s"] == pytest.approx(ack["t"], abs=0.01)
    assert report["interactive"] is True
