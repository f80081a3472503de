"""What ``/proc`` says about processes: for tests that check nothing was left running.

A process that ended but was not yet reaped by its parent (a zombie, state ``Z``)
counts as gone: it holds no resources but its table entry, and its reaper may be the
very process a test just killed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path


def _stat(pid: int) -> list[str] | None:
    """``/proc/PID/stat``'s fields after the command name (state, ppid, ...); None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name is in parentheses and may itself hold spaces and parentheses
    return text[text.rindex(")") + 2 :].split()


def state(pid: int) -> str | None:
    """The process's state letter (R, S, T, Z, ...), or None once it is gone."""
    fields = _stat(pid)
    return fields[0] if fields else None


def alive(pids: Iterable[int]) -> set[int]:
    """Those of ``pids`` still running (zombies awaiting their reaper count as gone)."""
    return {pid for pid in pids if state(pid) not in (None, "Z")}


def descendants(pid: int) -> list[int]:
    """Every running process below ``pid`` now, each parent before its children."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) and fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry))
    out: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def cmdlines(pids: Iterable[int]) -> list[bytes]:
    """The command lines of those of ``pids`` still there (for an assertion's message)."""
    out = []
    for pid in pids:
        with contextlib.suppress(OSError):
            out.append(Path(f"/proc/{pid}/cmdline").read_bytes())
    return out
