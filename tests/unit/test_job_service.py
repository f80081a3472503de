"""The job rules every protocol shares (fake_backends.jobs), on a fake clock, no sockets."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from fake_backends.errors import CircuitRejected, JobRefused
from fake_backends.executor import PreparedCircuit
from fake_backends.jobs import JobRequest, JobService
from fake_backends.queue import JobStatus
from fake_backends.spec import BackendSpec
from fake_backends.switches import PendingJobsLimit
from plumbing.clock import FakeClock
from tests.unit.test_queue_model import rig

WIDE = PreparedCircuit(b"qpy", 30, 30, 3, tuple(range(30)), 30)


class Preparer:
    """Stands in for the Aer executor's ``prepare`` (counts calls; rejects 'bad')."""

    def __init__(self, prepared: PreparedCircuit) -> None:
        self.prepared = prepared
        self.calls = 0

    async def prepare(
        self, device: str, fmt: str, source: str, *, seed: int, isa: object = None
    ) -> PreparedCircuit:
        self.calls += 1
        await asyncio.sleep(0)
        if source == "bad":
            raise CircuitRejected("invalid qasm3 circuit: nope")
        return self.prepared


def service_for(cloud, preparer: Preparer) -> JobService:
    return JobService(
        cloud.spec,
        clock=FakeClock(),
        executor=preparer,  # type: ignore[arg-type]  # the rules call prepare() only
        queue=cloud.queue,
        on_event=cloud.emit,
        seed=1,
    )


def refusal(exc: pytest.ExceptionInfo[JobRefused]) -> tuple[int, str]:
    return exc.value.status, exc.value.code


def test_limits_are_checked_in_a_fixed_order_with_clear_codes():
    spec = BackendSpec(name="b", max_shots=100, max_circuit_bytes=10)
    nothing: Any = None  # the limits need neither a simulator nor a queue
    service = JobService(spec, clock=FakeClock(), executor=nothing, queue=nothing, on_event=print)
    cases: list[tuple[dict[str, Any], tuple[int, str]]] = [
        ({"chars": 11, "shots": 0}, (413, "circuit_too_large")),
        ({"chars": 1, "shots": 0}, (400, "invalid_field")),
        ({"chars": 1, "shots": 1, "key": "k" * 257}, (400, "invalid_field")),
        ({"chars": 1, "shots": 1, "tags": [1]}, (400, "invalid_field")),
        ({"chars": 1, "shots": 1, "priority": 11}, (400, "invalid_field")),
    ]
    for kwargs, expected in cases:
        with pytest.raises(JobRefused) as exc:
            service.check_limits(**kwargs)
        assert refusal(exc) == expected, kwargs
    service.check_limits(chars=10, shots=100, key="k" * 256, tags=["a"], priority=-10)


async def test_a_repeated_key_replays_without_preparing_again_unless_dedupe_is_off():
    async with rig(slots=1) as (cloud, *_):
        preparer = Preparer(PreparedCircuit(b"qpy", 2, 2, 3, (0, 1), 2))
        service = service_for(cloud, preparer)
        first = await service.submit(
            JobRequest("a", 10, "k1"), lambda: service.prepare_circuit("qasm3", "x")
        )
        again = await service.submit(
            JobRequest("a", 10, "k1"), lambda: service.prepare_circuit("qasm3", "x")
        )
        assert (first.replayed, again.replayed, again.job is first.job) == (False, True, True)
        assert preparer.calls == 1
        other_tenant = await service.submit(
            JobRequest("b", 10, "k1"), lambda: service.prepare_circuit("qasm3", "x")
        )
        assert other_tenant.job is not first.job
        # a protocol without idempotency: the key only labels the job for the ledger
        dup = await service.submit(
            JobRequest("a", 10, "k1", dedupe=False), lambda: service.prepare_circuit("qasm3", "x")
        )
        assert not dup.replayed
        assert dup.job is not first.job
        assert dup.job.idempotency_key == "k1"
        assert len(service.jobs) == 3


async def test_concurrent_submits_with_one_key_make_one_job():
    async with rig(slots=1) as (cloud, *_):
        service = service_for(cloud, Preparer(PreparedCircuit(b"qpy", 2, 2, 3, (0, 1), 2)))
        both = await asyncio.gather(
            *(
                service.submit(
                    JobRequest("a", 10, "same"), lambda: service.prepare_circuit("qasm3", "x")
                )
                for _ in range(2)
            )
        )
        assert both[0].job is both[1].job
        assert sorted(a.replayed for a in both) == [False, True]


async def test_rejected_and_too_wide_circuits_and_a_full_queue():
    async with rig(slots=1, max_depth=0, max_qubits=20) as (cloud, *_):
        service = service_for(cloud, Preparer(WIDE))
        with pytest.raises(JobRefused) as exc:
            await service.prepare_circuit("qasm3", "bad")
        assert refusal(exc) == (400, "invalid_circuit")
        with pytest.raises(JobRefused) as exc:
            await service.prepare_circuit("qasm3", "wide")
        assert refusal(exc) == (400, "too_many_qubits")
        service.spec = BackendSpec(name="q", max_qubits=40)
        with pytest.raises(JobRefused) as exc:
            await service.submit(JobRequest("a", 10), lambda: service.prepare_circuit("qasm3", "x"))
        assert refusal(exc) == (429, "queue_full")
        assert exc.value.retry_after is not None
        assert service.jobs == {}


async def test_lookup_cancel_and_result_rules():
    async with rig(slots=1) as (cloud, clock, _, _):
        service = service_for(cloud, Preparer(PreparedCircuit(b"qpy", 2, 2, 3, (0, 1), 2)))
        running = (
            await service.submit(JobRequest("a", 10), lambda: service.prepare_circuit("q", "x"))
        ).job
        queued = (
            await service.submit(JobRequest("a", 10), lambda: service.prepare_circuit("q", "x"))
        ).job
        for _ in range(10):
            await asyncio.sleep(0)
        assert service.lookup("a", queued.id) is queued
        with pytest.raises(JobRefused) as exc:
            service.lookup("b", queued.id)  # another tenant's job is as unknown as none
        assert refusal(exc) == (404, "job_not_found")
        with pytest.raises(JobRefused) as exc:
            service.require_result(queued)
        assert refusal(exc) == (409, "job_not_finished")
        with pytest.raises(JobRefused) as exc:
            service.cancel(running)
        assert refusal(exc) == (409, "job_not_cancellable")
        service.cancel(queued)
        assert queued.status is JobStatus.CANCELLED
        with pytest.raises(JobRefused) as exc:
            service.require_result(queued)
        assert refusal(exc) == (409, "job_cancelled")
        await clock.advance(10)
        for _ in range(10):
            await asyncio.sleep(0)
        service.require_result(running)
        assert running.result_fetched


async def test_the_pending_jobs_limit_counts_a_tenants_unfinished_jobs():
    async with rig(slots=1) as (cloud, clock, _, _):
        service = service_for(cloud, Preparer(PreparedCircuit(b"qpy", 2, 2, 3, (0, 1), 2)))
        cloud.control.set(PendingJobsLimit(2))
        for _ in range(2):
            await service.submit(JobRequest("a", 10), lambda: service.prepare_circuit("q", "x"))
        with pytest.raises(JobRefused) as exc:
            await service.submit(JobRequest("a", 10), lambda: service.prepare_circuit("q", "x"))
        assert refusal(exc) == (429, "pending_jobs_limit")
        assert "limit of 2 pending jobs" in exc.value.message
        other = await service.submit(JobRequest("b", 10), lambda: service.prepare_circuit("q", "x"))
        assert not other.replayed  # the limit is per tenant
        await clock.advance(10)  # the first job finishes: room for one more
        for _ in range(10):
            await asyncio.sleep(0)
        await service.submit(JobRequest("a", 10), lambda: service.prepare_circuit("q", "x"))
