"""The real ``gameday`` command in a subprocess, and what a run leaves in its folder.

Every integration test that plays a game day through the command uses these:
:func:`gameday` runs the command to its end; :func:`running` starts a run in the
background, for tests that act on it mid-run (send it a signal, kill its load engine)
once :func:`wait_for_record` saw it journal a given record, and kills whatever is left
of it on the way out; :func:`report`, :func:`checked_report` and :func:`journal` read
the run's folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.report_schema import check_report

ROOT = Path(__file__).resolve().parents[2]
# Runs on the scaled clock check what a game day does (faults injected and reverted,
# detection, losses, reports), not how precisely it timed it: on a machine shared with
# other test suites the instrument's own lag can exceed a tick, which makes a run
# `unreliable` (exit 2) by design. They are judged whatever the lag; the instrument's
# verdict on its own lag is tested in test_instrument.py. (On the virtual clock there is
# no lag to judge.)
JUDGED = ("--lag-tolerance", "3600")
# a console wide enough that no line the tests look for is wrapped
_ENV = {"COLUMNS": "200"}


def gameday(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``gameday ARGS`` run to its end (bounded), its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **_ENV},
    )


def start(*args: str, env: dict[str, str] | None = None, **popen: Any) -> subprocess.Popen[str]:
    """``gameday ARGS`` started in the background, stdout and stderr in one pipe.

    ``env`` adds variables to this process's environment; ``popen`` overrides the other
    :class:`subprocess.Popen` arguments (``stdout`` to a log file, ``start_new_session``).
    """
    options: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, **popen}
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=ROOT,
        text=True,
        env={**os.environ, **_ENV, **(env or {})},
        **options,
    )


@contextmanager
def running(
    *args: str, env: dict[str, str] | None = None, **popen: Any
) -> Iterator[subprocess.Popen[str]]:
    """:func:`start`, and kill (and reap) the run on the way out if it still runs."""
    proc = start(*args, env=env, **popen)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def wait_for_record(
    proc: subprocess.Popen[str], run_dir: Path, kind: str, timeout: float = 120
) -> float:
    """Wait (bounded) until a running game day journals a record of ``kind``.

    Observes the journal file the run flushes; fails early if the run exits first.
    Returns the wall-clock deadline left, for callers that wait on more afterwards.
    """
    deadline = time.monotonic() + timeout
    path = run_dir / "journal.jsonl"
    needle = f'"type":"{kind}"'
    while needle not in (path.read_text() if path.exists() else ""):
        assert time.monotonic() < deadline, f"no {kind} record within {timeout:g}s"
        assert proc.poll() is None, proc.communicate()[0]
        time.sleep(0.02)  # a poll of a file another process writes, bounded above
    return deadline


def report(run_dir: Path) -> dict[str, Any]:
    """A run's report.json."""
    return dict(json.loads((run_dir / "report.json").read_text()))


def checked_report(run_dir: Path) -> dict[str, Any]:
    """A run's report.json, checked against the shipped schema (every real run is)."""
    r = report(run_dir)
    check_report(r)
    return r


def journal(run_dir: Path) -> list[dict[str, Any]]:
    """A run's journal, one dict a record."""
    return [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines()]
