"""The watchdog: kills a SUT's process groups when the harness dies, even by SIGKILL.

``python -I harness/sut/watchdog.py`` reads lines on stdin from the harness that started it:
``+PGID SIGNAL GRACE`` when a SUT group starts, ``-PGID`` when the harness stopped it.
When stdin reaches end of file (the harness exited, crashed or was killed: the kernel
closes its end of the pipe), every group still registered gets SIGNAL and SIGCONT (a
paused SUT must be able to act on it), GRACE wall seconds to exit, then SIGKILL.

It runs in a session of its own so a Ctrl-C at the terminal does not reach it, and it
imports nothing from the harness: it must work when the harness is broken.
"""

from __future__ import annotations

import os
import signal
import sys
import time

POLL_S = 0.05


def _alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a group whose members are all zombies still "exists" for kill(): look closer
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def _signal(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _stop(groups: dict[int, tuple[int, float]]) -> None:
    deadline = 0.0
    for pgid, (sig, grace) in groups.items():
        _signal(pgid, sig)
        _signal(pgid, signal.SIGCONT)
        deadline = max(deadline, grace)
    end = time.monotonic() + deadline
    while time.monotonic() < end and any(_alive(p) for p in groups):
        time.sleep(POLL_S)
    for pgid in groups:
        _signal(pgid, signal.SIGKILL)


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    groups: dict[int, tuple[int, float]] = {}
    for line in sys.stdin:
        word = line.strip()
        if word.startswith("+"):
            pgid, sig, grace = word[1:].split()
            groups[int(pgid)] = (int(sig), float(grace))
        elif word.startswith("-"):
            groups.pop(int(word[1:]), None)
    _stop(groups)
    return 0


if __name__ == "__main__":
    sys.exit(main())
