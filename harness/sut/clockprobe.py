"""Check, before a game day, that a SUT started under libfaketime really runs at the rate.

Two checks, both a configuration error (exit 3) with the reason and the remedy:

- :func:`check_rate`: a probe process started with the SUT's own environment (the same
  ``LD_PRELOAD`` and ``FAKETIME``) must see the scenario's rate within 2% on every clock
  a SUT uses: ``CLOCK_MONOTONIC`` and ``CLOCK_REALTIME`` reads, a ``nanosleep``, an
  ``epoll`` timeout (asyncio) and a lock wait with a timeout (threads). The harness
  brackets each probe answer with its own wall clock; a pipe round trip costs ~0.1 ms
  against windows of ~0.25 s, and a noisy try is repeated before it counts.
- :func:`unscaled_processes`: once the SUT is up, every process of its group must have
  libfaketime mapped. A statically linked binary (Go's default) reads the clock without
  libc and a wrapper that strips ``LD_PRELOAD`` escapes it: their timers would run at 1x
  while the fakes run at 40x, and every figure of the game day would be wrong.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.errors import ConfigError

__all__ = ["ClockReport", "check_rate", "measure_rate", "unscaled_processes"]

TOLERANCE = 0.02
WINDOW_S = 0.25  # wall seconds per measurement
TRIES = 3
SKIP_WAITS = 0.5  # a clock off by more than this is broken, not noisy: no retry
STUCK_FACTOR = 4.0  # a wait taking this many times its expected wall time is unscaled
PROBE_TIMEOUT_S = 20.0
REMEDY = (
    "run the scenario at time_scale: 1 (the SUT then keeps real time), or make the SUT a "
    "dynamically linked program that reads the clock through libc"
)

# The probe: answers one line per request on stdin; imports nothing heavy (fast start).
_PROBE = """
import selectors, sys, threading, time
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    if cmd == "now":
        print(time.monotonic(), time.time(), flush=True)
        continue
    d = float(arg)
    t = time.monotonic()
    if cmd == "sleep":
        time.sleep(d)
    elif cmd == "poll":
        selectors.DefaultSelector().select(d)
    elif cmd == "wait":
        threading.Event().wait(d)
    print(time.monotonic() - t, flush=True)
"""


@dataclass(frozen=True, slots=True)
class ClockReport:
    """Measured rates (fake seconds per wall second) of a probe process, per clock use."""

    expected: float
    rates: Mapping[str, float]

    @property
    def worst(self) -> tuple[str, float]:
        """The use whose rate is furthest from the expected one, and its relative error."""
        name = max(self.rates, key=lambda k: abs(self.rates[k] / self.expected - 1))
        return name, self.rates[name] / self.expected - 1

    def ok(self, tolerance: float = TOLERANCE) -> bool:
        return abs(self.worst[1]) <= tolerance

    def describe(self) -> str:
        parts = ", ".join(f"{k} {v:.2f}x" for k, v in self.rates.items())
        return f"expected {self.expected:g}x; measured {parts}"


async def measure_rate(
    env: Mapping[str, str],
    expected: float,
    *,
    cwd: Path | None = None,
    argv: Sequence[str] | None = None,
) -> ClockReport:
    """Start a probe process with ``env`` and measure its clocks' rates against the wall.

    ``argv`` replaces the probe command (it must speak the probe's line protocol; the
    default is this Python's interpreter running the probe).
    """
    cmd = list(argv) if argv is not None else [sys.executable, "-I", "-S", "-c", _PROBE]
    try:
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env),
            cwd=cwd,
        )
    except OSError as exc:
        raise ConfigError(f"cannot start the clock probe {cmd[0]}: {exc}") from None
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            return await _measure(proc, expected)
    except TimeoutError:
        raise ConfigError(
            f"the clock probe did not answer within {PROBE_TIMEOUT_S:g}s: its waits do not "
            f"end at {expected:g}x; {REMEDY}"
        ) from None
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


_Ask = Callable[[str], Awaitable[tuple[float, list[float]]]]


async def _measure(proc: asyncio.subprocess.Process, expected: float) -> ClockReport:

    async def ask(line: str) -> tuple[float, list[float]]:
        """Send a request; (mid-point of the harness's wall clock around it, answer)."""
        t0 = time.perf_counter()
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write(line.encode() + b"\n")
        await proc.stdin.drain()
        raw = await proc.stdout.readline()
        t1 = time.perf_counter()
        if not raw:
            err = b""
            if proc.stderr is not None:
                err = await proc.stderr.read()
            raise ConfigError(f"the clock probe exited: {err.decode(errors='replace')[-500:]}")
        return (t0 + t1) / 2, [float(x) for x in raw.split()]

    await ask("now")  # the first answer waits for the interpreter to start: not timed
    best: ClockReport | None = None
    for _ in range(TRIES):
        w1, (m1, r1) = await ask("now")
        await asyncio.sleep(WINDOW_S)
        w2, (m2, r2) = await ask("now")
        rates = {"monotonic": (m2 - m1) / (w2 - w1), "realtime": (r2 - r1) / (w2 - w1)}
        if ClockReport(expected, rates).ok(SKIP_WAITS):
            for kind in ("sleep", "poll", "wait"):
                rates[kind] = await _timed_wait(ask, kind, expected)
                if not ClockReport(expected, rates).ok(SKIP_WAITS):
                    break  # the probe may be stuck in an unscaled wait: stop here
        report = ClockReport(expected, rates)
        if best is None or abs(report.worst[1]) < abs(best.worst[1]):
            best = report
        if report.ok() or not report.ok(SKIP_WAITS):
            break
    assert best is not None
    return best


async def _timed_wait(ask: _Ask, kind: str, expected: float) -> float:
    """The rate of one wait of ``kind``; at most its wall time when it takes too long."""
    fake = WINDOW_S * expected
    t0 = time.perf_counter()
    try:
        async with asyncio.timeout(WINDOW_S * STUCK_FACTOR):
            _, (measured,) = await ask(f"{kind} {fake:.6f}")
    except TimeoutError:
        return fake / (time.perf_counter() - t0)  # an upper bound: it is still waiting
    return measured / (time.perf_counter() - t0)


async def check_rate(
    env: Mapping[str, str], expected: float, *, cwd: Path | None = None
) -> ClockReport:
    """:func:`measure_rate`, raising ConfigError (exit 3) when a rate is off by over 2%."""
    report = await measure_rate(env, expected, cwd=cwd)
    if not report.ok():
        name, error = report.worst
        raise ConfigError(
            f"a process under the SUT's environment does not run at {expected:g}x: "
            f"{report.describe()} ({name} off by {error:+.1%}, tolerance {TOLERANCE:.0%}); "
            f"libfaketime is not working here. {REMEDY}"
        )
    return report


def unscaled_processes(pids: Sequence[int]) -> list[str]:
    """A description of each process among ``pids`` that has no libfaketime mapped."""
    out = []
    for pid in pids:
        try:
            maps = Path(f"/proc/{pid}/maps").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue  # gone meanwhile
        if "libfaketime" in maps:
            continue
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            exe = "?"
        if "LD_PRELOAD=" not in _environ(pid):
            why = "its environment has no LD_PRELOAD (a wrapper stripped it)"
        else:
            why = "it does not load libfaketime (a static binary reads the clock without libc)"
        out.append(f"pid {pid} ({exe}): {why}")
    return out


def _environ(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    except OSError:
        return ""
