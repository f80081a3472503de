"""Run Locust as a subprocess (asyncio) and read its SLI plugin's lines as they arrive.

Locust is never imported here: ``import locust`` monkey-patches the standard library
with gevent, which deadlocks an asyncio process. :class:`LocustProcess` starts
``python -m locust -f sli_plugin.py,<locustfile>`` in a new session (its own process
group, so workers it forks with ``--processes`` are in it too), tails the plugin's
output file, and always cleans up: on leaving :meth:`LocustProcess.running` it asks
Locust to stop, sends SIGTERM after a grace period and SIGKILL to the whole group after
another, and waits until no process of the group is left. Every run is bounded: Locust
gets ``--run-time`` and stops by itself. If the harness is killed outright, the kernel
kills Locust (``PR_SET_PDEATHSIG``, :mod:`plumbing.lifetime`), and the workers it forked
die with it the same way (set by the SLI plugin in each worker: a fork does not inherit it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from harness.errors import LoadError
from harness.load.files import PLUGIN
from harness.load.lines import parse_line
from harness.procgroup import GroupChild, group_gone
from plumbing.lifetime import die_with_parent

__all__ = ["LocustProcess", "LocustSpec", "Mode", "free_port"]

Mode = Literal["local", "master", "worker"]
GRACE_S = 10.0
KILL_WAIT_S = 5.0


@dataclass(frozen=True, slots=True)
class LocustSpec:
    """One Locust command: what to run, against what, for how long, where files go.

    ``processes`` > 1 runs a local master with that many forked workers (Locust's
    ``--processes``). ``mode`` ``master``/``worker`` is Locust's distributed mode across
    machines: the master binds ``bind_host:master_port`` and waits for
    ``expect_workers``; a worker connects to ``master_host:master_port``.
    """

    locustfile: Path
    out_dir: Path
    host: str = ""
    users: int = 1
    spawn_rate: float = 1.0
    run_time: float | None = None
    processes: int = 1
    sli_interval: float = 1.0
    controlled: bool = False
    options: Mapping[str, str] = field(default_factory=dict)
    extra_args: Sequence[str] = ()
    mode: Mode = "local"
    master_host: str = "127.0.0.1"
    master_port: int = 0
    bind_host: str = "127.0.0.1"
    expect_workers: int = 1

    @property
    def sli_path(self) -> Path:
        return self.out_dir / "sli.jsonl"

    @property
    def control_path(self) -> Path:
        return self.out_dir / "control.json"

    @property
    def log_path(self) -> Path:
        return self.out_dir / "locust.log"

    def command(self) -> list[str]:
        """The full ``python -m locust ...`` command line."""
        cmd = [sys.executable, "-m", "locust", "-f", f"{PLUGIN},{self.locustfile}"]
        cmd += ["--headless", "--only-summary", "--loglevel", "INFO"]
        for key, value in self.options.items():
            cmd += [f"--qg-{key}", value]
        if self.mode == "worker":
            cmd += ["--worker", "--master-host", self.master_host]
            cmd += ["--master-port", str(self.master_port)]
            return [*cmd, *self.extra_args]
        cmd += ["--host", self.host, "-u", str(self.users), "-r", f"{self.spawn_rate:g}"]
        prefix = str(self.out_dir / "locust")
        cmd += ["--csv", prefix, "--html", f"{prefix}.html", "--json-file", f"{prefix}_stats"]
        cmd += ["--qg-sli-out", str(self.sli_path), "--qg-sli-interval", f"{self.sli_interval:g}"]
        if self.controlled:
            cmd += ["--qg-control", str(self.control_path)]
        if self.run_time is not None:
            cmd += ["--run-time", f"{max(1, round(self.run_time))}s"]
        if self.mode == "master":
            cmd += ["--master", "--expect-workers", str(self.expect_workers)]
            cmd += ["--master-bind-host", self.bind_host]
            cmd += ["--master-bind-port", str(self.master_port)]
        elif self.processes > 1:
            cmd += ["--processes", str(self.processes)]
            # loopback and a port of our own: several runs may share this machine
            cmd += ["--master-bind-host", "127.0.0.1", "--master-host", "127.0.0.1"]
            cmd += ["--master-bind-port", str(self.master_port)]
            cmd += ["--master-port", str(self.master_port)]
        return [*cmd, *self.extra_args]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for Locust's master)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Tail:
    """Complete lines appended to a file since the last read (a torn last line waits)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""

    def read(self) -> list[dict[str, Any]]:
        try:
            with self.path.open("rb") as fh:
                fh.seek(self._offset)
                chunk = fh.read()
        except FileNotFoundError:
            return []
        self._offset += len(chunk)
        data = self._partial + chunk
        *lines, self._partial = data.split(b"\n")
        out = []
        for raw in lines:
            line = parse_line(raw.decode("utf-8", "replace"))
            if line is not None:
                out.append(line)
        return out


class LocustProcess(GroupChild):
    """One Locust process (and the workers it forks); use :meth:`running`."""

    def __init__(self, spec: LocustSpec, *, env: Mapping[str, str] | None = None) -> None:
        super().__init__(spec.log_path)
        self.spec = spec
        self._env = env
        self._tail = _Tail(spec.sli_path)
        self.stop_requested = False

    @property
    def exit_code(self) -> int | None:
        """Locust's exit code once it exited (negative: killed by that signal)."""
        return self.returncode

    @property
    def exited(self) -> bool:
        return self.exit_code is not None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[LocustProcess]:
        """Start Locust; on leaving (normally, on error or cancelled) make sure it is gone."""
        await self.start()
        try:
            yield self
        finally:
            await self.terminate()

    async def start(self) -> None:
        spec = self.spec
        spec.out_dir.mkdir(parents=True, exist_ok=True)
        self._log = spec.log_path.open("ab")
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *spec.command(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=self._log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # its own process group: we can kill all of it
                preexec_fn=die_with_parent,  # and it dies with us, even when we are SIGKILLed
                env={**os.environ, **(self._env or {})},
            )
        except OSError as exc:
            self._log.close()
            raise LoadError(f"cannot start Locust: {exc}") from None

    def read_lines(self) -> list[dict[str, Any]]:
        """Plugin lines written since the last call."""
        return self._tail.read()

    def write_control(self, control: Mapping[str, Any]) -> None:
        """Replace the control file atomically (the plugin re-reads it when it changes)."""
        path = self.spec.control_path
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(dict(control)), encoding="utf-8")
        os.replace(tmp, path)

    async def wait(self, within: float | None = None) -> int | None:
        """Wait for Locust to exit (at most ``within`` s); its exit code, or None."""
        if self._proc is None:
            return None
        try:
            async with asyncio.timeout(within):
                return await self._proc.wait()
        except TimeoutError:
            return None

    def exit_error(self, when: str) -> LoadError:
        """An error saying Locust exited by itself ``when`` ..., with its last output."""
        code = self.exit_code
        how = (
            f"was killed by signal {-code}"
            if code is not None and code < 0
            else (f"exited with code {code}")
        )
        return LoadError(f"Locust {how} {when}; its last output:\n{self.log_tail()}")

    async def stop(self, grace: float = GRACE_S) -> int | None:
        """Ask Locust to stop like ``--run-time`` does (reports written); then terminate."""
        self.stop_requested = True
        if self._proc is not None and not self.exited and self.spec.controlled:
            self.write_control({**self._control_now(), "stop": True})
            if await self.wait(grace) is not None:
                return self.exit_code
        await self.terminate()
        return self.exit_code

    def _control_now(self) -> dict[str, Any]:
        try:
            data = json.loads(self.spec.control_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    async def terminate(self) -> None:
        """SIGTERM, then SIGKILL to the whole process group; returns when none is left."""
        proc = self._proc
        if proc is None:
            return
        try:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
                await self.wait(GRACE_S)
        finally:
            # also when cancelled meanwhile: nothing of this run may outlive us
            self.signal_group(signal.SIGKILL)
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await self.wait(KILL_WAIT_S)
            # killed forked workers are re-parented to init and reaped by it: a moment
            await group_gone(proc.pid, KILL_WAIT_S)
            self.close_log()
