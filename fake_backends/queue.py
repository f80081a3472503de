"""Queue behaviour of one fake device: slots, service time, depth limit.

Jobs wait in FIFO order for one of ``slots`` execution slots. A running job holds its
slot for its service time (per-job overhead + per-shot time, scenario seconds: the QPU
time), while Aer simulates it; the job is DONE when both are over. Every execution is
reported to the event sink with the job's idempotency key, so duplicate executions are
countable.
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass, field
from enum import StrEnum

from fake_backends.clock import Clock
from fake_backends.control import EventSink
from fake_backends.executor import AerExecutor, ExecutionFailed, PreparedCircuit

__all__ = ["BackendJob", "JobQueue", "JobStatus", "QueueFull", "ServiceTime"]


class JobStatus(StrEnum):
    """Lifecycle of a backend job; DONE, ERROR and CANCELLED are final."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    ERROR = "ERROR"
    CANCELLED = "CANCELLED"

    @property
    def final(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.ERROR, JobStatus.CANCELLED)


class QueueFull(Exception):
    """The queue is at its depth limit (the API answers 429 with Retry-After)."""

    def __init__(self, depth: int, retry_after: float) -> None:
        self.depth = depth
        self.retry_after = retry_after
        super().__init__(f"queue is full ({depth} jobs)")


@dataclass(frozen=True, slots=True)
class ServiceTime:
    """Scenario seconds a job holds its slot: ``per_job + per_shot * shots``."""

    per_job: float = 1.0
    per_shot: float = 0.0

    def of(self, shots: int) -> float:
        return self.per_job + self.per_shot * shots


@dataclass(slots=True, eq=False)
class BackendJob:
    """One job as the backend sees it (mutable: the queue advances its status)."""

    id: str
    tenant: str
    device: str
    shots: int
    circuit: PreparedCircuit
    created_at: float
    idempotency_key: str | None = None
    tags: tuple[str, ...] = ()
    status: JobStatus = JobStatus.QUEUED
    started_at: float | None = None
    finished_at: float | None = None
    counts: dict[str, int] | None = None
    error: str | None = None
    qpu_seconds: float = 0.0
    done: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


class JobQueue:
    """FIFO queue with ``slots`` parallel executions on one device.

    ``run()`` is the dispatcher; the owning cloud runs it in its task group.
    """

    def __init__(
        self,
        *,
        backend: str,
        device: str,
        clock: Clock,
        executor: AerExecutor,
        on_event: EventSink,
        slots: int = 1,
        service_time: ServiceTime | None = None,
        max_depth: int = 1000,
    ) -> None:
        if slots < 1:
            raise ValueError(f"slots must be >= 1, got {slots}")
        self.backend = backend
        self.device = device
        self.slots = slots
        self.service_time = service_time or ServiceTime()
        self.max_depth = max_depth
        self.calibration_version = 0
        self._clock = clock
        self._executor = executor
        self._emit = on_event
        self._queued: collections.deque[BackendJob] = collections.deque()
        self._running: set[BackendJob] = set()
        self._wake = asyncio.Event()

    @property
    def depth(self) -> int:
        """Jobs waiting for a slot."""
        return len(self._queued)

    @property
    def running(self) -> int:
        return len(self._running)

    def submit(self, job: BackendJob) -> None:
        """Queue a job, or raise :class:`QueueFull`."""
        if len(self._queued) >= self.max_depth:
            wait = self.service_time.of(job.shots) * max(1, self.depth) / self.slots
            raise QueueFull(self.depth, retry_after=wait)
        self._queued.append(job)
        self._wake.set()

    def position(self, job: BackendJob) -> int | None:
        """1-based place in the queue of a queued job, else None."""
        if job.status is not JobStatus.QUEUED:
            return None
        for i, queued in enumerate(self._queued, start=1):
            if queued is job:
                return i
        return None

    def cancel(self, job: BackendJob) -> bool:
        """Cancel a queued job; running and finished jobs cannot be cancelled."""
        if job.status is not JobStatus.QUEUED:
            return False
        self._queued.remove(job)
        self._finish(job, JobStatus.CANCELLED, error="cancelled by client")
        return True

    async def run(self) -> None:
        """Dispatch queued jobs to free slots, forever (cancel to stop)."""
        async with asyncio.TaskGroup() as tg:
            while True:
                while not self._queued or len(self._running) >= self.slots:
                    self._wake.clear()
                    await self._wake.wait()
                job = self._queued.popleft()
                self._running.add(job)
                tg.create_task(self._execute(job))

    async def _execute(self, job: BackendJob) -> None:
        # The job holds its slot for its service time (QPU time, in scenario time). Aer
        # works meanwhile and may finish later when the simulator is the bottleneck at a
        # high time scale; the slot is freed anyway, so jobs that pile up are simulated
        # in bigger batches instead of stalling the queue.
        job.status = JobStatus.RUNNING
        job.started_at = self._clock.now()
        job.qpu_seconds = self.service_time.of(job.shots)
        counts = self._executor.submit(
            self.device, self.calibration_version, job.circuit.qpy, job.shots
        )
        try:
            await self._clock.sleep(job.qpu_seconds)
        finally:
            self._running.discard(job)
            self._wake.set()
        try:
            job.counts = await counts
        except ExecutionFailed as exc:
            self._finish(job, JobStatus.ERROR, error=str(exc))
        else:
            self._finish(job, JobStatus.DONE)

    def _finish(self, job: BackendJob, status: JobStatus, *, error: str | None = None) -> None:
        job.status = status
        job.error = error
        job.finished_at = self._clock.now()
        job.done.set()
        if job.started_at is None:
            return  # never executed: nothing was spent on the device
        self._emit(
            "backend.execution",
            {
                "backend": self.backend,
                "job": job.id,
                "tenant": job.tenant,
                "idempotency_key": job.idempotency_key,
                "shots": job.shots,
                "status": job.status.value,
                "started": job.started_at,
                "qpu_s": job.qpu_seconds,
            },
        )
