"""Game days that are interrupted twice, or killed outright (issue 16, items 11 and 12)."""

from __future__ import annotations

import signal
import subprocess
import time
from contextlib import AbstractContextManager
from pathlib import Path

from harness.exitcode import ExitCode
from tests.integration.runs import gameday, journal, running, wait_for_record
from tests.processes import alive, cmdlines, descendants

SCENARIO = Path(__file__).with_name("scenarios") / "two-faults.yaml"


def two_faults_at_60x(out: Path) -> AbstractContextManager[subprocess.Popen[str]]:
    return running("run", str(SCENARIO), "--time-scale", "60", "--out", str(out), "-q")


def test_a_second_ctrl_c_does_not_skip_revert_and_report(tmp_path):
    out = tmp_path / "twice"
    with two_faults_at_60x(out) as proc:
        wait_for_record(proc, out, "fault.started")
        proc.send_signal(signal.SIGINT)
        time.sleep(0.2)  # the impatient operator presses it again
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.ABORTED, output
    records = journal(out)
    assert next(r for r in records if r["type"] == "fault.ended")["reverted"] is True
    assert (out / "report.json").exists()


def test_sigkill_leaves_no_process_and_the_report_says_killed(tmp_path):
    out = tmp_path / "killed"
    with two_faults_at_60x(out) as proc:
        wait_for_record(proc, out, "fault.started")
        children = set(descendants(proc.pid))
        assert children  # Aer workers, the forkserver, the resource tracker at least
        proc.kill()
        proc.communicate(timeout=10)
    deadline = time.monotonic() + 15
    while alive(children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(children), cmdlines(alive(children))
    report = gameday("report", str(out))
    assert report.returncode == ExitCode.INCOMPLETE, report.stdout + report.stderr
    assert "killed" in (report.stdout + report.stderr).lower()
