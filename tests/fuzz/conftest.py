"""Fuzz sessions write their tally (tests/fuzz/support.py) to reports/fuzz.json."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.fuzz.support import LONG, TALLY

_START = time.monotonic()


# multiprocessing's helpers live as long as this process by design; anything else
# still running below it when the session ends was left behind.
_HELPERS = (b"forkserver", b"resource_tracker")


def _leftovers() -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [os.getpid()]
    while todo:
        for pid in children.get(todo.pop(), []):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if not any(h in cmdline for h in _HELPERS):
                out.append(pid)
            todo.append(pid)
    return out


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not TALLY:
        return
    deadline = time.monotonic() + 10
    while (left := _leftovers()) and time.monotonic() < deadline:
        time.sleep(0.1)
    TALLY["leftover_processes"] = len(left)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TALLY:
        return
    tally = {
        "mode": "long" if LONG else "short",
        "wall_s": round(time.monotonic() - _START, 1),
        **{k: TALLY[k] for k in sorted(TALLY)},
    }
    for key in ("server_errors", "tracebacks", "hangs", "leftover_processes"):
        tally.setdefault(key, 0)
    out = Path("reports") / "fuzz.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(tally, indent=2) + "\n", encoding="utf-8")
    terminalreporter.write_line(f"fuzz tally ({out}): " + json.dumps(tally))
