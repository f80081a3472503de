"""Game days that are interrupted twice, or killed outright (issue 16, items 11 and 12)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from harness.exitcode import ExitCode
from tests.integration.test_gameday_e2e import ROOT, gameday, journal, wait_for_record

SCENARIO = Path(__file__).with_name("scenarios") / "two-faults.yaml"


def start(out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", str(SCENARIO), "--time-scale", "60",
         "--out", str(out), "-q"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def test_a_second_ctrl_c_does_not_skip_revert_and_report(tmp_path):
    out = tmp_path / "twice"
    proc = start(out)
    try:
        wait_for_record(proc, out / "journal.jsonl", "fault.started")
        proc.send_signal(signal.SIGINT)
        time.sleep(0.2)  # the impatient operator presses it again
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == ExitCode.ABORTED, output
    records = journal(out)
    assert next(r for r in records if r["type"] == "fault.ended")["reverted"] is True
    assert (out / "report.json").exists()


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` now (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def alive(pids: set[int]) -> set[int]:
    left = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if state[state.rindex(")") + 2] != "Z":
            left.add(pid)
    return left


def test_sigkill_leaves_no_process_and_the_report_says_killed(tmp_path):
    out = tmp_path / "killed"
    proc = start(out)
    try:
        wait_for_record(proc, out / "journal.jsonl", "fault.started")
        children = descendants(proc.pid)
        assert children  # Aer workers, the forkserver, the resource tracker at least
        proc.kill()
        proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 15
    while alive(children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(children), [Path(f"/proc/{p}/cmdline").read_bytes() for p in alive(children)]
    report = gameday("report", str(out))
    assert report.returncode == ExitCode.INCOMPLETE, report.stdout + report.stderr
    assert "killed" in (report.stdout + report.stderr).lower()
