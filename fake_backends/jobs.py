"""The job rules every protocol shares: limits, idempotency, lookup, cancel, results.

A protocol adapter (the native ``/v1`` API, IBM Qiskit Runtime) parses its own wire
format and then asks the cloud's :class:`JobService`; the service decides, and a
refusal comes back as :class:`~fake_backends.errors.JobRefused` carrying a
protocol-neutral :class:`~fake_backends.errors.Refusal` (HTTP status, machine-readable
code, message, ``Retry-After``) that each adapter renders in its own error shape. So a limit or a
queue-full answer means the same thing whatever protocol the client speaks.

>>> service.check_limits(chars=len(source), shots=1024, key="j-1")     # doctest: +SKIP
>>> accepted = await service.submit(
...     JobRequest(tenant="orchestrator", shots=1024, idempotency_key="j-1"),
...     prepare=lambda: service.prepare_circuit("qasm3", source),
... )
>>> accepted.job.id, accepted.replayed
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fake_backends import records
from fake_backends.errors import CircuitRejected, JobRefused, NotIsa, QueueFull
from fake_backends.executor import Isa, PreparedCircuit
from fake_backends.queue import BackendJob, JobQueue, JobStatus, Program
from fake_backends.switches import LostJobs, PendingJobsLimit, UnknownStatus

if TYPE_CHECKING:
    from fake_backends.cloud import Simulator
    from fake_backends.spec import BackendSpec
    from plumbing.clock import Clock
    from plumbing.records import EventSink

__all__ = ["MAX_KEY_CHARS", "Accepted", "JobBodies", "JobRequest", "JobService", "Work"]

MAX_KEY_CHARS = 256
PRIORITIES = range(-10, 11)

#: What a submission runs: one prepared circuit, or a program of several (a primitive).
Work = PreparedCircuit | Program


@dataclass(frozen=True, slots=True)
class JobRequest:
    """A submission, as far as the rules are concerned.

    ``dedupe``: whether ``idempotency_key`` makes a repeated submission return the first
    job (the native API) or only labels the job's executions for the ledger (a protocol
    without idempotency, like IBM's, where a retried POST really runs twice).
    """

    tenant: str
    shots: int
    idempotency_key: str | None = None
    dedupe: bool = True
    tags: tuple[str, ...] = ()
    priority: int = 0
    memory: bool = False
    protocol: str = "native"  # the wire it came by (journalled with the submission)


@dataclass(frozen=True, slots=True)
class Accepted:
    """A job the service holds: new, or the earlier one a repeated key maps to."""

    job: BackendJob
    replayed: bool


class JobService:
    """Submission, lookup, cancel and result rules of one fake cloud."""

    def __init__(
        self,
        spec: BackendSpec,
        *,
        clock: Clock,
        executor: Simulator,
        queue: JobQueue,
        on_event: EventSink,
        seed: int = 0,
        ids: random.Random | None = None,
    ) -> None:
        self.spec = spec
        self.jobs: dict[str, BackendJob] = {}
        self.by_idempotency_key: dict[tuple[str, str], BackendJob] = {}
        self._clock = clock
        self._executor = executor
        self._queue = queue
        self._emit = on_event
        self._seed = seed  # the transpiler's seed for this cloud's circuits
        #: the target circuits must already fit (the cloud's, when its spec says isa)
        self.isa_target: Callable[[], Isa] = lambda: None
        self._ids = ids or random.Random(seed)  # the cloud's named "ids" stream

    def new_job_id(self) -> str:
        return f"{self.spec.name}-{self._ids.getrandbits(48):012x}"

    # -- submission ------------------------------------------------------------

    def check_limits(
        self,
        *,
        chars: int,
        shots: int,
        key: str | None = None,
        tags: Sequence[object] = (),
        priority: int = 0,
    ) -> None:
        """Refuse a submission over the backend's limits (checked in this order)."""
        spec = self.spec
        if chars > spec.max_circuit_bytes:
            raise JobRefused(
                413, "circuit_too_large", f"circuit over {spec.max_circuit_bytes} characters"
            )
        if not 1 <= shots <= spec.max_shots:
            raise JobRefused(
                400, "invalid_field", f"shots: expected 1..{spec.max_shots}, found {shots}"
            )
        if key is not None and not 0 < len(key) <= MAX_KEY_CHARS:
            raise JobRefused(
                400, "invalid_field", f"idempotency_key: 1..{MAX_KEY_CHARS} characters"
            )
        if not all(isinstance(t, str) for t in tags):
            raise JobRefused(400, "invalid_field", "tags: expected a list of strings")
        if priority not in PRIORITIES:
            raise JobRefused(400, "invalid_field", f"priority: expected -10..10, found {priority}")

    async def prepare_circuit(self, fmt: str, source: str) -> PreparedCircuit:
        """Parse and transpile one circuit for the device (in an Aer worker)."""
        spec = self.spec
        try:
            prepared = await self._executor.prepare(
                spec.device, fmt, source, seed=self._seed, isa=self.isa_target()
            )
        except NotIsa as exc:
            raise JobRefused(400, "not_isa", str(exc)) from None
        except CircuitRejected as exc:
            raise JobRefused(400, "invalid_circuit", str(exc)) from None
        self.check_width(prepared.active_qubits)
        return prepared

    def check_width(self, active_qubits: int) -> None:
        """Refuse work on more qubits than this backend simulates."""
        if active_qubits > self.spec.max_qubits:
            raise JobRefused(
                400,
                "too_many_qubits",
                f"circuit uses {active_qubits} qubits; this backend simulates at most "
                f"{self.spec.max_qubits}",
            )

    async def submit(self, request: JobRequest, prepare: Callable[[], Awaitable[Work]]) -> Accepted:
        """Queue a new job, or return the one a repeated idempotency key maps to.

        ``prepare`` runs only when a job is really created (a replay costs no worker
        call); a concurrent submission with the same key that wins meanwhile is returned
        instead of a second job.
        """
        if (existing := self._replay(request)) is not None:
            return Accepted(existing, replayed=True)
        work = await prepare()
        if (existing := self._replay(request)) is not None:
            return Accepted(existing, replayed=True)
        job = BackendJob(
            id=self.new_job_id(),
            tenant=request.tenant,
            shots=request.shots,
            circuit=work if isinstance(work, PreparedCircuit) else None,
            created_at=self._clock.now(),
            idempotency_key=request.idempotency_key,
            tags=request.tags,
            priority=request.priority,
            memory=request.memory,
            program=work if isinstance(work, Program) else None,
        )
        self._check_pending(request.tenant)
        try:
            self._queue.submit(job)
        except QueueFull as exc:
            raise JobRefused(429, "queue_full", str(exc), exc.retry_after) from None
        self.jobs[job.id] = job
        if request.dedupe and request.idempotency_key is not None:
            self.by_idempotency_key[(request.tenant, request.idempotency_key)] = job
        self._emit(
            records.JOB_SUBMITTED(
                {
                    "backend": self.spec.name,
                    "job": job.id,
                    "idempotency_key": request.idempotency_key,
                    "shots": request.shots,
                    "protocol": request.protocol,
                }
            )
        )
        return Accepted(job, replayed=False)

    def _check_pending(self, tenant: str) -> None:
        limit = self._queue.switches.get(PendingJobsLimit)
        if limit is None:
            return
        pending = sum(1 for j in self.jobs.values() if j.tenant == tenant and not j.status.final)
        if pending >= limit.max_pending:
            raise JobRefused(
                429,
                "pending_jobs_limit",
                f"You have reached the limit of {limit.max_pending} pending jobs. Please wait "
                "for a job to complete or cancel one before submitting anything new.",
            )

    def _replay(self, request: JobRequest) -> BackendJob | None:
        if not request.dedupe or request.idempotency_key is None:
            return None
        return self.by_idempotency_key.get((request.tenant, request.idempotency_key))

    # -- lookup, cancel, results -----------------------------------------------

    def lookup(self, tenant: str, job_id: str) -> BackendJob:
        """The tenant's job ``job_id``; another tenant's job is as unknown as a missing one."""
        job = self.jobs.get(job_id)
        if job is None or job.tenant != tenant or self._lost(job_id):
            raise JobRefused(404, "job_not_found", f"no job {job_id!r}")
        return job

    def _lost(self, job_id: str) -> bool:
        """Whether ``api.lost_jobs`` hides this job: a draw fixed by the job id and the
        seed (not by the order of lookups, which timing decides)."""
        lost = self._queue.switches.get(LostJobs)
        if lost is None:
            return False
        return random.Random(f"lost-jobs:{self._seed}:{job_id}").random() < lost.rate

    def unknown_status(self, job: BackendJob) -> str | None:
        """The status ``api.unknown_status`` reports for a finished job instead of its
        own (each protocol spells it its way), or None."""
        unknown = self._queue.switches.get(UnknownStatus)
        return unknown.status if unknown is not None and job.status.final else None

    def cancel(self, job: BackendJob) -> None:
        """Cancel a queued job; running and finished jobs cannot be cancelled."""
        if not self._queue.cancel(job):
            raise JobRefused(409, "job_not_cancellable", f"job is {job.status.value}")

    def require_result(self, job: BackendJob) -> None:
        """Refuse (409) a result the job does not have yet, or will never have.

        A fetched result counts as delivered: result swaps pick only unfetched partners.
        """
        if job.status is JobStatus.DONE and job.has_output:
            job.result_fetched = True
            return
        if job.status.final:
            raise JobRefused(
                409, f"job_{job.status.value.lower()}", job.error or "job has no result"
            )
        raise JobRefused(409, "job_not_finished", f"job is {job.status.value}")


@dataclass(slots=True)
class JobBodies:
    """One protocol's JSON body of each job, as its status endpoint serves it.

    ``build`` makes a job's body in the protocol's shape. A finished job's body never
    changes, so it is kept: clients poll finished jobs over and over, and the build
    reads the queue and the job's record each time. An ``api.unknown_status`` fault
    lays its status over the body, spelled the protocol's way (``spell``).
    """

    service: JobService
    build: Callable[[BackendJob], dict[str, Any]]
    spell: Callable[[str], str]
    _final: dict[str, dict[str, Any]] = field(default_factory=dict, init=False)

    def get(self, job: BackendJob) -> dict[str, Any]:
        body = self._final.get(job.id)
        if body is None:
            body = self.build(job)
            if job.status.final:
                self._final[job.id] = body
        if (unknown := self.service.unknown_status(job)) is not None:
            return {**body, "status": self.spell(unknown)}
        return body
