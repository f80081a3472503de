"""The built-in load driver: Poisson job arrivals through the SUT's API.

Each logical job is submitted once with its own idempotency key, then polled until it
completes, fails, or the drain deadline passes (then the ledger calls it lost). Every
step is journalled; scoring derives SLIs and the ledger from those records alone.
Circuits, tenants and job names come from :mod:`harness.load.jobmix` (Faker, seeded), shared
with the Locust engine, so a run is reproducible.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter

from harness.errors import SutError
from harness.journal import records
from harness.journal.store import Journal
from harness.load.config import WorkloadConfig
from harness.load.jobmix import JobMix
from harness.load.seam import WorkloadCounts
from harness.sut.client import JobApi
from plumbing.clock import Clock

__all__ = ["Workload"]


class Workload:
    """Drives ``config`` against ``client`` on ``clock``; run with :meth:`run`."""

    def __init__(
        self, config: WorkloadConfig, client: JobApi, clock: Clock, journal: Journal, seed: int
    ) -> None:
        self.config = config
        self._client = client
        self._clock = clock
        self._journal = journal
        self._rng = random.Random(seed)
        # poll jitter is drawn when answers arrive (timing-dependent): its own stream keeps
        # the arrivals and the job mix reproducible for a seed
        self._poll_rng = random.Random(f"{seed}-polls")
        self._seed = seed
        self._stop = asyncio.Event()
        self._drain_until = float("inf")
        self._counts: Counter[str] = Counter()
        self._mix = JobMix(
            seed, config.circuits, config.tenants, rng=self._rng, idle_us=config.idle_us
        )

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
            n = 0
            arrival = self._clock.now()
            while not self._stop.is_set():
                arrival += self._rng.expovariate(self.config.rate)
                if arrival >= submit_until:
                    break
                if await self._wait_until(arrival):
                    break
                n += 1
                tg.create_task(self._job(n))

    async def _wait_until(self, t: float) -> bool:
        """Sleep until scenario time ``t``; True if told to stop meanwhile."""
        delay = t - self._clock.now()
        if delay <= 0:
            return self._stop.is_set()
        stopper = asyncio.ensure_future(self._stop.wait())
        sleeper = asyncio.ensure_future(self._clock.sleep(delay))
        try:
            await asyncio.wait({stopper, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            sleeper.cancel()
        return self._stop.is_set()

    async def _job(self, n: int) -> None:
        drawn = self._mix.draw()
        circuit, tenant = drawn.circuit, drawn.tenant
        job = f"wl-{self._seed}-{n:05d}"
        self._counts["submitted"] += 1
        submitted = records.JobSubmitted(
            job=job,
            tenant=tenant,
            name=drawn.name,
            circuit=circuit.name,
            shots=self.config.shots,
            width=circuit.num_qubits,
            ideal=circuit.ideal,
        )
        if circuit.nonce:
            submitted["nonce"] = circuit.nonce  # canaries only
        self._journal.write(records.JOB_SUBMITTED(submitted))
        try:
            sut_id = await self._client.submit(
                circuit=circuit.qasm, shots=self.config.shots, key=job, tenant=tenant
            )
        except SutError as exc:
            self._counts["failed"] += 1
            kind = records.JOB_INDETERMINATE if exc.status == 0 else records.JOB_REJECTED
            self._journal.write(kind({"job": job, "status": exc.status, "error": str(exc)}))
            return
        self._journal.write(records.JOB_ACCEPTED({"job": job, "sut_id": sut_id}))
        await self._follow(job, sut_id)

    async def _follow(self, job: str, sut_id: str) -> None:
        interval = self.config.poll_interval
        first = True
        while (left := self._drain_until - self._clock.now()) > 0:
            # jitter spreads the polls of jobs that arrived together
            pause = interval * (self._poll_rng.uniform(0.2, 1.0) if first else 1.0)
            first = False
            await self._clock.sleep(min(pause, left))
            try:
                state = await self._client.status(sut_id)
            except SutError:
                continue
            if state.get("state") == "completed":
                self._counts["ok"] += 1
                counts = state.get("counts") or {}
                self._journal.write(
                    records.JOB_COMPLETED({"job": job, "sut_id": sut_id, "counts": counts})
                )
                return
            if state.get("state") == "failed":
                self._counts["failed"] += 1
                error = state.get("error")
                self._journal.write(
                    records.JOB_FAILED({"job": job, "sut_id": sut_id, "error": error})
                )
                return
