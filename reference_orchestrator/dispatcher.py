"""Moves jobs from the orchestrator's table to a backend and back.

Submitters take pending jobs and submit them with an idempotency key of their own
(:attr:`~reference_orchestrator.store.Job.backend_key`: the client's key scoped by
tenant, or the job's id), so a retried submit never runs twice on the backend. One
poller per backend checks its submitted jobs every ``poll_interval`` and fetches
results. Every backend call outcome feeds the failure-rate monitor that drives the alert.

Failover: each backend has a circuit breaker on calls that got no answer
(:mod:`reference_orchestrator.health`). New jobs go to the first backend whose breaker
is closed, in configured order (so traffic fails back when the first one heals). A
job whose submit got no answer may have reached that backend, and idempotency keys are
per backend, so it is *pinned*: it is only ever submitted there again, and waits
(parked) while that backend is unreachable, rather than risk running twice. Only a
refused connection proves the request never left, and leaves the job free to move.
Submitted jobs stay with their backend and are polled again once it answers.

A job that failed transiently goes back to the head of the line, but not forever: after
``max_job_errors`` server errors on submit it fails with the last one as its reason, so
one poison job cannot stop dispatch.

A job the backend ran and failed (``ERROR``) fails, unless ``resubmit_attempts`` allows
another attempt, within the retry budget (:mod:`reference_orchestrator.retries`) when
there is one.

A backend that refuses a job as not an ISA circuit (400 ``not_isa``) gets every job
compiled for its target from then on (:mod:`reference_orchestrator.compiler`); a
refusal of a job compiled for the cached target means the target changed.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from plumbing.clock import Clock
from plumbing.http_errors import ApiCallError
from plumbing.ionq_client import IonqClient
from plumbing.native_client import NativeClient
from reference_orchestrator.alerts import FailureRateMonitor
from reference_orchestrator.compiler import CompileError, Compiler, Target
from reference_orchestrator.config import BackendLink, OrchestratorConfig
from reference_orchestrator.health import BackendHealth, Breaker
from reference_orchestrator.retries import RetryBudget
from reference_orchestrator.store import Job, JobStore
from reference_orchestrator.tokens import TokenManager, TokenUnavailable, backoff

__all__ = ["BackendSession", "Dispatcher"]

FINAL_FAILED = ("ERROR", "CANCELLED")
POLL_CONCURRENCY = 16


@dataclass(eq=False)
class BackendSession:
    """A backend link with its client, token manager and health (mutable: what the
    orchestrator learns about the backend as it goes)."""

    link: BackendLink
    client: NativeClient | IonqClient
    tokens: TokenManager
    health: BackendHealth
    queue_depth: int | None = None  # last read (``route_by_queue``)
    sent: int = 0  # jobs submitted here since that reading
    target: Target | None = None  # set when it says (or shows) it wants ISA
    asked_target: bool = False  # read its configuration before the first submit

    @property
    def load(self) -> int:
        """How many jobs are ahead of a new one here, as far as the orchestrator knows."""
        return (self.queue_depth or 0) + self.sent


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
        compiler: Compiler | None = None,
    ) -> None:
        if not sessions:
            raise ValueError("the orchestrator needs at least one backend")
        self.config = config
        self.store = store
        self.sessions = {s.link.name: s for s in sessions}
        self.monitor = monitor
        self.clock = clock
        self._rng = random.Random(seed)
        self._parked: list[Job] = []  # waiting for their (pinned) backend to be reachable
        ratio = config.behaviour.retry_budget
        self.retries = RetryBudget(clock, ratio=ratio) if ratio is not None else None
        self.last_stuck_at: float | None = None  # the last time a job was found stuck
        self.compiler = compiler or Compiler()

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            for _ in range(self.config.submitters):
                tg.create_task(self._submitter())
            for session in self.sessions.values():
                tg.create_task(self._poller(session))
                tg.create_task(self._prober(session))
                if self.config.behaviour.route_by_queue:
                    tg.create_task(self._queue_watch(session))
            tg.create_task(self._unparker())

    def _route(self, job: Job) -> BackendSession | None:
        """Where ``job`` may be submitted now (None: no backend may take it yet)."""
        if job.pinned is not None:
            session = self.sessions[job.pinned]
            return session if session.health.admit() else None
        # a job stuck on a backend goes elsewhere first (that backend is the last resort)
        order = sorted(self.sessions.values(), key=lambda s: s.link.name == job.avoid)
        if self.config.behaviour.route_by_queue:
            ready = [s for s in order if s.health.closed and s.health.admit()]
            if ready:  # ties: configured order, a backend the job is stuck on last
                return min(ready, key=lambda s: (s.link.name == job.avoid, s.load))
        for state in (Breaker.CLOSED, Breaker.HALF_OPEN):
            for session in order:
                if session.health.state is state and session.health.admit():
                    return session
        return None

    def _probe_timing(self) -> tuple[float, float]:
        """(timeout in wall seconds, interval in scenario seconds) of a backend probe.

        Both have a floor in wall time: at a high time scale a probe every 5 scenario
        seconds would be dozens a wall second, and a 5 s timeout too short for a
        round trip on a busy machine.
        """
        cfg = self.config
        timeout = max(cfg.min_probe_timeout, self.clock.to_wall(cfg.probe_timeout))
        interval = max(cfg.probe_interval, cfg.min_probe_interval * self.clock.time_scale)
        return timeout, interval

    async def _prober(self, session: BackendSession) -> None:
        """Heartbeat: ``GET /healthz`` feeds the breaker, and probes it when half-open."""
        timeout, interval = self._probe_timing()
        while True:
            await self.clock.sleep(interval)
            if not session.health.admit():
                continue
            try:
                async with asyncio.timeout(timeout):
                    await session.client.health()
            except TimeoutError:
                session.health.failure()
                continue
            except ApiCallError as exc:
                if exc.status == 0:
                    session.health.failure()
                    continue
            session.health.success()

    async def _learn_target(self, session: BackendSession, token: str) -> None:
        """Before the first submit there: does the backend take ISA circuits only? Then
        compile for it from the first job (else a ``not_isa`` refusal teaches it later)."""
        session.asked_target = True
        try:
            rows = await session.client.backends(token)
            if rows and rows[0].get("isa_required") and session.target is None:
                session.target = Target.of(rows[0])
        except (ApiCallError, ValueError):
            pass

    async def _queue_watch(self, session: BackendSession) -> None:
        """``route_by_queue``: read the backend's queue depth every probe interval."""
        timeout, interval = self._probe_timing()
        while True:
            await self.clock.sleep(interval)
            if not session.health.closed:
                continue
            try:
                token = await session.tokens.get()
                async with asyncio.timeout(timeout):
                    rows = await session.client.backends(token)
            except (TokenUnavailable, ApiCallError, TimeoutError):
                continue  # routing falls back on the last reading; health is the prober's
            session.queue_depth = sum(int(r.get("queue_depth") or 0) for r in rows)
            session.sent = 0

    async def _unparker(self) -> None:
        while True:
            await self.clock.sleep(self.config.poll_interval)
            for job in list(self._parked):
                names = [job.pinned] if job.pinned is not None else list(self.sessions)
                if any(self.sessions[n].health.state is not Breaker.OPEN for n in names):
                    self._parked.remove(job)
                    self.store.requeue(job)

    # -- submit ----------------------------------------------------------------

    async def _submitter(self) -> None:
        failures = 0
        while True:
            while len(self.store.inflight()) >= self.config.max_inflight:
                await self.clock.sleep(self.config.poll_interval)
            job = await self.store.next_pending()
            session = self._route(job)
            if session is None:
                self._parked.append(job)
                continue
            wait = await self._submit(job, session)
            if wait is None:
                failures = 0
                continue
            failures += 1
            pause = backoff(failures, self.config.retry_base, self.config.retry_max, self._rng)
            await self.clock.sleep(max(wait, pause))

    async def _submit(self, job: Job, session: BackendSession) -> float | None:
        """Submit one job; return None when done with it, else seconds to back off."""
        job.attempts += 1
        try:
            token = await session.tokens.get()
        except TokenUnavailable as exc:
            if _no_answer(exc.__cause__):
                session.health.failure()
            return self._transient(job, f"auth: {exc}", fatal=not self.config.token_refresh)
        if not session.asked_target:
            await self._learn_target(session, token)
        circuit, fmt = job.circuit, job.fmt
        target = session.target
        if target is not None:
            try:
                circuit, fmt = await self.compiler.compile(job.circuit, job.fmt, target), "qpy"
            except CompileError as exc:
                self.monitor.record(False)
                self.store.fail(job, str(exc))
                return None
        try:
            record = await session.client.submit(
                token,
                circuit=circuit,
                fmt=fmt,
                shots=job.shots,
                idempotency_key=job.backend_key,
            )
        except ApiCallError as exc:
            if exc.status == 0:
                return self._no_answer(job, session, exc)
            session.health.success()
            if exc.status == 400 and exc.code == "not_isa":
                return await self._not_isa(job, session, token, target, exc)
            if exc.unauthorized:
                session.tokens.invalidate(token)
                return self._transient(job, str(exc), fatal=not self.config.token_refresh, wait=0)
            if exc.status >= 500 and exc.status != 503:
                job.server_errors += 1
                if job.server_errors >= self.config.max_job_errors:
                    return self._transient(
                        job, f"gave up after {job.server_errors} server errors: {exc}", fatal=True
                    )
            if exc.retryable:
                return self._transient(job, str(exc), wait=exc.retry_after or 0)
            self.monitor.record(False)
            self.store.fail(job, f"rejected by {session.link.name}: {exc}")
            return None
        session.health.success()
        self.monitor.record(True)
        session.sent += 1
        job.pinned = None
        if self.retries is not None and not job.resubmits:
            self.retries.first()
        self.store.mark_submitted(job, session.link.name, str(record["id"]))
        return None

    async def _not_isa(
        self,
        job: Job,
        session: BackendSession,
        token: str,
        compiled_for: Target | None,
        exc: ApiCallError,
    ) -> float | None:
        """The backend takes ISA circuits only: (re)read its target, or fail the job."""
        fail = f"rejected by {session.link.name}: {exc}"
        if compiled_for is not None and not self.config.behaviour.refresh_target:
            self.monitor.record(False)
            self.store.fail(job, fail)  # compiled for the cached target: nothing to change
            return None
        try:
            rows = await session.client.backends(token)
            fresh = Target.of(rows[0])
        except (ApiCallError, IndexError, ValueError) as err:
            return self._transient(job, f"reading {session.link.name}'s target: {err}")
        if fresh == compiled_for:
            self.monitor.record(False)
            self.store.fail(job, fail)  # compiled for the current target and still refused
            return None
        session.target = fresh
        return self._transient(job, str(exc), wait=0)  # compiled anew on its next submit

    def _no_answer(self, job: Job, session: BackendSession, exc: ApiCallError) -> float | None:
        session.health.failure()
        if not exc.not_delivered:
            job.pinned = session.link.name  # it may be there: never submit it anywhere else
        wait = self._transient(job, f"{session.link.name}: {exc}")
        if job.pinned is None and any(s.health.closed for s in self.sessions.values()):
            return None  # free to move and somewhere to go: no need to back off
        return wait

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

    async def _poller(self, session: BackendSession) -> None:
        limit = asyncio.Semaphore(POLL_CONCURRENCY)

        async def bounded(job: Job) -> None:
            async with limit:
                await self._poll(session, job)

        while True:
            await self.clock.sleep(self.config.poll_interval)
            jobs = [j for j in self.store.inflight() if j.backend == session.link.name]
            if not jobs or not session.health.admit():
                continue
            if not session.health.closed:  # half-open: one job probes
                await self._poll(session, jobs.pop(0))
                if not session.health.closed:
                    continue
            await asyncio.gather(*(bounded(j) for j in jobs))

    async def _poll(self, session: BackendSession, job: Job) -> None:
        assert job.backend_job_id is not None
        try:
            token = await session.tokens.get()
        except TokenUnavailable as exc:
            self.monitor.record(False)
            if _no_answer(exc.__cause__):
                session.health.failure()
            if not self.config.token_refresh:
                self.store.fail(job, f"auth: {exc}")
            return
        try:
            record = await session.client.job(token, job.backend_job_id)
            status = str(record["status"])
            failed = status in FINAL_FAILED
            if status == "DONE":
                result = await session.client.result(token, job.backend_job_id)
                source = result.get("executed_on")
                if self.config.behaviour.check_result_source and _simulator(source):
                    failed = True
                    self._backend_failed(job, f"the result came from {source}, not the device")
                else:
                    self.store.complete(job, _counts(result["counts"]))
            elif failed:
                self._backend_failed(job, f"backend {status.lower()}: {record.get('error')}")
            elif self._stuck(job):
                await self._unstick(session, token, job, status)
        except ApiCallError as exc:
            self.monitor.record(False)
            if exc.status == 0:
                session.health.failure()  # the job stays with its backend: polled again later
                return
            session.health.success()
            if exc.unauthorized:
                session.tokens.invalidate(token)
                if not self.config.token_refresh:
                    self.store.fail(job, f"auth: {exc}")
            elif exc.status == 404:
                self.store.fail(job, f"backend lost the job: {exc}")
            return
        session.health.success()
        # a job the backend failed is a failed outcome for the alert, though the call worked
        self.monitor.record(not failed)

    def _stuck(self, job: Job) -> bool:
        after = self.config.behaviour.stuck_after
        since = job.submitted_at
        return bool(after) and since is not None and self.clock.now() - since > after

    async def _unstick(self, session: BackendSession, token: str, job: Job, status: str) -> None:
        """A job past ``stuck_after``: noted for the page; a QUEUED one cancelled there and
        submitted again elsewhere (a RUNNING one might still run: left alone)."""
        self.last_stuck_at = self.clock.now()
        if status != "QUEUED" or len(self.sessions) < 2:
            return
        assert job.backend_job_id is not None
        await session.client.cancel(token, job.backend_job_id)  # an error: polled again
        job.avoid = session.link.name
        self.store.resubmit(job, f"stuck {status} at {session.link.name}: moved")

    def _backend_failed(self, job: Job, error: str) -> None:
        """The backend failed the job: fail it, or resubmit it if attempts and budget allow."""
        attempts = self.config.behaviour.resubmit_attempts
        if job.resubmits < attempts and (self.retries is None or self.retries.take()):
            self.store.resubmit(job, error)
        else:
            self.store.fail(job, error)


def _simulator(source: object) -> bool:
    """Does a result's ``executed_on`` name a simulator (``aer_simulator``,
    ``ibmq_qasm_simulator``, ...)?"""
    return isinstance(source, str) and "simulator" in source.lower()


def _no_answer(exc: BaseException | None) -> bool:
    return isinstance(exc, ApiCallError) and exc.status == 0


def _counts(raw: object) -> dict[str, int]:
    """Counts from a result body; a malformed one is an unusable answer (502)."""
    try:
        if not isinstance(raw, dict):
            raise TypeError(f"counts is a {type(raw).__name__}")
        return {str(k): int(v) for k, v in raw.items()}
    except (TypeError, ValueError) as exc:
        raise ApiCallError(502, "invalid_response", f"malformed counts: {exc}") from exc
