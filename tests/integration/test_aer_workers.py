"""Aer workers that die, run over or are handed costly circuits (issue 16, items 3 and 4)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from fake_backends.cloud import FakeCloud
from fake_backends.errors import WorkerDied, WorkTimeout
from fake_backends.executor import AerExecutor
from fake_backends.limits import WorkLimits
from fake_backends.queue import JobStatus
from fake_backends.scheduling import ServiceTime
from fake_backends.server import serve_cloud
from fake_backends.spec import BackendSpec
from fake_backends.workers import WorkerPool
from harness.load.circuits import circuit
from plumbing import virtual
from plumbing.clock import ScaledClock
from tests.processes import alive

LOOP = """OPENQASM 3.0;
include "stdgates.inc";
qubit[1] q; bit[1] c;
for int i in [0:%d] { x q[0]; }
c[0] = measure q[0];
"""

# Slow whatever the noise model: a measurement inside the loop makes Aer run every shot on
# its own (no single run to sample from). The plain LOOP above, at 20,000 x 20,000 shots,
# took ~1 min until each error became one Kraus channel, then ~2 s; this one at 2,000
# iterations took ~38 s on the same machine, and the test uses 10,000.
MEASURED_LOOP = """OPENQASM 3.0;
include "stdgates.inc";
qubit[1] q; bit[1] c;
for int i in [0:%d] { x q[0]; c[0] = measure q[0]; }
"""

NESTED = "\n".join(
    [
        'OPENQASM 3.0;\ninclude "stdgates.inc";',
        "gate g0 q { x q; x q; x q; x q; x q; x q; x q; x q; }",
        *(f"gate g{i} q {{ {' '.join([f'g{i - 1} q;'] * 8)} }}" for i in range(1, 9)),
        "qubit[1] q; bit[1] c;",
        "g8 q[0];",
        "c[0] = measure q[0];",
    ]
)

WHILE = """OPENQASM 3.0;
include "stdgates.inc";
qubit[1] q; bit[1] c;
c[0] = measure q[0];
while (c[0] == false) { h q[0]; c[0] = measure q[0]; }
"""


@asynccontextmanager
async def cloud_with(limits: WorkLimits | None = None) -> AsyncIterator[tuple[FakeCloud, str]]:
    """A fake cloud with Aer workers of its own (the tests kill them), and a token."""
    async with AerExecutor(workers=1, seed=5, limits=limits) as ex:
        cloud = FakeCloud(
            BackendSpec(name="manila", service_time=ServiceTime(0.5, 0.0)),
            clock=ScaledClock(100.0),
            executor=ex,
            seed=5,
        )
        async with serve_cloud(cloud), aiohttp.ClientSession() as http:
            async with http.post(cloud.url + "/v1/auth/token", json={"api_key": "key-manila"}) as r:
                token = (await r.json())["access_token"]
            yield cloud, token


def pool_of(cloud: FakeCloud) -> WorkerPool:
    assert isinstance(cloud.executor, AerExecutor)
    return cloud.executor.pool


async def submit(cloud: FakeCloud, token: str, qasm: str, shots: int = 100) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            cloud.url + "/v1/jobs",
            json={"circuit": qasm, "shots": shots},
            headers={"Authorization": f"Bearer {token}"},
        ) as resp:
            return resp.status, await resp.json()


async def health(cloud: FakeCloud) -> int:
    async with aiohttp.ClientSession() as http, http.get(cloud.url + "/healthz") as resp:
        return resp.status


async def test_a_killed_idle_worker_is_replaced_and_health_tells_the_truth():
    async with cloud_with() as (cloud, token):
        status, job = await submit(cloud, token, circuit("bell").qasm)
        assert status == 201
        await asyncio.wait_for(cloud.jobs[job["id"]].done.wait(), 30)
        (pid,) = pool_of(cloud).pids
        os.kill(pid, signal.SIGKILL)  # what the kernel's OOM killer does
        await asyncio.to_thread(_wait_gone, pid)
        assert await health(cloud) == 200  # replaced: really usable again
        status, job = await submit(cloud, token, circuit("ghz-3").qasm)  # a new prepare
        assert status == 201, job
        await asyncio.wait_for(cloud.jobs[job["id"]].done.wait(), 30)
        assert cloud.jobs[job["id"]].status is JobStatus.DONE
        assert pool_of(cloud).replaced == 1


async def test_a_job_whose_worker_is_killed_mid_run_is_rerun_and_the_pool_lives():
    async with cloud_with() as (cloud, token):
        status, job = await submit(cloud, token, MEASURED_LOOP % 2_000, shots=2000)  # ~4 s
        assert status == 201, job
        pool = pool_of(cloud)
        async with asyncio.timeout(30):
            while True:  # a worker process's state: nothing to await but its pipe
                if pool.busy_pids and cloud.jobs[job["id"]].status is JobStatus.RUNNING:
                    break
                await asyncio.sleep(0.01)
        os.kill(pool.busy_pids[0], signal.SIGKILL)  # the OOM killer, say
        await asyncio.wait_for(cloud.jobs[job["id"]].done.wait(), 60)
        assert cloud.jobs[job["id"]].status is JobStatus.DONE  # re-run on a fresh worker
        assert pool.replaced == 1
        status, job = await submit(cloud, token, circuit("bell").qasm)
        assert status == 201, job
        await asyncio.wait_for(cloud.jobs[job["id"]].done.wait(), 30)
        assert cloud.jobs[job["id"]].status is JobStatus.DONE


async def test_a_job_past_its_deadline_kills_its_worker_and_fails_clearly():
    # 3 s: the replacement worker's first call (its device and noise) fits on a busy machine
    async with cloud_with(WorkLimits(run_seconds=3.0)) as (cloud, token):
        t0 = time.monotonic()
        status, job = await submit(cloud, token, MEASURED_LOOP % 10_000, shots=20_000)
        assert status == 201, job
        await asyncio.wait_for(cloud.jobs[job["id"]].done.wait(), 30)
        assert time.monotonic() - t0 < 20
        slow = cloud.jobs[job["id"]]
        assert slow.status is JobStatus.ERROR
        assert "deadline" in (slow.error or "")
        assert pool_of(cloud).replaced == 1
        status, job = await submit(cloud, token, circuit("bell").qasm)
        assert status == 201
        await asyncio.wait_for(cloud.jobs[job["id"]].done.wait(), 30)
        assert cloud.jobs[job["id"]].status is JobStatus.DONE


async def test_a_call_whose_worker_dies_names_the_signal_and_the_pool_heals():
    async with AerExecutor(workers=1) as ex:
        with pytest.raises(WorkerDied, match="SIGKILL"):
            await ex.pool.run(_kill_myself, deadline=10)
        assert ex.healthy()
        assert ex.pool.replaced == 1


def test_the_deadline_is_wall_clock_even_when_the_loop_is_virtual():
    """Virtual time stands still while a call is outstanding: its deadline must not."""

    async def stuck_call() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        async with WorkerPool(1) as pool:
            t0 = time.monotonic()
            with pytest.raises(WorkTimeout, match="1 s deadline"):
                await pool.run(time.sleep, 60, deadline=1.0)
            wall = time.monotonic() - t0
            assert await pool.run(sum, (1, 2), deadline=10) == 3  # replaced, usable
            assert pool.replaced == 1
        return wall, loop.time()

    wall, virtual_now = virtual.run(stuck_call())
    assert 1.0 <= wall < 15
    assert virtual_now == 0.0  # real work costs no virtual time


@pytest.mark.parametrize(
    ("qasm", "words"),
    [
        (LOOP % 1_000_000_000, "too costly"),  # the 117-byte loop that never ended
        (NESTED, "too costly"),  # 8^9 x gates from a few hundred bytes
        (WHILE, "while loops"),
    ],
    ids=["for-loop", "nested-gates", "while-loop"],
)
async def test_costly_circuits_are_refused_at_once(executor, qasm, words):
    t0 = time.monotonic()
    with pytest.raises(ValueError, match=words):
        await executor.prepare("FakeManilaV2", "qasm3", qasm, seed=1)
    assert time.monotonic() - t0 < 10


def _kill_myself() -> None:
    os.kill(os.getpid(), signal.SIGKILL)  # runs in a worker


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not alive([pid]):
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} still alive")
