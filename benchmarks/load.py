"""``locust_rps_vs_wrk`` and ``backend_cpu_share``: is Locust or the fake backend the limit?

One fake backend (in this process, as in a game day) serves ``GET /v1/jobs/{id}`` of
one finished job. Measured in the same run:

- **baseline**: wrk (Debian's ``wrk``; if absent, an aiohttp client loop in another
  process) against that URL for ``seconds``;
- **Locust**: one Locust process of FastHttpUsers with no think time (the SLI plugin
  counts the requests exactly), for the same time.

``locust_rps_vs_wrk`` = Locust's req/s / the baseline's. ``backend_cpu_share`` = CPU the
backend process used during the Locust run / wall time (1.0 = one core saturated: the
backend is single-threaded asyncio), next to ``generator_cpu_share`` for Locust: the
generator must be the one near 1.0. ``machine_idle_share`` (idle CPU of the whole
machine in that window) says whether other processes competed for the cores.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.rps import CONNECTIONS, loop_rps, wrk_rps
from fake_backends.cloud import FakeCloud
from fake_backends.executor import AerExecutor
from fake_backends.scheduling import ServiceTime
from fake_backends.server import serve_cloud
from fake_backends.spec import BackendSpec
from harness.load.circuits import circuit
from harness.load.driver import LocustProcess, LocustSpec
from plumbing.clock import ScaledClock
from plumbing.native_client import NativeClient

LOCUSTFILE = Path(__file__).resolve().parent / "locust_status.py"
_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def _machine_cpu() -> tuple[int, int]:
    """(idle, total) jiffies of all CPUs so far (Linux ``/proc/stat``)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return values[3] + values[4], sum(values)  # idle + iowait


async def _client_loop(url: str, token: str, seconds: float) -> float:
    """The fallback baseline: an aiohttp loop in another process (not ours: we serve)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.load", "--client", url, token, str(seconds),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await proc.communicate()
    return float(out.decode().strip())


async def _locust(url: str, path: str, token: str, seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-locust-") as tmp:
        spec = LocustSpec(
            LOCUSTFILE, Path(tmp), host=url, users=CONNECTIONS, spawn_rate=CONNECTIONS,
            run_time=seconds + 1, options={"status-path": path, "token": token},
        )  # fmt: skip
        lines: list[dict[str, Any]] = []
        async with LocustProcess(spec).running() as locust:
            while not any(line["type"] == "ready" for line in lines):
                lines += locust.read_lines()
                if locust.exited:
                    raise RuntimeError(locust.log_tail())
                await asyncio.sleep(0.05)
            assert locust.pid is not None
            cpu0, gen0, wall0 = time.process_time(), _cpu_seconds(locust.pid), time.monotonic()
            idle0, all0 = _machine_cpu()
            await asyncio.sleep(seconds)  # the measurement window itself
            cpu1, gen1, wall1 = time.process_time(), _cpu_seconds(locust.pid), time.monotonic()
            idle1, all1 = _machine_cpu()
            await locust.wait(seconds + 30)
            lines += locust.read_lines()
    seconds_seen = sorted(
        (line["start"], line["requests"]) for line in lines if line["type"] == "sli"
    )
    steady = seconds_seen[1:-1] or seconds_seen  # whole seconds only: not ramp-up or tail
    wall = wall1 - wall0
    return {
        "rps": sum(n for _, n in steady) / max(1, len(steady)),
        "backend_cpu_share": (cpu1 - cpu0) / wall,
        "generator_cpu_share": (gen1 - gen0) / wall,
        "machine_idle_share": (idle1 - idle0) / max(1, all1 - all0),
    }


async def load_figures(seconds: float = 5.0) -> dict[str, Any]:
    spec = BackendSpec(name="bench", slots=64, service_time=ServiceTime(0.0, 0.0))
    async with AerExecutor(1, seed=1) as ex:
        await ex.warm(["FakeManilaV2"])
        async with (
            serve_cloud(FakeCloud(spec, clock=ScaledClock(1.0), executor=ex)) as cloud,
            aiohttp.ClientSession() as http,
        ):
            api = NativeClient(http, cloud.url)
            token = (await api.authenticate("key-bench"))["access_token"]
            job = await api.submit(token, circuit=circuit("bell").qasm, shots=100)
            await cloud.jobs[job["id"]].done.wait()
            path = f"/v1/jobs/{job['id']}"
            url = cloud.url + path
            if shutil.which("wrk"):
                baseline, tool = await wrk_rps(url, token, seconds), "wrk"
            else:
                baseline, tool = await _client_loop(url, token, seconds), "aiohttp client loop"
            locust = await _locust(cloud.url, path, token, seconds)
    return {
        "endpoint": "GET /v1/jobs/{id}",
        "seconds": seconds,
        "baseline_tool": tool,
        "baseline_rps": round(baseline, 1),
        "locust_rps": round(locust["rps"], 1),
        "locust_rps_vs_wrk": round(locust["rps"] / baseline, 3),
        "backend_cpu_share": round(locust["backend_cpu_share"], 3),
        "generator_cpu_share": round(locust["generator_cpu_share"], 3),
        # near 0: other processes took the CPU too (a shared machine), read with care
        "machine_idle_share": round(locust["machine_idle_share"], 3),
        "bottleneck": (
            "generator"
            if locust["generator_cpu_share"] > locust["backend_cpu_share"]
            else "backend"
        ),
        "goal": "bottleneck == generator (backend_cpu_share < generator_cpu_share)",
    }


if __name__ == "__main__" and sys.argv[1:2] == ["--client"]:
    print(asyncio.run(loop_rps(sys.argv[2], sys.argv[3], float(sys.argv[4]))))  # noqa: T201
