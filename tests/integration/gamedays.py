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

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.integration import runs
from tests.integration.runs import JUDGED

TIMEOUT_S = 600
SHARED_ENV = "QGAMEDAY_GAMEDAYS_DIR"
PREFIX = "qgameday-gamedays-"


@dataclass(frozen=True, slots=True)
class Played:
    """A finished game day: its folder, exit code and console output."""

    out: Path
    code: int
    output: str

    def report(self) -> dict[str, Any]:
        return runs.report(self.out)

    def journal(self) -> list[dict[str, Any]]:
        return runs.journal(self.out)


class GameDays:
    """Game days by key, each played at most once per test session (see the module).

    Under pytest-xdist every worker has one of these over the same folder (``root``:
    ``QGAMEDAY_GAMEDAYS_DIR``, made by the session's main process, ``tests/conftest.py``),
    so a run is played once per session, not once per worker. The first process to
    claim a key plays it: it makes ``<key>.lock`` locked (``flock``) before anyone can
    open it, and a thread of its own waits for the run, writes ``<key>.json`` (exit code
    and output) and unlocks. Any other process blocks on that lock, then reads the file.
    """

    def __init__(self, root: Path | None = None) -> None:
        shared = os.environ.get(SHARED_ENV)
        self.root = root or (Path(shared) if shared else Path(tempfile.mkdtemp(prefix=PREFIX)))
        self._owned = root is None and not shared  # a folder of our own: we remove it
        self._mine: dict[str, tuple[subprocess.Popen[str], threading.Thread]] = {}
        self._done: dict[str, Played] = {}
        self._locks: dict[str, int] = {}  # claimed keys: their locked file, until started
        self._theirs: set[str] = set()  # keys another process claimed first

    def start(self, key: str, *args: str) -> None:
        """Start ``gameday run ARGS --out <folder> -q`` unless ``key`` was started already."""
        if key in self._mine or key in self._done or key in self._theirs:
            return
        if not self._claim(key):
            self._theirs.add(key)
            return
        out = self.root / key
        proc = runs.start("run", *args, "--out", str(out), "-q")
        lock = self._locks.pop(key)
        waiter = threading.Thread(
            target=self._wait, args=(key, proc, lock), name=f"gameday-{key}", daemon=True
        )
        waiter.start()
        self._mine[key] = (proc, waiter)

    def get(self, key: str, *args: str) -> Played:
        """The finished run ``key`` (started now with ``args`` if nobody started it yet)."""
        self.start(key, *args)
        if key not in self._done:
            if key in self._mine:
                self._mine[key][1].join()
            else:  # another process plays it: its lock is released when it is done
                with open(self.root / f"{key}.lock", "rb") as lock:
                    fcntl.flock(lock, fcntl.LOCK_SH)
            result = self.root / f"{key}.json"
            if not result.exists():
                raise AssertionError(f"game day {key} was not finished by the process playing it")
            played = json.loads(result.read_text())
            self._done[key] = Played(self.root / key, played["code"], played["output"])
        return self._done[key]

    def close(self) -> None:
        """Stop what still runs here (a test run cut short); remove a folder of our own."""
        for proc, waiter in self._mine.values():
            if proc.poll() is None:
                proc.kill()
            waiter.join()
        self._mine.clear()
        if self._owned:
            shutil.rmtree(self.root, ignore_errors=True)

    def _claim(self, key: str) -> bool:
        # Lock a fresh file, then link it into place: whoever opens <key>.lock finds it
        # locked already. link() fails when the name exists: another process has it.
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{key}-")
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            os.link(tmp, self.root / f"{key}.lock")
        except FileExistsError:
            os.close(fd)
            return False
        finally:
            os.unlink(tmp)
        self._locks[key] = fd
        return True

    def _wait(self, key: str, proc: subprocess.Popen[str], lock: int) -> None:
        try:
            try:
                output, _ = proc.communicate(timeout=TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                output, _ = proc.communicate()
                output = f"game day {key} ran over {TIMEOUT_S}s:\n{output}"
            result = {"code": proc.returncode, "output": output}
            tmp = self.root / f".{key}.json"
            tmp.write_text(json.dumps(result))
            tmp.rename(self.root / f"{key}.json")  # atomic: readers see all of it or none
        finally:
            os.close(lock)  # unlocks: waiting processes read the result now


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
