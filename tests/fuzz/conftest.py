"""Fuzz sessions count leftover processes; tests/conftest.py writes the tally.

The tally (tests/fuzz/support.py) goes to reports/fuzz.json from the session's main
process: under pytest-xdist each worker hands its own over when it ends.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.fuzz.support import TALLY, WORKER_KEY
from tests.processes import descendants

# multiprocessing's helpers live as long as this process by design; anything else
# still running below it when the session ends was left behind.
_HELPERS = (b"forkserver", b"resource_tracker")


def _leftovers() -> list[int]:
    return [pid for pid in descendants(os.getpid()) if not _is_helper(pid)]


def _is_helper(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # gone since: not left behind
    return any(h in cmdline for h in _HELPERS)


def pytest_sessionfinish(session: pytest.Session) -> None:
    # In the process that ran the fuzz tests (an xdist worker, or the only process).
    if not TALLY:
        return
    deadline = time.monotonic() + 10
    while (left := _leftovers()) and time.monotonic() < deadline:
        time.sleep(0.1)
    TALLY["leftover_processes"] = len(left)
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the main process writes the tally
        workeroutput[WORKER_KEY] = json.dumps(TALLY)
