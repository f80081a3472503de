"""The ``command`` target: the harness starts the SUT as a child process group.

Started once the fake backends, their fault proxies and the webhook are up, with the
wiring (:mod:`harness.sut.wiring`) in its environment and a free port as ``$PORT`` /
``{port}``. At ``time_scale != 1`` it runs under libfaketime at that rate
(:mod:`harness.sut.faketime`), checked first by a probe process and then on the SUT's own
processes (:mod:`harness.sut.clockprobe`). It is ready when ``GET <ready.path>`` answers
below 500; output goes to ``sut.log`` in the run folder.

Journal: ``sut.started`` (pid, argv, clock), ``sut.exited`` (it exited by itself: exit
code and last log lines), ``sut.stopped`` (stopped by the harness at the end). Faults on
the process (``sut.crash``, ``sut.pause``) act through :class:`SutHandle`.

A SUT that cannot start, exits before it is ready, never becomes ready, or escapes the
scaled clock is a configuration error (exit 3) with the reason and its last log lines.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from harness.errors import ConfigError, TargetError
from harness.journal.records import (
    SUT_CLOCK,
    SUT_EXITED,
    SUT_RESTARTED,
    SUT_STARTED,
    SUT_STOPPED,
    SutStarted,
)
from harness.journal.store import Journal
from harness.sut.clockprobe import check_rate, unscaled_processes
from harness.sut.config import TargetConfig
from harness.sut.faketime import faketime_env, find_libfaketime
from harness.sut.process import SutProcess, Watchdog
from harness.sut.wiring import Wiring
from plumbing.serve import background

__all__ = ["CommandTarget", "SutHandle", "free_port", "wait_until_ready"]

READY_POLL_S = 0.05
LOG_LINES = 20


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SutHandle:
    """What faults may do to a running ``command`` SUT (kill and restart, pause)."""

    def __init__(self, target: CommandTarget, process: SutProcess) -> None:
        self._target = target
        self.process = process

    async def crash(self) -> int | None:
        """SIGKILL the whole group (a crash); journalled by the fault, not as ``sut.exited``."""
        self._target.expected_exit = True
        return await self.process.kill()

    async def restart(self) -> None:
        """Start the command again (same port, environment and store) and wait until ready."""
        await self.process.start()
        self._target.expected_exit = False
        self._target.journal.write(SUT_STARTED(self._target.started_fields(self.process)))
        await self._target.wait_ready(self.process)
        self._target.journal.write(SUT_RESTARTED({"start": self.process.starts}))
        self._target.restarted.set()

    def pause(self) -> None:
        self.process.pause()

    def resume(self) -> None:
        self.process.resume()


class CommandTarget:
    """Starts ``target.run`` with the wiring in its environment; see the module docstring."""

    def __init__(
        self,
        config: TargetConfig,
        *,
        time_scale: float,
        journal: Journal,
        scenario_dir: Path,
    ) -> None:
        self.config = config
        self.time_scale = time_scale
        self.journal = journal
        self.run_dir = journal.path.parent  # the run folder: sut.log and sut/ go beside it
        self.scenario_dir = scenario_dir
        self.port = 0
        self.url = ""
        self.sut_clock = "real time"
        self.handle: SutHandle | None = None
        self.admin_token: str | None = None  # the SUT's own admin API is its business
        self.expected_exit = False
        self.restarted = asyncio.Event()
        self.description = f"command `{' '.join(config.run)}`"

    def started_fields(self, proc: SutProcess) -> SutStarted:
        return {
            "pid": proc.pid,
            "argv": proc.argv,
            "url": self.url,
            "clock": self.sut_clock,
            "log": proc.log_path.name,
            "start": proc.starts,
        }

    @asynccontextmanager
    async def running(self, wiring: Wiring) -> AsyncIterator[str]:
        proc = await self._prepare(wiring)
        watchdog = Watchdog()
        await watchdog.start()
        proc.watchdog = watchdog
        try:
            await proc.start()
            self.journal.write(SUT_STARTED(self.started_fields(proc)))
            await self.wait_ready(proc)
            self._check_clock(proc)
            self.handle = SutHandle(self, proc)
            async with background(self._exits(proc)):
                yield self.url
        finally:
            self.expected_exit = True
            code = await proc.stop()
            proc.close_log()
            await watchdog.close()
            self.journal.write(SUT_STOPPED({"exit_code": code, "log": proc.log_path.name}))

    async def _prepare(self, wiring: Wiring) -> SutProcess:
        c = self.config
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        sut_dir = self.run_dir / "sut"
        sut_dir.mkdir(parents=True, exist_ok=True)
        values = {
            "port": str(self.port),
            "python": sys.executable,
            "sut_dir": str(sut_dir),
            "scenario_dir": str(self.scenario_dir),
        }
        env = {
            **os.environ,
            **wiring.env(),
            "PORT": str(self.port),
            "QGAMEDAY_SUT_DIR": str(sut_dir),
        }
        env |= {k: _fill(v, values) for k, v in c.env.items()}
        cwd = (self.scenario_dir / c.cwd).resolve() if c.cwd else self.scenario_dir.resolve()
        if not cwd.is_dir():
            raise ConfigError(f"target.cwd: no folder {cwd}")
        if self.time_scale != 1:
            lib = await asyncio.to_thread(find_libfaketime)
            env |= faketime_env(lib, self.time_scale, env)
            report = await check_rate(env, self.time_scale, cwd=cwd)
            self.sut_clock = f"libfaketime at {self.time_scale:g}x ({lib.origin})"
            self.journal.write(
                SUT_CLOCK(
                    {
                        "mode": "scaled",
                        "library": str(lib.path),
                        "origin": lib.origin,
                        "expected": self.time_scale,
                        "measured": {k: round(v, 4) for k, v in report.rates.items()},
                    }
                )
            )
        else:
            self.journal.write(SUT_CLOCK({"mode": "real", "expected": 1.0}))
        return SutProcess(
            [_fill(a, values) for a in c.run],
            cwd=cwd,
            env=env,
            log_path=self.run_dir / "sut.log",
            stop_signal=c.stop_signal,
            grace=c.stop_grace,
        )

    async def wait_ready(self, proc: SutProcess) -> None:
        """Poll ``ready.path`` until it answers below 500; exit 3 if it dies or times out."""

        def dead() -> str | None:
            if proc.running:
                return None
            return (
                f"the SUT exited with code {proc.returncode} before it was ready; "
                f"last lines of sut.log:\n{proc.log_tail(LOG_LINES)}"
            )

        try:
            await wait_until_ready(
                self.url + self.config.ready_path, self.config.ready_timeout, dead=dead
            )
        except TargetError as exc:
            if proc.running:
                raise TargetError(
                    f"{exc}; last lines of sut.log:\n{proc.log_tail(LOG_LINES)}"
                ) from None
            raise

    def _check_clock(self, proc: SutProcess) -> None:
        if self.time_scale == 1:
            return
        escaped = unscaled_processes(proc.pids())
        if escaped:
            raise ConfigError(
                f"the SUT does not run on the scaled clock ({self.time_scale:g}x): "
                + "; ".join(escaped)
                + ". Its timers would run at 1x while the scenario runs at "
                f"{self.time_scale:g}x. Remedy: time_scale: 1, or a dynamically linked "
                "program started without clearing LD_PRELOAD"
            )

    async def _exits(self, proc: SutProcess) -> None:
        """Journal every exit the harness did not cause (``sut.exited``)."""
        while True:
            starts = proc.starts
            code = await proc.wait()
            if not self.expected_exit:
                tail = proc.log_tail(LOG_LINES)
                self.journal.write(SUT_EXITED({"exit_code": code, "last_lines": tail}))
                return
            # killed by a fault: watch the process it restarts
            while proc.starts == starts:
                await self.restarted.wait()
                self.restarted.clear()


async def wait_until_ready(
    url: str, within: float, *, dead: Callable[[], str | None] = lambda: None
) -> None:
    """Poll ``url`` every 50 ms until it answers below 500 (TargetError after ``within``
    wall seconds, or as soon as ``dead()`` says why it never will)."""
    last = "no answer yet"
    per_call = aiohttp.ClientTimeout(total=2)
    async with aiohttp.ClientSession() as http:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            if (why := dead()) is not None:
                raise TargetError(why)
            try:
                async with http.get(url, timeout=per_call) as resp:
                    if resp.status < 500:
                        return
                    last = f"HTTP {resp.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            await asyncio.sleep(READY_POLL_S)
    raise TargetError(f"the SUT was not ready within {within:g}s (wall): GET {url}: {last}")


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text
