"""Moves jobs from the orchestrator's table to a backend and back.

Submitters take pending jobs and submit them with the client's idempotency key, so a
retried submit never runs twice on the backend. The poller checks submitted jobs every
``poll_interval`` and fetches results. Every backend call outcome feeds the failure-rate
monitor that drives the alert.
"""

from __future__ import annotations

import asyncio
import random

from fake_backends.client import ApiCallError, NativeClient
from fake_backends.clock import Clock
from reference_orchestrator.alerts import FailureRateMonitor
from reference_orchestrator.config import BackendLink, OrchestratorConfig
from reference_orchestrator.store import Job, JobStore
from reference_orchestrator.tokens import TokenManager, TokenUnavailable, backoff

__all__ = ["BackendSession", "Dispatcher"]

FINAL_FAILED = ("ERROR", "CANCELLED")
POLL_CONCURRENCY = 16


class BackendSession:
    """A backend link with its client and token manager."""

    def __init__(self, link: BackendLink, client: NativeClient, tokens: TokenManager) -> None:
        self.link = link
        self.client = client
        self.tokens = tokens


class Dispatcher:
    """Runs the submitters and the poller (``run()``, cancel to stop)."""

    def __init__(
        self,
        config: OrchestratorConfig,
        store: JobStore,
        sessions: list[BackendSession],
        monitor: FailureRateMonitor,
        clock: Clock,
        *,
        seed: int = 0,
    ) -> None:
        if not sessions:
            raise ValueError("the orchestrator needs at least one backend")
        self.config = config
        self.store = store
        self.sessions = {s.link.name: s for s in sessions}
        self.monitor = monitor
        self.clock = clock
        self._rng = random.Random(seed)

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            for _ in range(self.config.submitters):
                tg.create_task(self._submitter())
            tg.create_task(self._poller())

    def _session(self) -> BackendSession:
        return next(iter(self.sessions.values()))

    # -- submit ----------------------------------------------------------------

    async def _submitter(self) -> None:
        failures = 0
        while True:
            while len(self.store.inflight()) >= self.config.max_inflight:
                await self.clock.sleep(self.config.poll_interval)
            job = await self.store.next_pending()
            wait = await self._submit(job)
            if wait is None:
                failures = 0
                continue
            failures += 1
            pause = backoff(failures, self.config.retry_base, self.config.retry_max, self._rng)
            await self.clock.sleep(max(wait, pause))

    async def _submit(self, job: Job) -> float | None:
        """Submit one job; return None when done with it, else seconds to back off."""
        session = self._session()
        job.attempts += 1
        try:
            token = await session.tokens.get()
        except TokenUnavailable as exc:
            return self._transient(job, f"auth: {exc}", fatal=not self.config.token_refresh)
        try:
            record = await session.client.submit(
                token, circuit=job.circuit, fmt=job.fmt, shots=job.shots, idempotency_key=job.key
            )
        except ApiCallError as exc:
            if exc.unauthorized:
                session.tokens.invalidate(token)
                return self._transient(job, str(exc), fatal=not self.config.token_refresh, wait=0)
            if exc.retryable:
                return self._transient(job, str(exc), wait=exc.retry_after or 0)
            self.monitor.record(False)
            self.store.fail(job, f"rejected by {session.link.name}: {exc}")
            return None
        self.monitor.record(True)
        self.store.mark_submitted(job, session.link.name, str(record["id"]))
        return None

    def _transient(
        self, job: Job, error: str, *, fatal: bool = False, wait: float = 0
    ) -> float | None:
        self.monitor.record(False)
        if fatal:
            self.store.fail(job, error)
            return None
        job.error = error
        self.store.requeue(job)
        return wait

    # -- poll ------------------------------------------------------------------

    async def _poller(self) -> None:
        limit = asyncio.Semaphore(POLL_CONCURRENCY)

        async def bounded(job: Job) -> None:
            async with limit:
                await self._poll(job)

        while True:
            await self.clock.sleep(self.config.poll_interval)
            jobs = self.store.inflight()
            if jobs:
                await asyncio.gather(*(bounded(j) for j in jobs))

    async def _poll(self, job: Job) -> None:
        assert job.backend is not None
        assert job.backend_job_id is not None
        session = self.sessions[job.backend]
        try:
            token = await session.tokens.get()
        except TokenUnavailable as exc:
            self.monitor.record(False)
            if not self.config.token_refresh:
                self.store.fail(job, f"auth: {exc}")
            return
        try:
            record = await session.client.job(token, job.backend_job_id)
            status = str(record["status"])
            if status == "DONE":
                result = await session.client.result(token, job.backend_job_id)
                self.store.complete(job, {str(k): int(v) for k, v in result["counts"].items()})
            elif status in FINAL_FAILED:
                self.store.fail(job, f"backend {status.lower()}: {record.get('error')}")
        except ApiCallError as exc:
            self.monitor.record(False)
            if exc.unauthorized:
                session.tokens.invalidate(token)
                if not self.config.token_refresh:
                    self.store.fail(job, f"auth: {exc}")
            elif exc.status == 404:
                self.store.fail(job, f"backend lost the job: {exc}")
            return
        self.monitor.record(True)
