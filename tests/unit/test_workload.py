"""The built-in workload on a fake clock against a fake job API: Poisson arrivals drawn
from the seed, every step of every job journalled, the drain deadline respected."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from harness.errors import SutError
from harness.journal.store import Journal
from harness.load.config import WorkloadConfig
from harness.load.workload import Workload
from harness.sut.api import JobState
from plumbing.clock import FakeClock

CONFIG = WorkloadConfig(rate=0.5, circuits=("bell", "canary-3"), shots=100, poll_interval=5.0)


class FakeJobApi:
    """The job API of a SUT, in memory: refuses, times out or completes as told."""

    def __init__(self, *, refuse: dict[int, int] | None = None, polls: int = 2) -> None:
        self.refuse = refuse or {}  # n-th submit (1-based) -> status of its SutError
        self.polls = polls  # status calls before a job completes (0: never)
        self.submitted: list[str] = []
        self.asked: dict[str, int] = {}

    async def submit(
        self, *, circuit: str, shots: int, key: str, tenant: str, fmt: str = "qasm3"
    ) -> str:
        self.submitted.append(key)
        if (status := self.refuse.get(len(self.submitted))) is not None:
            raise SutError(status, "refused" if status else "timed out")
        return f"sut-{key}"

    async def status(self, job_id: str) -> JobState:
        self.asked[job_id] = self.asked.get(job_id, 0) + 1
        if self.polls and self.asked[job_id] >= self.polls:
            return JobState("completed", {"00": 50, "11": 50})
        return JobState("pending", raw="running")


@pytest.fixture
def rig(clocked: tuple[FakeClock, Journal]) -> tuple[FakeClock, Journal]:
    return clocked


async def play(
    clock: FakeClock, workload: Workload, submit_until: float, drain_until: float
) -> None:
    run = asyncio.create_task(workload.run(submit_until, drain_until))
    await clock.advance(0)  # waiting for its first arrival
    while not run.done():
        await clock.advance(1)
    await run


def of(journal: Journal, kind: str) -> list[dict[str, Any]]:
    return [r for r in journal.records if r["type"] == kind]


async def test_every_job_is_submitted_accepted_followed_and_completed(rig):
    clock, journal = rig
    api = FakeJobApi()
    workload = Workload(CONFIG, api, clock, journal, seed=4)
    await play(clock, workload, submit_until=60, drain_until=200)
    submitted = of(journal, "job.submitted")
    assert len(submitted) > 10  # ~0.5/s for 60 s
    assert all(r["t"] < 60 for r in submitted)
    assert [r["job"] for r in submitted] == api.submitted
    assert {r["job"] for r in of(journal, "job.accepted")} == set(api.submitted)
    completed = of(journal, "job.completed")
    assert {r["job"] for r in completed} == set(api.submitted)
    assert all(r["counts"] == {"00": 50, "11": 50} for r in completed)
    canaries = [r for r in submitted if r["circuit"] == "canary-3"]
    assert canaries
    for r in canaries:  # the nonce is the mode; the fingerprint rotation moves < 1%
        assert len(r["nonce"]) == 3
        assert max(r["ideal"], key=r["ideal"].get) == r["nonce"]
        assert r["ideal"][r["nonce"]] > 0.99
    assert all("nonce" not in r for r in submitted if r["circuit"] == "bell")
    c = workload.counts
    assert (c.submitted, c.ok, c.failed, c.outstanding) == (len(submitted), len(completed), 0, 0)


async def test_the_same_seed_draws_the_same_jobs_at_the_same_times(tmp_path: Path):
    async def draws(seed: int, name: str) -> list[tuple[Any, ...]]:
        clock = FakeClock()
        journal = Journal(tmp_path / name, clock)
        workload = Workload(CONFIG, FakeJobApi(), clock, journal, seed=seed)
        await play(clock, workload, submit_until=60, drain_until=100)
        journal.close()
        return [(r["t"], r["job"], r["circuit"], r["tenant"]) for r in of(journal, "job.submitted")]

    first = await draws(7, "a")
    assert first == await draws(7, "b")
    assert first != await draws(8, "c")


async def test_a_refused_submit_is_rejected_and_no_answer_is_indeterminate(rig):
    clock, journal = rig
    api = FakeJobApi(refuse={1: 503, 2: 0})
    workload = Workload(CONFIG, api, clock, journal, seed=4)
    await play(clock, workload, submit_until=20, drain_until=100)
    first, second = api.submitted[:2]
    (rejected,) = of(journal, "job.rejected")
    (unknown,) = of(journal, "job.indeterminate")
    assert (rejected["job"], rejected["status"]) == (first, 503)
    assert (unknown["job"], unknown["status"]) == (second, 0)
    assert workload.counts.failed == 2


async def test_stop_submitting_and_the_drain_deadline_end_the_run(rig):
    clock, journal = rig
    api = FakeJobApi(polls=0)  # no job ever completes
    workload = Workload(CONFIG, api, clock, journal, seed=4)
    run = asyncio.create_task(workload.run(submit_until=1000, drain_until=2000))
    await clock.advance(0)  # waiting for its first arrival
    await clock.advance(30)
    workload.stop_submitting(drain_until=60)
    sent = len(api.submitted)
    assert sent > 5
    while not run.done():
        await clock.advance(1)
    await run
    assert clock.now() == pytest.approx(60, abs=1)  # followed the jobs until the deadline
    assert len(api.submitted) == sent  # and submitted none after the stop
    assert not of(journal, "job.completed")
    assert workload.counts.outstanding == sent
