"""A protocol's jobs/s against the native API's, in adjacent pairs of phases (same run).

What ``ibm_ratio`` and ``ionq_ratio`` share (see :mod:`benchmarks.ibm` for why pairs
and medians): the same N noisy GHZ-5 jobs (1,024 shots, FakeManilaV2) on one fake cloud
with unlimited slots and zero service time, driven by 64 concurrent aiohttp clients that
submit every job and then fetch every result; four phases per protocol, in the pairs
(native, P), (P, native), (native, P), (P, native). A protocol module brings the body its
SDK sends and a :data:`Run` that drives N jobs through its routes. ``exec_ratio``
(:mod:`benchmarks.execution`) drives its native jobs with the same loop.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

from fake_backends.cloud import FakeCloud
from fake_backends.executor import AerExecutor
from fake_backends.scheduling import ServiceTime
from fake_backends.server import serve_cloud
from fake_backends.spec import BackendSpec
from harness.load.circuits import circuit
from plumbing.clock import ScaledClock
from plumbing.native_client import NativeClient

__all__ = [
    "CLIENTS",
    "DEVICE",
    "SHOTS",
    "SPEC",
    "Paired",
    "Run",
    "drive",
    "jobs_per_second",
    "native_calls",
    "paired_rates",
    "post_job",
]

DEVICE = "FakeManilaV2"
CLIENTS = 64
SHOTS = 1024
SPEC = BackendSpec(name="bench", slots=10_000, service_time=ServiceTime(0.0, 0.0))

Submit = Callable[[], Awaitable[str]]
Fetch = Callable[[str], Awaitable[object]]
Headers = dict[str, str]
#: jobs/s of n jobs through one protocol: (n, cloud, session, the SDK's body) -> rate
Run = Callable[[int, FakeCloud, aiohttp.ClientSession, bytes], Awaitable[float]]


@dataclass(frozen=True, slots=True)
class Paired:
    """The figures of :func:`paired_rates` for ``protocol`` against ``native``."""

    jobs_per_s: dict[str, float]  # over all four phases of each
    ratios: list[float]  # the protocol's jobs/s / native jobs/s, per pair
    cpu_seconds: dict[str, float]  # the harness process and its Aer workers

    def ratio(self) -> float:
        """The median of the pairs' ratios: a load spike spoils one pair, not the figure."""
        return statistics.median(self.ratios)


def cpu_seconds(ex: AerExecutor) -> float:
    """CPU seconds used so far by this process and the executor's live workers."""
    total = time.process_time()
    tick = os.sysconf("SC_CLK_TCK")
    for pid in ex.pool.pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # a worker replaced meanwhile: its time is lost to both sides
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


async def drive(n: int, cloud: FakeCloud, submit: Submit, fetch: Fetch) -> float:
    """Jobs/s of n submissions then n result fetches by CLIENTS concurrent clients,
    after one job to warm up (:func:`jobs_per_second`)."""
    first = await submit()  # warm: decode / transpile, noise, result assembly
    await cloud.jobs[first].done.wait()
    await fetch(first)
    return await jobs_per_second(n, cloud, submit, fetch)


async def jobs_per_second(n: int, cloud: FakeCloud, submit: Submit, fetch: Fetch) -> float:
    """Jobs/s of n submissions, then n result fetches, by CLIENTS concurrent clients.

    CLIENTS, like the connection limit: a burst of n tasks would stall the loop on the
    client side, which is not what is measured.
    """
    t0 = time.perf_counter()
    ids: list[str] = []
    todo = iter(range(n))  # shared: each client takes the next job number

    async def submitter() -> None:
        for _ in todo:
            ids.append(await submit())

    async def fetcher(mine: list[str]) -> None:
        for job_id in mine:
            await cloud.jobs[job_id].done.wait()
            await fetch(job_id)

    await asyncio.gather(*(submitter() for _ in range(CLIENTS)))
    await asyncio.gather(*(fetcher(ids[i::CLIENTS]) for i in range(CLIENTS)))
    return n / (time.perf_counter() - t0)


def native_calls(api: NativeClient, token: str) -> tuple[Submit, Fetch]:
    """Submit a GHZ-5 job of SHOTS shots, fetch a result: through the native client."""
    qasm = circuit("ghz-5").qasm

    async def submit() -> str:
        return str((await api.submit(token, circuit=qasm, shots=SHOTS))["id"])

    async def fetch(job_id: str) -> object:
        return await api.result(token, job_id)

    return submit, fetch


def post_job(http: aiohttp.ClientSession, jobs_url: str, body: bytes, headers: Headers) -> Submit:
    """Submit by POSTing ``body`` to a protocol's ``jobs_url`` (accepted: the job's id)."""

    async def submit() -> str:
        async with http.post(jobs_url, data=body, headers=headers) as resp:
            assert resp.status == 200, await resp.text()
            return str((await resp.json())["id"])

    return submit


async def _native(n: int, cloud: FakeCloud, http: aiohttp.ClientSession, _: bytes) -> float:
    api = NativeClient(http, cloud.url)
    token = (await api.authenticate("key-bench"))["access_token"]
    return await drive(n, cloud, *native_calls(api, token))


async def paired_rates(protocol: str, run: Run, body: bytes, jobs: int) -> Paired:
    """``jobs`` jobs per phase through ``protocol`` (``run``, posting ``body``) and the
    native API, in four adjacent pairs; a fresh cloud per phase, one Aer executor."""
    pairs = [("native", protocol), (protocol, "native")] * 2
    async with AerExecutor(seed=1) as ex:
        await ex.warm([DEVICE])
        seconds = {"native": 0.0, protocol: 0.0}
        cpu = {"native": 0.0, protocol: 0.0}
        ratios = []
        for pair in pairs:
            rate = {}
            for name in pair:
                phase = _native if name == "native" else run
                cloud = FakeCloud(SPEC, clock=ScaledClock(1.0), executor=ex)
                async with (
                    serve_cloud(cloud),
                    aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS)) as http,
                ):
                    cpu0 = cpu_seconds(ex)
                    rate[name] = await phase(jobs, cloud, http, body)
                    cpu[name] += cpu_seconds(ex) - cpu0
                seconds[name] += jobs / rate[name]
            ratios.append(rate[protocol] / rate["native"])
    rates = {p: len(pairs) * jobs / s for p, s in seconds.items()}
    return Paired(rates, ratios, cpu)
