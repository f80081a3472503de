"""Whole game days shared by the integration tests: each one played once per session.

A game day is the real ``gameday run`` command in a subprocess of its own (so two runs
of one seed also differ in everything a process draws at random, string hashing
included). :class:`GameDays` starts a run when it is first asked for and hands every
test the same run folder; runs asked for together play side by side.

The scaled-clock references of ``test_virtual_time.py`` take two minutes of wall time
(20 scenario minutes at 10x) but little CPU: ``tests/integration/conftest.py`` starts
them at the beginning of the session when a collected test needs them, so they are
done by the time that test runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# These tests check what a game day does, not how precisely a busy machine timed it: a
# scaled run is judged whatever its own measured lag (see test_gameday_e2e.JUDGED).
JUDGED = ("--lag-tolerance", "3600")
TIMEOUT_S = 600


@dataclass(frozen=True, slots=True)
class Played:
    """A finished game day: its folder, exit code and console output."""

    out: Path
    code: int
    output: str

    def report(self) -> dict[str, Any]:
        return dict(json.loads((self.out / "report.json").read_text()))

    def journal(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in (self.out / "journal.jsonl").read_text().splitlines()]


class GameDays:
    """Game days by key, each played at most once (see the module docstring)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="qgameday-gamedays-"))
        self._running: dict[str, tuple[subprocess.Popen[str], Path, float]] = {}
        self._done: dict[str, Played] = {}

    def start(self, key: str, *args: str) -> None:
        """Start ``gameday run ARGS --out <folder> -q`` unless ``key`` was started already."""
        if key in self._running or key in self._done:
            return
        out = self.root / key
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness.cli", "run", *args, "--out", str(out), "-q"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        self._running[key] = (proc, out, time.monotonic())

    def get(self, key: str, *args: str) -> Played:
        """The finished run ``key`` (started now with ``args`` if it was not yet)."""
        self.start(key, *args)
        if key not in self._done:
            proc, out, started = self._running.pop(key)
            left = TIMEOUT_S - (time.monotonic() - started)
            try:
                output, _ = proc.communicate(timeout=max(1.0, left))
            except subprocess.TimeoutExpired:
                proc.kill()
                output, _ = proc.communicate()
                raise AssertionError(f"game day {key} ran over {TIMEOUT_S}s:\n{output}") from None
            self._done[key] = Played(out, proc.returncode, output)
        return self._done[key]

    def close(self) -> None:
        """Stop what still runs (a test run cut short) and remove the folders."""
        for proc, _, _ in self._running.values():
            proc.kill()
            proc.communicate()
        self._running.clear()
        shutil.rmtree(self.root, ignore_errors=True)


#: the runs test_virtual_time.py compares the virtual clock against (key -> arguments)
SCALED_REFERENCES = {
    f"{name}-scaled-10x": (name, "--clock", "scaled", "--time-scale", "10", *JUDGED)
    for name in ("token-expiry", "network-partition")
}


def virtual_run(game_days: GameDays, name: str, k: int = 1, *, start_only: bool = False) -> Played:
    """The ``k``-th run of scenario ``name`` on the virtual clock (shared by every test)."""
    key = f"{name}-virtual-{k}"
    if start_only:
        game_days.start(key, name, "--clock", "virtual")
        return Played(game_days.root / key, -1, "")
    return game_days.get(key, name, "--clock", "virtual")
