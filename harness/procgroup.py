"""A child process in a process group of its own, and waiting for a group to be gone.

Locust (:mod:`harness.load.driver`) and a ``command`` target's SUT
(:mod:`harness.sut.process`) are both started in a session of their own, so whatever
they fork is in their group and goes with it: what those two share is here, below both.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
from typing import IO

__all__ = ["GroupChild", "group_gone", "group_pids"]

POLL_S = 0.01  # how often group_gone looks in /proc


def group_pids(pgid: int) -> set[int]:
    """Live (not zombie) processes in process group ``pgid`` (Linux ``/proc``)."""
    out: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces: split after it
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            out.add(int(entry.name))
    return out


async def group_gone(pgid: int, within: float) -> bool:
    """Wait, at most ``within`` wall seconds, until no process of group ``pgid`` is
    left; whether none is (/proc offers nothing to wait on for a group: poll, bounded)."""
    for _ in range(max(1, int(within / POLL_S))):
        if not group_pids(pgid):
            return True
        await asyncio.sleep(POLL_S)
    return not group_pids(pgid)


class GroupChild:
    """A child process started in a session of its own (so a process group: whatever it
    forks goes with it), its output appended to ``log_path``. What Locust's process and
    the SUT's (:class:`~harness.sut.process.SutProcess`) have in common; each starts and
    stops its own way."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self._proc: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def returncode(self) -> int | None:
        """The exit code once the group leader exited (negative: killed by that signal)."""
        return self._proc.returncode if self._proc is not None else None

    def signal_group(self, sig: int) -> None:
        """Send ``sig`` to the whole group (nothing when it is gone)."""
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, sig)

    def close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 15) -> str:
        """The last lines it wrote, for error messages."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.rstrip().splitlines()[-lines:])
