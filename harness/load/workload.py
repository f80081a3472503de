"""The built-in load driver: Poisson job arrivals through the SUT's API.

Each logical job is submitted once with its own idempotency key, then polled until it
completes, fails, or the drain deadline passes (then the ledger calls it lost). Every
step is journalled; scoring derives SLIs and the ledger from those records alone.

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
from harness.load.plan import JobPlan, PlannedJob
from harness.load.seam import WorkloadCounts
from harness.sut.client import SutCalls
from plumbing.clock import Clock

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
        stopper = asyncio.ensure_future(self._stop.wait())
        sleeper = asyncio.ensure_future(self._clock.sleep(delay))
        try:
            await asyncio.wait({stopper, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            sleeper.cancel()
        return self._stop.is_set()

    async def _job(self, job: PlannedJob) -> None:
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
        self._journal.write(records.JOB_SUBMITTED(submitted))
        try:
            sut_id = await self._client.submit(
                circuit=circuit.qasm, shots=job.shots, key=key, tenant=job.tenant
            )
        except SutError as exc:
            self._counts["failed"] += 1
            kind = records.JOB_INDETERMINATE if exc.status == 0 else records.JOB_REJECTED
            self._journal.write(kind({"job": key, "status": exc.status, "error": str(exc)}))
            return
        self._journal.write(records.JOB_ACCEPTED({"job": key, "sut_id": sut_id}))
        await self._follow(job, sut_id)

    async def _follow(self, job: PlannedJob, sut_id: str) -> None:
        key = job.key
        pause = job.first_poll  # planned jitter: spreads the polls of jobs that came together
        while (left := self._drain_until - self._clock.now()) > 0:
            due = self._clock.now() + min(pause, left)
            await self._clock.sleep(due - self._clock.now())
            self._lateness.observe("poll", self._clock.now() - due)
            pause = self.config.poll_interval
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
                return
            if state.state == "failed":
                self._counts["failed"] += 1
                error = state.error
                self._journal.write(
                    records.JOB_FAILED({"job": key, "sut_id": sut_id, "error": error})
                )
                return
