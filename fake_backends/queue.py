"""Queue behaviour of one fake device, in scenario time.

Jobs wait (by priority, then fair share between tenants: see
:mod:`fake_backends.scheduling`) for one of ``slots`` execution slots. A running job
holds its slot for its service time (the QPU time, drawn from the service-time
distribution and multiplied by any slowdown) while Aer simulates it with the
calibration current when it started; the job is DONE when both are over. Other
tenants' background jobs take slots and queue places like real ones but are not
simulated. Dispatch stops while the backend is offline, in maintenance or stalled.

Every execution of a client job is reported to the event sink with the job's
idempotency key and its circuit's fingerprint (:mod:`fake_backends.fingerprint`), so
duplicate executions are countable whatever the client did to the key; so are the
result faults (failures, partial and corrupted results) applied when a job finishes.
Each record also says how far Aer finished behind the modelled service time
(``aer_lag_s``, scenario seconds): the simulator's share of the instrument's error.

Random draws are per job (:mod:`plumbing.seeds`): a job's service time, its result
faults and its Aer seed come from streams named after the backend, the job's
idempotency key (its id when it has none) and its execution count, so the order in
which jobs happen to reach the queue does not change what each one draws.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import random
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from fake_backends import records, results
from fake_backends.errors import ExecutionFailed, QueueFull
from fake_backends.executor import PreparedCircuit, RunOutput
from fake_backends.scheduling import FairShare, ServiceTime, WaitingRoom, estimate_starts
from fake_backends.switches import (
    CorruptResults,
    JobFailures,
    PartialResults,
    QueueLimit,
    RunningWithoutQpu,
    SimulatorFallback,
    StuckQueued,
    Switches,
    UsageLimit,
)
from plumbing.clock import Clock
from plumbing.records import EventSink
from plumbing.seeds import derive, stream

if TYPE_CHECKING:
    from fake_backends.calibration import Calibration
    from fake_backends.drift import CalibrationState

__all__ = ["BackendJob", "JobQueue", "JobStatus", "Program", "Runner"]

DISPATCH_BURST = 32
#: what a disclosed simulator fallback's results say ran them
FALLBACK_SIMULATOR = "aer_simulator"


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


class Runner(Protocol):
    """Runs prepared circuits (the :class:`~fake_backends.executor.AerExecutor`)."""

    def submit(
        self,
        calibration: Calibration,
        circuit: PreparedCircuit,
        shots: int,
        *,
        memory: bool = ...,
        seed: int | None = ...,
        packed: bool = ...,
        owner: str | None = ...,
    ) -> asyncio.Future[RunOutput]: ...


@dataclass(frozen=True, slots=True)
class Program:
    """Several circuits that run as one job in one slot (a primitive's pubs, bound).

    Each circuit runs with its own shots; ``packed`` asks for per-shot rows (see
    :class:`~fake_backends.executor.RunOutput`) instead of counts only. ``plan`` is the
    protocol's recipe for turning the outputs into its result; the queue never reads
    it. ``layout`` names the shape of the outputs: the ``corrupt_results`` swap only
    trades outputs between programs of the same layout.
    """

    circuits: tuple[PreparedCircuit, ...]
    shots: tuple[int, ...]
    packed: bool = False
    plan: Any = None
    layout: str = ""

    @property
    def total_shots(self) -> int:
        return sum(self.shots)


@dataclass(slots=True, eq=False)
class BackendJob:
    """One job as the backend sees it (mutable: the queue advances its status)."""

    id: str
    tenant: str
    shots: int
    circuit: PreparedCircuit | None
    created_at: float
    idempotency_key: str | None = None
    tags: tuple[str, ...] = ()
    priority: int = 0
    memory: bool = False
    status: JobStatus = JobStatus.QUEUED
    started_at: float | None = None
    finished_at: float | None = None
    counts: dict[str, int] | None = None
    memory_out: tuple[str, ...] | None = None
    shots_returned: int | None = None
    partial: bool = False
    error: str | None = None
    error_code: str | None = None
    qpu_seconds: float = 0.0
    aer_lag: float | None = None
    calibration_version: int | None = None
    simulated: bool = False  # run on the fallback simulator, not the device
    executed_on: str | None = None  # what the result says ran it
    result_fetched: bool = False
    program: Program | None = None
    outputs: list[RunOutput] | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def background(self) -> bool:
        """Another tenant's load: occupies the device, never simulated."""
        return self.circuit is None and self.program is None

    @property
    def fingerprint(self) -> dict[str, float] | None:
        """Which logical job this is: its circuit's fingerprint (a program's, if it runs
        one circuit; several circuits make no one job's fingerprint)."""
        if self.circuit is not None:
            return self.circuit.fingerprint
        if self.program is not None and len(self.program.circuits) == 1:
            return self.program.circuits[0].fingerprint
        return None

    @property
    def has_output(self) -> bool:
        """Whether the job produced a result (counts, or a program's outputs)."""
        return self.counts is not None or self.outputs is not None


class JobQueue:
    """Queue and dispatcher of one device; ``run()`` is its dispatcher task."""

    def __init__(
        self,
        *,
        backend: str,
        clock: Clock,
        runner: Runner,
        calibration: CalibrationState,
        switches: Switches,
        on_event: EventSink,
        slots: int = 1,
        service_time: ServiceTime | None = None,
        max_depth: int = 1000,
        fair_share: bool = True,
        seed: int = 0,
    ) -> None:
        if slots < 1:
            raise ValueError(f"slots must be >= 1, got {slots}")
        self.backend = backend
        self.slots = slots
        self.service_time = service_time or ServiceTime()
        self.max_depth = max_depth
        self.calibration = calibration
        self.switches = switches
        self.states: Counter[str] = Counter()
        self.executions: Counter[str] = Counter()
        self.qpu_seconds: dict[str, float] = collections.defaultdict(float)  # per tenant
        self.background_done = 0
        self._clock = clock
        self._runner = runner
        self._emit = on_event
        self._seed = seed
        self._rng = stream(seed, f"backend:{backend}:evictions")
        self._dispatched: Counter[str] = Counter()
        self._waiting: WaitingRoom[BackendJob] = WaitingRoom(fair_share=fair_share)
        self._usage = FairShare()
        self._running: dict[BackendJob, float] = {}
        self._wake = asyncio.Event()
        self._projection: dict[BackendJob, tuple[int, float | None]] | None = None
        # per output layout (None: single-circuit jobs), a finished job waiting for a
        # partner to swap results with under corrupt_results "swap"
        self._swap_candidates: dict[str | None, BackendJob] = {}
        # queued client jobs kept out of the waiting room: "usage" ones go back in when
        # the usage limit is lifted, "stuck" ones never (until cancelled)
        self._held: dict[BackendJob, str] = {}
        self._stuck_draws = stream(seed, f"backend:{backend}:stuck")
        self._qpu_released = asyncio.Event()  # set when RunningWithoutQpu is cleared
        switches.watch(RunningWithoutQpu, self._running_without_qpu_changed)

    @property
    def depth(self) -> int:
        """Jobs waiting for a slot (background jobs, held and stuck ones included)."""
        return len(self._waiting) + len(self._held)

    @property
    def running(self) -> int:
        return len(self._running)

    def poke(self) -> None:
        """Re-check dispatch (a switch changed) and forget projected positions."""
        self._projection = None
        if self.switches.get(UsageLimit) is None:
            self._release("usage")
        self._wake.set()

    def _release(self, reason: str) -> None:
        back = [job for job, why in self._held.items() if why == reason]
        for job in back:  # in the order they were held: arrival order per tenant
            del self._held[job]
            self._waiting.add(job)

    def _running_without_qpu_changed(self) -> None:
        if self.switches.get(RunningWithoutQpu) is None:
            self._qpu_released.set()
        else:
            self._qpu_released = asyncio.Event()

    def submit(self, job: BackendJob) -> None:
        """Queue a job, or raise :class:`QueueFull`."""
        limit = self.max_depth
        if (lowered := self.switches.get(QueueLimit)) is not None:
            limit = min(limit, lowered.max_depth)
        if len(self._waiting) >= limit:
            per_slot = self.service_time.of(job.shots) * self.switches.slowdown / self.slots
            raise QueueFull(self.depth, retry_after=max(1.0, per_slot * (1 + self.depth)))
        if not job.background:
            self.states[job.status.value] += 1
            stuck = self.switches.get(StuckQueued)
            if stuck is not None and self._stuck_draws.random() < stuck.rate:
                self._held[job] = "stuck"
                self._emit(records.JOB_STUCK(self._ref(job)))
                return
        self._waiting.add(job)
        self.poke()

    def position(self, job: BackendJob) -> tuple[int | None, float | None]:
        """(1-based projected place, projected start in scenario seconds) of a queued job."""
        if job.status is not JobStatus.QUEUED or job in self._held:
            return None, None  # a held job has no place in the line and no start
        if self.switches.dispatching and len(self._waiting) <= self.slots - len(self._running):
            return 1, self._clock.now()  # a free slot for everyone: no projection needed
        if self._projection is None:
            self._projection = self._project()
        return self._projection.get(job, (None, None))

    def _project(self) -> dict[BackendJob, tuple[int, float | None]]:
        now = self._clock.now()
        order = self._waiting.order(self._usage.snapshot(now), self.service_time)
        if not self.switches.dispatching:
            return {job: (i, None) for i, job in enumerate(order, start=1)}
        mean = [self.service_time.of(j.shots) * self.switches.slowdown for j in order]
        starts = estimate_starts(mean, list(self._running.values()), self.slots, now)
        return {job: (i, s) for i, (job, s) in enumerate(zip(order, starts, strict=True), 1)}

    def cancel(
        self, job: BackendJob, *, reason: str = "cancelled by client", code: str | None = None
    ) -> bool:
        """Cancel a queued job; running and finished jobs cannot be cancelled."""
        if job.status is not JobStatus.QUEUED:
            return False
        if self._held.pop(job, None) is None and not self._waiting.remove(job):
            return False
        self._finish(job, JobStatus.CANCELLED, error=reason, code=code)
        self.poke()
        return True

    def evict(self, fraction: float, reason: str) -> list[BackendJob]:
        """The provider cancels ``fraction`` of the queued client jobs (seeded choice)."""
        queued = [j for j in self._waiting if not j.background] + list(self._held)
        chosen = [j for j in queued if self._rng.random() < fraction]
        for job in chosen:
            self.cancel(job, reason=f"evicted by the provider: {reason}", code="evicted")
        return chosen

    async def run(self) -> None:
        """Dispatch queued jobs to free slots, forever (cancel to stop)."""
        async with asyncio.TaskGroup() as tg:
            for n in itertools.count(1):
                if n % DISPATCH_BURST == 0:
                    await asyncio.sleep(0)  # a long backlog must not hold the event loop
                while (
                    not self._waiting
                    or len(self._running) >= self.slots
                    or not self.switches.dispatching
                ):
                    self._wake.clear()
                    await self._wake.wait()
                now = self._clock.now()
                job = self._waiting.pop(self._usage.snapshot(now))
                if job is None:
                    continue
                if not job.background and self.switches.get(UsageLimit) is not None:
                    self._held[job] = "usage"  # waits, without an error, for the limit
                    continue
                draws, aer_seed = self._draws(job)
                qpu = self.service_time.sample(job.shots, draws) * self.switches.slowdown
                self._usage.charge(job.tenant, qpu, now)
                self._running[job] = now + qpu
                self._projection = None
                tg.create_task(self._execute(job, qpu, draws, aer_seed))

    def _draws(self, job: BackendJob) -> tuple[random.Random, int]:
        """This execution's own stream (service time, result faults) and its Aer seed."""
        identity = job.idempotency_key or job.id
        self._dispatched[identity] += 1
        name = f"{self.backend}:{identity}:{self._dispatched[identity]}"
        return stream(self._seed, f"backend:{name}"), derive(self._seed, f"aer:{name}")

    async def _execute(
        self, job: BackendJob, qpu: float, draws: random.Random, aer_seed: int
    ) -> None:
        # The job holds its slot for its service time (QPU time, in scenario time). Aer
        # works meanwhile and may finish later when the simulator is the bottleneck at a
        # high time scale; the slot is freed anyway, so jobs that pile up are simulated
        # in bigger batches instead of stalling the queue.
        self._mark(job, JobStatus.RUNNING)
        job.started_at = self._clock.now()
        if not job.background and self.switches.get(RunningWithoutQpu) is not None:
            self._emit(records.JOB_HUNG(self._ref(job)))
            await self._qpu_released.wait()  # RUNNING, slot held, no QPU time yet
        job.qpu_seconds = qpu
        output: Awaitable[RunOutput | list[RunOutput]] | None = None
        if job.circuit is not None or job.program is not None:
            calibration = self.calibration.current
            job.calibration_version = calibration.version
            job.executed_on = calibration.device
            if (fallback := self.switches.get(SimulatorFallback)) is not None:
                calibration = calibration.idealised()
                job.simulated = True
                if fallback.disclosed:
                    job.executed_on = FALLBACK_SIMULATOR
            output = self._run(job, calibration, aer_seed)
        try:
            await self._clock.sleep(qpu)
        finally:
            self._running.pop(job, None)
            self.poke()
        if output is None:
            job.status = JobStatus.DONE
            job.finished_at = self._clock.now()
            self.background_done += 1
            return
        service_end = self._clock.now()
        try:
            out = await output
        except ExecutionFailed as exc:
            job.aer_lag = self._clock.now() - service_end
            self._finish(job, JobStatus.ERROR, error=str(exc), code="simulation_failed")
        else:
            job.aer_lag = self._clock.now() - service_end
            self._complete(job, out, draws)

    def _run(
        self, job: BackendJob, calibration: Calibration, aer_seed: int
    ) -> Awaitable[RunOutput | list[RunOutput]]:
        if job.circuit is not None:
            return self._runner.submit(
                calibration,
                job.circuit,
                job.shots,
                memory=job.memory,
                seed=aer_seed,
                owner=self.backend,
            )
        assert job.program is not None
        program = job.program
        # every circuit of a program joins the executor's batches like any other job's,
        # each with a seed of its own drawn from the job's
        return asyncio.gather(
            *(
                self._runner.submit(
                    calibration,
                    circuit,
                    shots,
                    seed=aer_seed + i,
                    packed=program.packed,
                    owner=self.backend,
                )
                for i, (circuit, shots) in enumerate(
                    zip(program.circuits, program.shots, strict=True)
                )
            )
        )

    def _complete(
        self, job: BackendJob, out: RunOutput | list[RunOutput], rng: random.Random
    ) -> None:
        # the result faults, in one order of draws for single-circuit and program jobs
        sw = self.switches
        failures = sw.get(JobFailures)
        if failures is not None and rng.random() < failures.rate:
            code = failures.code
            self._finish(
                job, JobStatus.ERROR, error=f"job failed on the device ({code})", code=code
            )
            return
        if isinstance(out, RunOutput):
            job.counts, job.memory_out = out.counts, out.memory
        else:
            job.outputs = list(out)
        job.shots_returned = job.shots
        partial = sw.get(PartialResults)
        if partial is not None and rng.random() < partial.rate:
            self._truncate(job, partial.keep, rng)
            job.partial = not partial.silent
            self._emit(
                records.RESULT_PARTIAL({**self._ref(job), "shots_returned": job.shots_returned})
            )
        corrupt = sw.get(CorruptResults)
        if corrupt is not None and rng.random() < corrupt.rate:
            self._corrupt(job, corrupt.mode, rng)
        self._finish(job, JobStatus.DONE)

    def _truncate(self, job: BackendJob, keep: float, rng: random.Random) -> None:
        if job.outputs is None:
            assert job.counts is not None
            n = max(1, int(job.shots * keep))
            job.counts = results.truncate(job.counts, n, rng)
            job.memory_out = job.memory_out[:n] if job.memory_out is not None else None
            job.shots_returned = n
            return
        assert job.program is not None
        job.outputs = [
            self._truncated(out, circuit, keep, rng)
            for out, circuit in zip(job.outputs, job.program.circuits, strict=True)
        ]
        job.shots_returned = sum(sum(o.counts.values()) for o in job.outputs)

    @staticmethod
    def _truncated(
        out: RunOutput, circuit: PreparedCircuit, keep: float, rng: random.Random
    ) -> RunOutput:
        n = max(1, int(sum(out.counts.values()) * keep))
        packed = out.packed
        if packed is not None:
            packed = results.take_rows(packed, results.row_bytes(circuit.num_clbits), n, rng)
        return RunOutput(results.truncate(out.counts, n, rng), None, packed)

    def _corrupt(self, job: BackendJob, mode: str, rng: random.Random) -> None:
        if mode == "bitflip":
            self._bitflip(job, rng)
            return
        layout = job.program.layout if job.program is not None else None
        other = self._swap_candidates.get(layout)
        if other is None or other.result_fetched or other.status is not JobStatus.DONE:
            self._swap_candidates[layout] = job  # wait for a partner finishing later
            return
        del self._swap_candidates[layout]
        job.counts, other.counts = other.counts, job.counts
        job.memory_out, other.memory_out = other.memory_out, job.memory_out
        job.outputs, other.outputs = other.outputs, job.outputs
        self._emit(
            records.RESULT_CORRUPTED(
                {
                    **self._ref(job),
                    "mode": "swap",
                    "with_job": other.id,
                    "with_idempotency_key": other.idempotency_key,
                }
            )
        )

    def _bitflip(self, job: BackendJob, rng: random.Random) -> None:
        if job.outputs is None:
            assert job.counts is not None
            job.counts, bit = results.bitflip(job.counts, rng)
            if job.memory_out is not None and bit >= 0:
                job.memory_out = results.flip_memory(job.memory_out, bit)
        else:
            assert job.program is not None
            flipped = []
            for out, circuit in zip(job.outputs, job.program.circuits, strict=True):
                counts, bit = results.bitflip(out.counts, rng)
                packed = out.packed
                if packed is not None and bit >= 0:
                    packed = results.flip_rows(packed, results.row_bytes(circuit.num_clbits), bit)
                flipped.append(RunOutput(counts, None, packed))
            job.outputs = flipped
        record = records.ResultCorrupted(
            backend=self.backend,
            job=job.id,
            tenant=job.tenant,
            idempotency_key=job.idempotency_key,
            mode="bitflip",
        )
        self._emit(records.RESULT_CORRUPTED(record))

    def _ref(self, job: BackendJob) -> records.JobRef:
        return {
            "backend": self.backend,
            "job": job.id,
            "tenant": job.tenant,
            "idempotency_key": job.idempotency_key,
        }

    def _mark(self, job: BackendJob, status: JobStatus) -> None:
        if not job.background:
            self.states[job.status.value] -= 1
            self.states[status.value] += 1
        job.status = status

    def _finish(
        self,
        job: BackendJob,
        status: JobStatus,
        *,
        error: str | None = None,
        code: str | None = None,
    ) -> None:
        self._mark(job, status)
        job.error = error
        job.error_code = code
        job.finished_at = self._clock.now()
        job.done.set()
        if job.started_at is None:
            return  # never executed: nothing was spent on the device
        self.executions[status.value] += 1
        self.qpu_seconds[job.tenant] += job.qpu_seconds
        execution: records.Execution = {
            **self._ref(job),
            "shots": job.shots,
            "status": status.value,
            "started": job.started_at,
            "qpu_s": round(job.qpu_seconds, 6),
            "calibration_version": job.calibration_version,
            "error_code": code,
            "shots_returned": job.shots_returned,
            "fingerprint": job.fingerprint,
            "aer_lag_s": round(max(0.0, job.aer_lag), 3) if job.aer_lag is not None else None,
            "simulated": job.simulated,
        }
        self._emit(records.EXECUTION(execution))
