"""A seed fixes everything the harness decides, whatever the task interleaving (fake clock)."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest

from harness.errors import SutError
from harness.journal.lateness import Lateness
from harness.journal.store import Journal
from harness.load.config import WorkloadConfig
from harness.load.plan import JobPlan
from harness.load.workload import Workload
from harness.sut.api import JobState
from plumbing.clock import FakeClock
from plumbing.seeds import derive, stream

CONFIG = WorkloadConfig(rate=0.5, circuits=("bell", "ghz-3", "canary-4"), poll_interval=5.0)


def test_streams_are_stable_and_independent():
    # the same on every machine and Python version: a seed's runs compare across CI hosts
    assert derive(7, "arrivals") == derive(7, "arrivals") < 2**63
    assert len({derive(7, "arrivals"), derive(7, "jobmix"), derive(8, "arrivals")}) == 3
    a, b = stream(7, "arrivals"), stream(7, "arrivals")
    b.random()  # drawing from one stream ...
    c = stream(7, "jobmix")
    assert c.random() == stream(7, "jobmix").random()  # ... never moves another
    assert a.random() != b.random()


def test_a_plan_is_fixed_by_its_seed_and_every_job_is_its_own():
    jobs = JobPlan(CONFIG, seed=7).until(600.0)
    again = JobPlan(CONFIG, seed=7).until(600.0)
    other = JobPlan(CONFIG, seed=8).until(600.0)
    assert jobs == again
    assert [j.due for j in jobs] != [j.due for j in other]
    assert [j.due for j in jobs] == sorted(j.due for j in jobs)
    assert len({j.key for j in jobs}) == len(jobs)
    # the fingerprint: every job's ideal distribution is its own
    ideals = {tuple(sorted(j.circuit.ideal.items())) for j in jobs}
    assert len(ideals) == len(jobs)
    canaries = [j for j in jobs if j.circuit.nonce is not None]
    assert canaries
    assert all(max(j.circuit.ideal, key=j.circuit.ideal.__getitem__) == j.circuit.nonce
               for j in canaries)  # fmt: skip


class JitteryClient:
    """A SUT whose answers take a random number of loop turns and scenario seconds."""

    def __init__(self, clock: FakeClock, rng: random.Random) -> None:
        self.clock = clock
        self.rng = rng
        self.jobs: dict[str, int] = {}

    async def _jitter(self) -> None:
        for _ in range(self.rng.randrange(8)):
            await asyncio.sleep(0)
        if self.rng.random() < 0.3:
            await self.clock.sleep(self.rng.uniform(0.0, 20.0))

    async def submit(self, *, circuit: str, shots: int, key: str, tenant: str) -> str:
        await self._jitter()
        if self.rng.random() < 0.1:
            raise SutError(0, "lost answer")
        self.jobs[key] = 0
        return key

    async def status(self, job_id: str) -> JobState:
        await self._jitter()
        self.jobs[job_id] += 1
        if self.jobs[job_id] < self.rng.randrange(1, 5):
            return JobState("pending", raw="running")
        return JobState("completed", {"00": 1})


async def _play(tmp: Path, interleaving: int) -> list[dict[str, Any]]:
    """The workload under one random interleaving; its ``job.submitted`` records, no times."""
    clock = FakeClock()
    rng = random.Random(interleaving)
    journal = Journal(tmp / f"journal-{interleaving}.jsonl", clock)
    lateness = Lateness()
    workload = Workload(CONFIG, JitteryClient(clock, rng), clock, journal, 7, lateness=lateness)  # type: ignore[arg-type]
    task = asyncio.ensure_future(workload.run(submit_until=300.0, drain_until=400.0))
    while not task.done():
        # uneven steps: sometimes many arrivals are overdue at once (a late harness)
        await clock.advance(rng.choice([0.05, 0.5, 3.0, 17.0]))
    await task
    journal.close()
    assert lateness.summary()["arrival"]["n"] == workload.counts.submitted
    return [
        {k: v for k, v in r.items() if k != "t"}
        for r in journal.records
        if r["type"] == "job.submitted"
    ]


async def test_the_job_sequence_does_not_depend_on_task_scheduling(tmp_path):
    runs = [await _play(tmp_path, k) for k in range(4)]
    assert len(runs[0]) > 100
    for other in runs[1:]:
        assert other == runs[0]
    planned = JobPlan(CONFIG, seed=7).until(300.0)
    assert [r["job"] for r in runs[0]] == [j.key for j in planned]
    assert [r["due"] for r in runs[0]] == [round(j.due, 3) for j in planned]


@pytest.mark.parametrize("late", [-1.0, 0.0, 2.5])
def test_lateness_counts_early_as_on_time(late):
    meter = Lateness()
    meter.observe("tick", late)
    stats = meter.drain()["tick"]
    assert stats["max"] == max(0.0, late)
    assert meter.drain() == {}  # drained
    assert meter.summary()["tick"]["n"] == 1


def _inputs(jobs: list[dict[str, Any]], faults: list[dict[str, Any]], status: str = "completed"):
    from harness.run.determinism import inputs_of

    records = [{"t": 0.0, "type": "run.config", "scenario": "s", "seed": 7, "time_scale": 40}]
    records += [{"type": "job.submitted", **j} for j in jobs]
    records += [{"type": "fault.started", **f} for f in faults]
    records.append({"t": 99.0, "type": "run.ended", "status": status})
    return inputs_of(records)


def test_the_first_harness_side_difference_is_named():
    from harness.run.determinism import first_difference

    job = {"t": 10.2, "job": "wl-7-00001", "due": 10.0, "tenant": "acme", "circuit": "bell"}
    fault = {"t": 60.1, "id": "f", "kind": "auth.token_expiry", "at": 60.0, "until": 120.0}
    a = _inputs([job, {**job, "job": "wl-7-00002", "due": 20.0, "t": 20.0}], [fault])
    assert first_difference(a, a, tick=10.0) is None
    late = _inputs([{**job, "t": 15.0}, {**job, "job": "wl-7-00002", "due": 20.0}], [fault])
    assert first_difference(a, late, tick=10.0) is None  # sent late, within a tick: lag
    moved = _inputs([job, {**job, "job": "wl-7-00002", "due": 20.5, "t": 20.5}], [fault])
    assert first_difference(a, moved, 10.0) == "job #2 (wl-7-00002): due 20.0 vs 20.5"
    other = _inputs([job, {**job, "job": "wl-7-00002", "due": 20.0}], [{**fault, "at": 61.0}])
    assert first_difference(a, other, 10.0) == "fault record #1 (f): at 60.0 vs 61.0"
    short = _inputs([job], [fault])
    assert first_difference(a, short, 10.0) == "run A has 2 jobs, run B 1"
    aborted = _inputs([job], [fault], status="aborted")
    assert first_difference(a, aborted, 10.0) is None  # stopped early: compared as far as it went
