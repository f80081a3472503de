"""``exec_ratio``: jobs through the fake backend's HTTP API vs raw Aer in-process.

Numerator: N noisy GHZ-5 jobs (1,024 shots, FakeManilaV2) submitted over HTTP to a fake
cloud with unlimited slots and zero service time, until every result is fetched.
Denominator: the same N circuits run by raw Aer in this process in batches of 50.
Goal (issue 3): >= 0.7.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from fake_backends.client import NativeClient
from fake_backends.clock import ScaledClock
from fake_backends.cloud import BackendSpec, FakeCloud
from fake_backends.executor import AerExecutor
from fake_backends.queue import ServiceTime
from harness.circuits import circuit

DEVICE = "FakeManilaV2"


def _raw_aer(n: int, batch: int = 50) -> float:
    from qiskit import qasm3, transpile
    from qiskit_aer import AerSimulator
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    backend = FakeManilaV2()
    sim = AerSimulator.from_backend(backend)
    isa = transpile(qasm3.loads(circuit("ghz-5").qasm), backend, seed_transpiler=1)
    sim.run(isa, shots=1024).result()  # warm
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        sim.run([isa] * min(batch, n - start), shots=1024, seed_simulator=start).result()
    return n / (time.perf_counter() - t0)


async def _over_http(n: int) -> float:
    spec = BackendSpec(name="bench", slots=10_000, service_time=ServiceTime(0.0, 0.0))
    async with AerExecutor(seed=1) as ex:
        await ex.warm([DEVICE])
        async with (
            FakeCloud(spec, clock=ScaledClock(1.0), executor=ex).running() as cloud,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as http,
        ):
            api = NativeClient(http, cloud.url)
            token = (await api.authenticate("key-bench"))["access_token"]
            qasm = circuit("ghz-5").qasm
            await api.submit(token, circuit=qasm, shots=1024)  # warm the transpile cache
            t0 = time.perf_counter()
            jobs = await asyncio.gather(
                *(api.submit(token, circuit=qasm, shots=1024) for _ in range(n))
            )
            await asyncio.gather(*(cloud.jobs[j["id"]].done.wait() for j in jobs))
            await asyncio.gather(*(api.result(token, j["id"]) for j in jobs))
            return n / (time.perf_counter() - t0)


async def exec_ratio(jobs: int = 500) -> dict[str, Any]:
    http_rate = await _over_http(jobs)
    raw_rate = await asyncio.to_thread(_raw_aer, jobs)
    return {
        "jobs": jobs,
        "http_jobs_per_s": round(http_rate, 1),
        "raw_aer_jobs_per_s": round(raw_rate, 1),
        "exec_ratio": round(http_rate / raw_rate, 3),
        "goal": ">= 0.7",
    }
