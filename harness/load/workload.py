"""The built-in load driver: Poisson job arrivals through the SUT's API.

Each logical job is submitted once with its own idempotency key, then polled until it
completes, fails, or the drain deadline passes (then the ledger calls it lost). Every
step is journalled; scoring derives SLIs and the ledger from those records alone.

Hybrid loops (``workload.loops``, :mod:`harness.load.loops`) run beside the Poisson
arrivals: each loop submits its next job as soon as the previous one's result is in,
with parameters computed from it; a loop whose job fails stops (its optimiser has
nothing to go on), and none starts an iteration after the load phase.

What is sent and when is decided by the seed before the run (:class:`~harness.load.plan.
JobPlan`): the loop below only waits for each job's due time and hands it to a task.
How late it got there (and how late each poll was) is reported to the run's
:class:`~harness.journal.lateness.Lateness`: that is the instrument's error, not the
SUT's.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from harness.errors import SutError
from harness.journal import records
from harness.journal.lateness import Lateness
from harness.journal.store import Journal
from harness.load.config import WorkloadConfig
from harness.load.loops import LoopConfig, ansatz, next_theta
from harness.load.plan import FIRST_POLL, JobPlan, PlannedJob
from harness.load.seam import WorkloadCounts
from harness.sut.client import SutCalls
from plumbing.clock import Clock, sleep_or_event
from plumbing.seeds import stream

__all__ = ["Workload"]


class Workload:
    """Drives ``config`` against ``client`` on ``clock``; run with :meth:`run`."""

    def __init__(
        self,
        config: WorkloadConfig,
        client: SutCalls,
        clock: Clock,
        journal: Journal,
        seed: int,
        *,
        lateness: Lateness | None = None,
    ) -> None:
        self.config = config
        self._client = client
        self._clock = clock
        self._journal = journal
        self._lateness = lateness or Lateness()
        self._plan = JobPlan(config, seed)
        self._stop = asyncio.Event()
        self._drain_until = float("inf")
        self._counts: Counter[str] = Counter()

    @property
    def counts(self) -> WorkloadCounts:
        c = self._counts
        done = c["ok"] + c["failed"]
        return WorkloadCounts(c["submitted"], c["ok"], c["failed"], c["submitted"] - done)

    def stop_submitting(self, drain_until: float | None = None) -> None:
        """Submit no more jobs; follow outstanding ones until ``drain_until`` at the latest."""
        self._stop.set()
        if drain_until is not None:
            self._drain_until = min(self._drain_until, drain_until)

    async def run(self, submit_until: float, drain_until: float) -> None:
        """Submit until ``submit_until``, then follow outstanding jobs until ``drain_until``.

        Returns as soon as every job has finished, or when the drain deadline passes.
        """
        self._drain_until = drain_until
        async with asyncio.TaskGroup() as tg:
            if (loops := self.config.loops) is not None:
                for i in range(loops.count):
                    tg.create_task(self._loop(loops, i, submit_until))
            while not self._stop.is_set():
                job = self._plan.next()
                if job.due >= submit_until:
                    break
                if await self._wait_until(job.due):
                    break
                tg.create_task(self._job(job))

    async def _wait_until(self, t: float) -> bool:
        """Sleep until scenario time ``t``; True if told to stop meanwhile."""
        delay = t - self._clock.now()
        if delay <= 0:
            await asyncio.sleep(0)  # let the loop breathe (and Ctrl-C in) between arrivals
            return self._stop.is_set()
        return await sleep_or_event(self._clock, delay, self._stop)

    async def _loop(self, cfg: LoopConfig, i: int, submit_until: float) -> None:
        """Loop ``i``: each iteration's parameter from the previous iteration's result."""
        rng = stream(self._plan.seed, f"loop:{i}")
        theta = rng.uniform(0.2, 1.0)
        tenants = self._plan.tenants
        if await self._wait_until(cfg.start(i)):
            return
        for k in range(cfg.iterations):
            lo, hi = FIRST_POLL
            job = PlannedJob(
                index=0,
                key=f"loop-{self._plan.seed}-{i}-{k:04d}",
                due=round(self._clock.now(), 3),
                circuit=ansatz(theta),
                tenant=tenants[i % len(tenants)],
                name=f"loop-{i}-iteration-{k}",
                shots=cfg.shots,
                first_poll=cfg.poll_interval * rng.uniform(lo, hi),
            )
            if self._stop.is_set() or self._clock.now() >= submit_until:
                return
            counts = await self._job(job, loop=(f"loop-{i}", k, cfg.iterations))
            if counts is None:
                return
            theta = next_theta(theta, counts)

    async def _job(
        self, job: PlannedJob, *, loop: tuple[str, int, int] | None = None
    ) -> dict[str, int] | None:
        """Submit and follow one job; its counts if it completed, else None."""
        circuit, key = job.circuit, job.key
        self._counts["submitted"] += 1
        self._lateness.observe("arrival", self._clock.now() - job.due)
        submitted = records.JobSubmitted(
            job=key,
            due=round(job.due, 3),
            tenant=job.tenant,
            name=job.name,
            circuit=circuit.name,
            shots=job.shots,
            width=circuit.num_qubits,
            ideal=circuit.ideal,
        )
        if circuit.nonce:
            submitted["nonce"] = circuit.nonce  # canaries only
        if loop is not None:
            submitted["loop"], submitted["iteration"], submitted["of"] = loop
        self._journal.write(records.JOB_SUBMITTED(submitted))
        try:
            sut_id = await self._client.submit(
                circuit=circuit.qasm, shots=job.shots, key=key, tenant=job.tenant
            )
        except SutError as exc:
            self._counts["failed"] += 1
            kind = records.JOB_INDETERMINATE if exc.status == 0 else records.JOB_REJECTED
            self._journal.write(kind({"job": key, "status": exc.status, "error": str(exc)}))
            return None
        self._journal.write(records.JOB_ACCEPTED({"job": key, "sut_id": sut_id}))
        loops = self.config.loops
        interval = loops.poll_interval if loop and loops else self.config.poll_interval
        return await self._follow(job, sut_id, interval)

    async def _follow(self, job: PlannedJob, sut_id: str, interval: float) -> dict[str, int] | None:
        key = job.key
        pause = job.first_poll  # planned jitter: spreads the polls of jobs that came together
        while (left := self._drain_until - self._clock.now()) > 0:
            due = self._clock.now() + min(pause, left)
            await self._clock.sleep(due - self._clock.now())
            self._lateness.observe("poll", self._clock.now() - due)
            pause = interval
            try:
                state = await self._client.status(sut_id)
            except SutError:
                continue
            if state.state == "completed":
                self._counts["ok"] += 1
                counts = state.counts or {}
                self._journal.write(
                    records.JOB_COMPLETED({"job": key, "sut_id": sut_id, "counts": counts})
                )
                return counts
            if state.state == "failed":
                self._counts["failed"] += 1
                error = state.error
                self._journal.write(
                    records.JOB_FAILED({"job": key, "sut_id": sut_id, "error": error})
                )
                return None
        return None
