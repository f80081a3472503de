"""A SUT as a child process group the harness starts, watches, pauses, kills and stops.

:class:`SutProcess` starts ``argv`` in a new session (its own process group: whatever it
forks is stopped with it), appends its stdout and stderr to ``sut.log``, and stops it
with the stop policy: the signal to the whole group, ``grace`` wall seconds, then
SIGKILL to the group, returning only when no process of the group is left.

Four layers make sure nothing outlives the harness:

1. :meth:`SutProcess.stop` in the ``finally`` of the target (normal end, errors, and
   Ctrl-C / SIGTERM, which cancel the run);
2. the watchdog process (:mod:`harness.sut.watchdog`), which holds the read end of a
   pipe: when the harness dies in any way, even by SIGKILL, the pipe closes and the
   watchdog stops every registered group with the same policy;
3. ``PR_SET_PDEATHSIG`` (:mod:`plumbing.lifetime`): the group leader gets the stop
   signal from the kernel when the harness dies (it does not reach a wrapper's children:
   the watchdog does);
4. ``sut.crash`` restarts register the new group with the same watchdog.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.errors import TargetError
from harness.procgroup import GroupChild, group_gone, group_pids
from plumbing.lifetime import die_with_parent

__all__ = ["SutProcess", "Watchdog"]

KILL_WAIT_S = 5.0


class Watchdog:
    """The watchdog process of one run (see the module docstring)."""

    def __init__(self) -> None:
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",  # the stdlib only: it must work even when the harness is broken
            str(Path(__file__).with_name("watchdog.py")),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C at the terminal must not stop it
        )

    async def _send(self, line: str) -> None:
        if self._proc is None or self._proc.stdin is None or self._proc.returncode is not None:
            return
        with contextlib.suppress(ConnectionError):
            self._proc.stdin.write(line.encode() + b"\n")
            await self._proc.stdin.drain()

    async def watch(self, pgid: int, sig: int, grace: float) -> None:
        await self._send(f"+{pgid} {sig} {grace:g}")

    async def forget(self, pgid: int) -> None:
        await self._send(f"-{pgid}")

    async def close(self) -> None:
        """End the watchdog (every group it knows of was stopped, or is stopped now)."""
        proc = self._proc
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            async with asyncio.timeout(KILL_WAIT_S * 2):
                await proc.wait()
        except TimeoutError:
            proc.kill()
            await proc.wait()


class SutProcess(GroupChild):
    """One SUT command; :meth:`start` it, :meth:`stop` it (also after it died)."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None,
        env: Mapping[str, str],
        log_path: Path,
        stop_signal: int = signal.SIGTERM,
        grace: float = 10.0,
        watchdog: Watchdog | None = None,
    ) -> None:
        super().__init__(log_path)
        self.argv = list(argv)
        self.cwd = cwd
        self.env = dict(env)
        self.stop_signal = stop_signal
        self.grace = grace
        self.watchdog = watchdog
        self.starts = 0
        self.paused = False

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    def pids(self) -> list[int]:
        """Live processes of the current group (the leader first)."""
        if self._proc is None:
            return []
        found = group_pids(self._proc.pid)
        return sorted(found, key=lambda p: (p != self._proc.pid if self._proc else 0, p))

    async def start(self) -> None:
        """Start the command (again, after a kill) in a new process group."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self._log is None:
            self._log = self.log_path.open("ab")
        self._log.write(f"--- qgameday: start {self.starts + 1}: {self.argv}\n".encode())
        self._log.flush()
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *self.argv,
                cwd=self.cwd,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=self._log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                # the leader gets the stop signal the moment we die; the watchdog then
                # gives the whole group its grace and SIGKILL
                preexec_fn=functools.partial(die_with_parent, self.stop_signal),
            )
        except OSError as exc:
            raise TargetError(f"cannot start the SUT {self.argv[0]!r}: {exc}") from None
        self.starts += 1
        self.paused = False
        if self.watchdog is not None:
            await self.watchdog.watch(self._proc.pid, self.stop_signal, self.grace)

    async def wait(self) -> int:
        """Wait until the group leader exits; its exit code (negative: killed by a signal)."""
        assert self._proc is not None
        return await self._proc.wait()

    def pause(self) -> None:
        """SIGSTOP the whole group (a stop-the-world pause)."""
        self.signal_group(signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        self.signal_group(signal.SIGCONT)
        self.paused = False

    async def kill(self) -> int | None:
        """SIGKILL the whole group now (a crash); returns when none of it is left."""
        if self._proc is None:
            return None
        self.signal_group(signal.SIGKILL)
        return await self._reap()

    async def stop(self) -> int | None:
        """The stop policy: signal, ``grace`` seconds, SIGKILL; returns the exit code."""
        proc = self._proc
        if proc is None:
            return None
        try:
            if group_pids(proc.pid):
                self.signal_group(self.stop_signal)
                if self.paused:
                    self.resume()  # a stopped process acts on no signal but SIGKILL
                await group_gone(proc.pid, self.grace)
        finally:
            # also when cancelled meanwhile (a second Ctrl-C): nothing may outlive us
            self.signal_group(signal.SIGKILL)
            code = await self._reap()
        return code

    async def _reap(self) -> int | None:
        proc = self._proc
        assert proc is not None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(KILL_WAIT_S):
                await proc.wait()
        await group_gone(proc.pid, KILL_WAIT_S)
        if self.watchdog is not None:
            await self.watchdog.forget(proc.pid)
        return proc.returncode
