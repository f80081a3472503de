"""The queue model on a fake clock: slots, service time, priorities, fair share, stalls,
maintenance, evictions, background load and result faults. Nothing sleeps."""

from __future__ import annotations

import asyncio
import random
import statistics
from contextlib import asynccontextmanager
from typing import Any

import pytest

from fake_backends.calibration import Calibration, Factors, GateCal, QubitCal
from fake_backends.cloud import FakeCloud
from fake_backends.errors import QueueFull
from fake_backends.executor import PreparedCircuit, RunOutput
from fake_backends.limits import WorkLimits
from fake_backends.queue import BackendJob, JobStatus
from fake_backends.scheduling import ServiceTime
from fake_backends.spec import BackendSpec, LoadSpec, MaintenanceWindow
from fake_backends.switches import (
    CorruptResults,
    JobFailures,
    Outage,
    PartialResults,
    PendingJobsLimit,
    QueueLimit,
    RunningWithoutQpu,
    Saturation,
    SessionTtl,
    Slowdown,
    Stall,
    StuckQueued,
    UsageLimit,
)
from plumbing.clock import FakeClock
from plumbing.serve import background
from tests.conftest import Events

CIRCUIT = PreparedCircuit(b"qpy", 2, 2, 3, (0, 1), 2)
TINY = Calibration(
    "FakeTiny",
    2,
    (QubitCal(1e-4, 1e-4, 5e9, 0.02, 0.01, 0.015),) * 2,
    (GateCal("cx", (0, 1), 0.01, 3e-7),),
)


class FakeRunner:
    """Answers every circuit at once with fixed counts (the queue model is under test).

    The rest of the :class:`~fake_backends.cloud.Simulator` protocol is never called
    here: jobs are queued directly, the device is loaded by hand.
    """

    batches_run = 0
    limits = WorkLimits()

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def batches_of(self, owner: str) -> int:
        return 0

    async def describe(self, device: str) -> dict[str, Any]:
        raise NotImplementedError

    async def warm_noise(self, calibration: Calibration) -> None:
        raise NotImplementedError

    async def prepare(
        self, device: str, fmt: str, source: str, *, seed: int, isa: object = None
    ) -> PreparedCircuit:
        raise NotImplementedError

    def healthy(self) -> bool:
        return True

    async def call_in(self, module: str, op: str, *args: Any, deadline: Any = None) -> Any:
        raise NotImplementedError

    async def memo(self, key: str, make: Any) -> Any:
        raise NotImplementedError

    def submit(
        self, calibration, circuit, shots, *, memory=False, seed=None, packed=False, owner=None
    ):
        self.calls.append((calibration.version, shots))
        fut = asyncio.get_running_loop().create_future()
        half = shots // 2
        fut.set_result(RunOutput({"00": half, "11": shots - half}))
        return fut


@asynccontextmanager
async def rig(**spec):
    clock = FakeClock()
    events = Events()
    runner = FakeRunner()
    spec.setdefault("service_time", ServiceTime(10.0, 0.0))
    cloud = FakeCloud(
        BackendSpec(name="q", **spec), clock=clock, executor=runner, on_event=events, seed=5
    )
    cloud.calibration.load(TINY)
    async with background(*cloud.tasks()):
        await settle()  # let every task reach its first wait before time moves
        yield cloud, clock, events, runner


_n = iter(range(10**9))


def job(tenant: str = "a", priority: int = 0, shots: int = 100, key: str | None = None):
    n = next(_n)
    return BackendJob(f"j{n}", tenant, shots, CIRCUIT, 0.0, key or f"k{n}", priority=priority)


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def queued(cloud: FakeCloud, n: int) -> list[BackendJob]:
    """``n`` jobs submitted in order, once the dispatcher has taken what it can."""
    jobs = [job() for _ in range(n)]
    for j in jobs:
        cloud.queue.submit(j)
    await settle()
    return jobs


async def test_slots_service_time_positions_and_estimated_start():
    async with rig(slots=1) as (cloud, clock, events, _):
        a, b, c = await queued(cloud, 3)
        assert a.status is JobStatus.RUNNING
        assert cloud.queue.position(b) == (1, 10.0)
        assert cloud.queue.position(c) == (2, 20.0)
        await clock.advance(10)
        await settle()
        assert a.status is JobStatus.DONE
        assert b.status is JobStatus.RUNNING
        assert cloud.queue.position(c) == (1, 20.0)
        (execution,) = events.of("backend.execution")
        assert (execution["idempotency_key"], execution["qpu_s"]) == (a.idempotency_key, 10.0)


async def test_higher_priority_goes_first_and_fair_share_interleaves_tenants():
    async with rig(slots=1) as (cloud, clock, _, _):
        first = job("a")
        cloud.queue.submit(first)
        await settle()
        a2, a3, b1, urgent = job("a"), job("a"), job("b"), job("c", priority=5)
        for j in (a2, a3, b1, urgent):
            cloud.queue.submit(j)
        order = []
        for _ in range(4):
            await clock.advance(10)
            await settle()
            order += [j for j in (a2, a3, b1, urgent) if j.status is JobStatus.RUNNING]
        assert order == [urgent, b1, a2, a3]


async def test_without_fair_share_jobs_run_in_arrival_order():
    async with rig(slots=1, fair_share=False) as (cloud, clock, _, _):
        jobs = [job("a"), job("a"), job("b")]
        for j in jobs:
            cloud.queue.submit(j)
        starts = []
        for _ in range(3):
            await settle()
            starts += [j for j in jobs if j.status is JobStatus.RUNNING]
            await clock.advance(10)
        assert starts == jobs


async def test_max_depth_raises_queue_full_with_a_retry_after():
    async with rig(slots=1, max_depth=1) as (cloud, _, _, _):
        cloud.queue.submit(job())
        await settle()
        cloud.queue.submit(job())
        with pytest.raises(QueueFull) as info:
            cloud.queue.submit(job())
        assert info.value.retry_after >= 10.0


async def test_stall_stops_dispatch_silently_and_revert_resumes():
    async with rig(slots=1) as (cloud, clock, _, _):
        cloud.control.set(Stall())
        j = job()
        cloud.queue.submit(j)
        await clock.advance(100)
        assert j.status is JobStatus.QUEUED
        assert cloud.queue.position(j) == (1, None)  # no estimate while nothing moves
        assert cloud.switches.status == "online"
        cloud.control.clear(Stall)
        await settle()
        assert j.status is JobStatus.RUNNING


async def test_maintenance_reject_refuses_submissions_and_hold_keeps_them():
    async with rig(slots=1) as (cloud, clock, events, _):
        cloud.control.set_maintenance("m", "reject")
        refusal = cloud.control.admit("submit", "a")
        assert (refusal.status, refusal.code) == (503, "backend_maintenance")
        assert cloud.control.admit("status", "a") is None
        cloud.control.set_maintenance("m", "hold")
        assert cloud.control.admit("submit", "a") is None
        j = job()
        cloud.queue.submit(j)
        await clock.advance(50)
        assert (j.status, cloud.switches.status) == (JobStatus.QUEUED, "maintenance")
        cloud.control.set_maintenance("m", None)
        await settle()
        assert j.status is JobStatus.RUNNING
        switches = [e["switch"] for e in events.of("backend.switch")]
        assert switches == ["maintenance", "maintenance", "maintenance"]


async def test_outage_is_offline_and_rejects_submissions():
    async with rig() as (cloud, _, _, _):
        cloud.control.set(Outage())
        cloud.control.set(Outage())  # idempotent
        assert cloud.switches.status == "offline"
        assert cloud.control.admit("submit", "a").status == 503
        cloud.control.clear(Outage)
        assert cloud.control.admit("submit", "a") is None


async def test_eviction_cancels_queued_jobs_with_a_reason():
    async with rig(slots=1) as (cloud, _, events, _):
        running, q1, q2 = await queued(cloud, 3)
        assert cloud.control.evict(1.0, "calibration") == 2
        assert running.status is JobStatus.RUNNING
        assert {q1.status, q2.status} == {JobStatus.CANCELLED}
        assert q1.error_code == "evicted"
        assert "calibration" in (q1.error or "")
        (event,) = events.of("backend.jobs_evicted")
        assert set(event["idempotency_keys"]) == {q1.idempotency_key, q2.idempotency_key}


async def test_slowdown_multiplies_service_time():
    async with rig(slots=1) as (cloud, _, _, _):
        cloud.control.set(Slowdown(3.0))
        j = job()
        cloud.queue.submit(j)
        await settle()
        assert j.qpu_seconds == pytest.approx(30.0)


def test_a_setting_of_one_level_is_journalled_as_that_number():
    """``backend.switch``'s value for a factor, a rate or a limit: the number alone."""
    assert Slowdown(3.0).journal() == 3.0
    assert Saturation(rate=2.0, shots=10).journal() == 2.0
    assert QueueLimit(max_depth=0).journal() == 0
    assert PendingJobsLimit(max_pending=4).journal() == 4
    assert SessionTtl(max_ttl=60.0).journal() == 60.0


def test_service_time_distribution_is_seeded_and_has_the_asked_mean():
    st = ServiceTime(2.0, 0.001, cv=0.5)
    a = [st.sample(1000, random.Random(1)) for _ in range(1)]
    b = [st.sample(1000, random.Random(1)) for _ in range(1)]
    assert a == b
    rng = random.Random(7)
    samples = [st.sample(1000, rng) for _ in range(4000)]
    assert statistics.mean(samples) == pytest.approx(3.0, rel=0.05)
    assert statistics.stdev(samples) / 3.0 == pytest.approx(0.5, rel=0.15)
    assert ServiceTime(2.0, 0.001).sample(1000, rng) == 3.0


async def test_background_load_is_poisson_and_saturation_raises_it():
    spec = {"slots": 1000, "background": LoadSpec(rate=1.0, shots=10)}
    async with rig(**spec, service_time=ServiceTime(0.5, 0.0)) as (cloud, clock, _, runner):
        for _ in range(200):
            await clock.advance(1)
        base = cloud.background.submitted
        assert 150 < base < 250
        cloud.control.set(Saturation(4.0))
        assert cloud.background.rate == 5.0
        for _ in range(200):
            await clock.advance(1)
        assert 800 < cloud.background.submitted - base < 1200
        assert runner.calls == []  # other tenants' jobs are never simulated
        cloud.control.clear(Saturation)
        assert cloud.background.rate == 1.0


async def test_job_failures_partial_results_and_corruption():
    async with rig(slots=4, service_time=ServiceTime(1.0, 0.0)) as (cloud, clock, events, _):
        cloud.control.set(JobFailures(1.0, "qpu_fault"))
        failed = job()
        cloud.queue.submit(failed)
        await settle()
        await clock.advance(1)
        assert (failed.status, failed.error_code) == (JobStatus.ERROR, "qpu_fault")
        cloud.control.clear(JobFailures)
        cloud.control.set(PartialResults(1.0, keep=0.25, silent=False))
        partial = job(shots=400)
        cloud.queue.submit(partial)
        await settle()
        await clock.advance(1)
        assert sum(partial.counts.values()) == partial.shots_returned == 100
        assert partial.partial
        cloud.control.clear(PartialResults)
        cloud.control.set(CorruptResults(1.0, "bitflip"))
        flipped = job(shots=10)
        cloud.queue.submit(flipped)
        await settle()
        await clock.advance(1)
        assert set(flipped.counts) & {"00", "11"} == set()
        cloud.control.set(CorruptResults(1.0, "swap"))
        x, y = job(shots=10), job(shots=30)
        cloud.queue.submit(x)
        await settle()
        await clock.advance(1)
        cloud.queue.submit(y)
        await settle()
        await clock.advance(1)
        assert sum(x.counts.values()) == 30
        assert sum(y.counts.values()) == 10
        kinds = [e["status"] for e in events.of("backend.execution")]
        assert kinds == ["ERROR", "DONE", "DONE", "DONE", "DONE"]
        (swap,) = [e for e in events.of("backend.result_corrupted") if e["mode"] == "swap"]
        assert {swap["idempotency_key"], swap["with_idempotency_key"]} == {
            x.idempotency_key,
            y.idempotency_key,
        }


async def test_jobs_run_with_the_calibration_current_when_they_start():
    async with rig(slots=1, service_time=ServiceTime(1.0, 0.0)) as (cloud, clock, _, runner):
        cloud.queue.submit(job())
        await settle()
        cloud.control.recalibrate()
        cloud.queue.submit(job())
        await clock.advance(2)
        assert [v for v, _ in runner.calls] == [0, 1]


async def test_scheduled_maintenance_windows_come_and_go_on_the_clock():
    window = MaintenanceWindow(at=100.0, duration=50.0, mode="reject")
    async with rig(maintenance=(window,)) as (cloud, clock, events, _):
        await clock.advance(99)
        assert cloud.switches.status == "online"
        await clock.advance(2)
        assert cloud.switches.status == "maintenance"
        assert cloud.control.admit("submit", "a").code == "backend_maintenance"
        await clock.advance(50)
        assert cloud.switches.status == "online"
        values = [e["value"] for e in events.of("backend.switch")]
        assert values == [{"scheduled-1": "reject"}, {}]


async def test_drift_effects_are_stepped_by_the_backend_once_per_step():
    async with rig(calibration_step=10.0) as (cloud, clock, events, _):
        cloud.control.add_drift("d", Factors(readout=2.0), ramp=30.0)
        for _ in range(6):
            await clock.advance(10)
        versions = [e["version"] for e in events.of("backend.calibration")]
        assert versions == [1, 2, 3]  # the ramp moved for 3 steps, then stopped
        assert cloud.calibration.current.qubits[0].readout_error == pytest.approx(0.03)


async def test_over_its_usage_limit_a_tenants_jobs_just_wait_then_run():
    async with rig(slots=1, background=LoadSpec(rate=0.5, shots=10)) as (cloud, clock, _, _):
        cloud.control.set(UsageLimit())
        held = [job(), job()]
        for j in held:
            cloud.queue.submit(j)
        await clock.advance(100)
        assert [j.status for j in held] == [JobStatus.QUEUED] * 2
        assert [cloud.queue.position(j) for j in held] == [(None, None)] * 2
        assert cloud.queue.background_done > 0  # other tenants' jobs still run
        assert cloud.queue.depth >= 2
        cloud.control.clear(UsageLimit)
        await settle()
        for _ in range(5):
            await clock.advance(10)
            await settle()
        assert [j.status for j in held] == [JobStatus.DONE] * 2
        assert held[0].started_at < held[1].started_at  # arrival order kept


async def test_running_without_qpu_time_holds_the_slot_until_cleared():
    async with rig(slots=1, service_time=ServiceTime(10.0, 0.0)) as (cloud, clock, events, run):
        cloud.control.set(RunningWithoutQpu())
        hung, behind = job(), job()
        cloud.queue.submit(hung)
        cloud.queue.submit(behind)
        await settle()
        await clock.advance(100)
        assert (hung.status, hung.qpu_seconds, behind.status) == (
            JobStatus.RUNNING,
            0.0,
            JobStatus.QUEUED,
        )
        assert run.calls == []  # nothing simulated: no QPU time used
        assert events.of("backend.job_hung")
        cloud.control.clear(RunningWithoutQpu)
        await settle()
        await clock.advance(10)
        await settle()
        assert (hung.status, hung.qpu_seconds) == (JobStatus.DONE, 10.0)
        (execution,) = events.of("backend.execution")
        assert execution["started"] == 0.0  # when it said RUNNING, not when QPU time began


async def test_stuck_jobs_never_leave_queued_but_can_be_cancelled():
    async with rig(slots=2) as (cloud, clock, events, _):
        cloud.control.set(StuckQueued(1.0))
        stuck = job()
        cloud.queue.submit(stuck)
        cloud.control.clear(StuckQueued)
        later = job()
        cloud.queue.submit(later)
        for _ in range(3):
            await clock.advance(10)
            await settle()
        assert (stuck.status, later.status) == (JobStatus.QUEUED, JobStatus.DONE)
        assert cloud.queue.position(stuck) == (None, None)
        assert cloud.queue.depth == 1
        assert [e["job"] for e in events.of("backend.job_stuck")] == [stuck.id]
        assert cloud.queue.cancel(stuck)
        assert (stuck.status, cloud.queue.depth) == (JobStatus.CANCELLED, 0)
