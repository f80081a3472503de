"""Aer execution off the event loop: a process pool plus a micro-batcher.

Aer holds the GIL for a whole simulation, so a thread would stall the event loop;
work goes to a ``forkserver`` process pool instead. Jobs that become ready while the
workers are busy are grouped by calibration (one noise model) and sent as one batch,
which is many times faster than one Aer call per circuit.

Prepared circuits are cached here too, per (device, format, seed, source), and
concurrent identical prepares share one worker call: a workload that sends the same
circuit again and again costs one transpile, not one process round trip per job
(:meth:`AerExecutor.memo` does the same for any protocol's decoded work).

The workers are a :class:`~fake_backends.workers.WorkerPool`: every call has a deadline
(:class:`~fake_backends.limits.WorkLimits`), and a worker that dies or runs over is
replaced. A batch lost that way is re-run job by job, so only the job that killed its
worker (or ran past the deadline alone) fails, with a message saying so.

>>> async with AerExecutor(workers=1) as ex:          # doctest: +SKIP
...     prepared = await ex.prepare("FakeManilaV2", "qasm3", source, seed=1)
...     out = await ex.submit(calibration, prepared, 1024)
...     out.counts
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import importlib
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from fake_backends.errors import CircuitRejected, ExecutionFailed, WorkerDied, WorkTimeout
from fake_backends.limits import WorkLimits
from fake_backends.workers import WorkerPool

if TYPE_CHECKING:
    from fake_backends.calibration import Calibration

__all__ = ["AerExecutor", "Isa", "PreparedCircuit", "RunOutput"]

#: a target a circuit must already fit (basis gates, directed coupling map), or None
Isa = tuple[tuple[str, ...], tuple[tuple[int, int], ...]] | None

# One Aer call per batch is many times faster than one per circuit; the bound keeps one
# calibration's backlog from holding a worker while other calibrations' jobs wait.
MAX_BATCH = 64
# Devices up to this size keep every qubit, so all their jobs share one simulator and
# one batch. Bigger ones build noise per qubit set: measured, NoiseModel.from_backend on
# FakeSherbrooke (127 qubits) takes ~1.8-6 s, a GHZ-5 sub-device ~0.07 s (aer_worker).
WHOLE_DEVICE_QUBITS = 16
# Slightly lower priority than the event loop; 10 starved the workers on a machine busy
# with other processes (jobs waited minutes of scenario time for Aer).
WORKER_NICENESS = 2
# A workload sends a handful of distinct circuits (canaries: one per nonce); with 1024
# entries a repeat is a cache hit, not a worker round trip per job (measured: that round
# trip was the largest cost of exec_ratio before the parent cached).
PREPARED_CACHE = 1024
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PreparedCircuit:
    """A circuit transpiled for one device, compacted to its physical qubits, as QPY."""

    qpy: bytes
    num_qubits: int
    num_clbits: int
    depth: int
    physical_qubits: tuple[int, ...] = ()
    active_qubits: int = 0
    #: its ideal output distribution, sorted (see :mod:`fake_backends.fingerprint`)
    marks: tuple[tuple[str, float], ...] | None = None

    @property
    def fingerprint(self) -> dict[str, float] | None:
        """The ideal distribution of the circuit's bits: which logical job it is."""
        return dict(self.marks) if self.marks is not None else None


@dataclass(frozen=True, slots=True)
class RunOutput:
    """What one execution produced: counts, and per-shot results if asked for.

    ``memory`` is Aer's per-shot hex strings (the native API's ``memory``); ``packed``
    the same shots as rows of ``ceil(num_clbits / 8)`` big-endian bytes, clbit 0 the
    lowest bit of the last byte of a row (Qiskit's ``BitArray`` layout), for protocols
    that return per-shot bit arrays.
    """

    counts: dict[str, int]
    memory: tuple[str, ...] | None = None
    packed: bytes | None = None


_WARM_QASM = """OPENQASM 3.0;
include "stdgates.inc";
bit[1] c;
qubit[1] q;
h q[0];
c[0] = measure q[0];
"""


def _init_worker() -> None:
    # Ctrl-C goes to the whole process group; the parent decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Simulation is background work: on a busy machine the event loop (the API, the
    # scenario clock) must win the CPU, or its latency follows Aer's batches.
    os.nice(WORKER_NICENESS)
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_BATCH"):
        # CPU-bound, not interactive: the kernel lets a waking event loop preempt us
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))


def _call(op: str, *args: Any) -> Any:
    # Runs in the worker: import the heavy module there, never in the parent.
    return getattr(importlib.import_module("fake_backends.aer_worker"), op)(*args)


def _call_in(module: str, op: str, *args: Any) -> Any:
    # Runs in the worker, like _call, for the worker side of a protocol (it imports qiskit)
    return getattr(importlib.import_module(module), op)(*args)


@dataclass(slots=True)
class _Pending:
    circuit: PreparedCircuit
    shots: int
    memory: bool
    seed: int
    packed: bool
    future: asyncio.Future[RunOutput]
    owner: str | None = None  # the backend whose job it is (/metrics counts per backend)


class AerExecutor:
    """Process pool for Aer work with request batching.

    Use as an async context manager; it owns a background batching task and the
    pool, and shuts both down on exit. ``workers`` defaults to the CPU count (max 4).
    """

    def __init__(
        self, workers: int | None = None, *, seed: int = 0, limits: WorkLimits | None = None
    ) -> None:
        self.workers = workers or min(4, os.cpu_count() or 1)
        self.limits = limits or WorkLimits()
        self._seed = seed
        self._pool: WorkerPool | None = None
        self._waiting: dict[str, tuple[Calibration, list[_Pending]]] = {}
        self._wakeup = asyncio.Event()
        self._busy = asyncio.Semaphore(self.workers)
        self._preparing = asyncio.Semaphore(self.workers)
        self._batches = 0
        self._submitted = 0
        self._batches_of: collections.Counter[str] = collections.Counter()
        self._runner: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._memo: collections.OrderedDict[str, asyncio.Future[Any]] = collections.OrderedDict()

    @property
    def batches_run(self) -> int:
        """Number of Aer batch calls made so far (for tests and metrics)."""
        return self._batches

    @property
    def pool(self) -> WorkerPool:
        """The worker processes (tests kill them to play the OOM killer)."""
        if self._pool is None:
            raise RuntimeError("AerExecutor used outside 'async with'")
        return self._pool

    def healthy(self) -> bool:
        """Every worker alive (dead idle ones are replaced first): what /healthz reports."""
        return self._pool is not None and self._pool.check()

    def batches_of(self, owner: str) -> int:
        """Aer batch calls that ran at least one of ``owner``'s jobs (one executor serves
        every backend of a game day, and a batch may hold several backends' jobs)."""
        return self._batches_of[owner]

    async def __aenter__(self) -> Self:
        self._pool = await WorkerPool(self.workers, initializer=_init_worker).__aenter__()
        self._runner = asyncio.create_task(self._batch_loop(), name="aer-batcher")
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        tasks = [t for t in (self._runner, *self._inflight) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for _, batch in self._waiting.values():
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(ExecutionFailed("executor shut down"))
                    p.future.exception()  # retrieved: at shutdown nobody may await it
        self._waiting.clear()
        for fut in self._memo.values():
            if not fut.done():
                fut.cancel()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.__aexit__(et, ev, tb)

    async def call(self, op: str, *args: Any, deadline: float | None = None) -> Any:
        """Run ``aer_worker.<op>(*args)`` in a worker process and return its result.

        ``deadline`` (wall seconds) defaults to the set-up limit, for the harness's own
        calls; work a client asked for passes its own limit.
        """
        return await self._submit(_call, op, *args, deadline=deadline)

    async def call_in(self, module: str, op: str, *args: Any, deadline: float | None = None) -> Any:
        """Run ``<module>.<op>(*args)`` in a worker process (``module`` under fake_backends).

        For a protocol's worker side: the module is imported in the worker only, so the
        parent never loads what it imports (qiskit). ``deadline`` as for :meth:`call`.
        """
        if not module.startswith("fake_backends."):
            raise ValueError(f"worker modules live under fake_backends, not {module!r}")
        return await self._submit(_call_in, module, op, *args, deadline=deadline)

    async def memo(self, key: str, make: Callable[[], Awaitable[T]]) -> T:
        """``await make()`` once per ``key`` (LRU, shared by concurrent callers).

        Failures are not kept: a rejected input costs a worker call each time it comes
        back, while successes (prepared circuits, decoded programs) are reused.
        """
        fut = self._memo.get(key)
        if fut is None:
            fut = asyncio.ensure_future(make())
            self._memo[key] = fut
            fut.add_done_callback(lambda f: self._forget_memo(key, f))
            while len(self._memo) > PREPARED_CACHE:
                self._memo.popitem(last=False)
        else:
            self._memo.move_to_end(key)
        return cast(T, await asyncio.shield(fut))

    def _forget_memo(self, key: str, fut: asyncio.Future[Any]) -> None:
        if (fut.cancelled() or fut.exception() is not None) and self._memo.get(key) is fut:
            del self._memo[key]

    async def _submit(
        self, fn: Callable[..., Any], *args: Any, deadline: float | None = None
    ) -> Any:
        # Worker calls are pure (a batch is seeded), so a call whose worker died is run
        # once more on its replacement: the worker may have died of something else (the
        # OOM killer picks the biggest process), or before it even got the call (a
        # worker found dead just after its main thread exited, while its other threads
        # still held the pipe open). A second death is the call's own doing.
        limit = deadline or self.limits.setup_seconds
        try:
            return await self.pool.run(fn, *args, deadline=limit)
        except WorkerDied:
            return await self.pool.run(fn, *args, deadline=limit)

    async def warm(self, devices: list[str]) -> list[dict[str, Any]]:
        """Load each device, the parser and the transpiler in every worker.

        The first jobs of a game day then do not pay ~1 s of imports and set-up, which
        at a high time scale is minutes of scenario time.
        """
        per_worker = [self.describe(d) for d in devices for _ in range(self.workers)]
        described = await asyncio.gather(*per_worker)
        await asyncio.gather(
            *(
                self.call("prepare", d, "qasm3", _WARM_QASM, 0)
                for d in devices
                for _ in range(self.workers)
            )
        )
        return described[:: self.workers]

    async def warm_noise(self, calibration: Calibration) -> None:
        """Build and run the whole-device simulator of a small device in every worker.

        The first jobs then start at once instead of waiting for a noise-model build
        and Aer's first call (bigger devices build per qubit set, on demand).
        """
        if calibration.num_qubits <= WHOLE_DEVICE_QUBITS:
            qubits = tuple(range(calibration.num_qubits))
            calls = [self.call("warm_simulator", calibration, qubits) for _ in range(self.workers)]
            await asyncio.gather(*calls)

    async def describe(self, device: str) -> dict[str, Any]:
        """Calibration snapshot and static facts of a device (see ``aer_worker.describe``)."""
        try:
            result: dict[str, Any] = await self.call("describe", device)
        except CircuitRejected as exc:
            raise ValueError(str(exc)) from None
        return result

    async def prepare(
        self, device: str, fmt: str, source: str, *, seed: int, isa: Isa = None
    ) -> PreparedCircuit:
        """Parse and transpile a circuit; raise :class:`CircuitRejected` if it cannot run.

        ``isa`` (basis gates, coupling map): the circuit must already be an ISA circuit
        of that target (:class:`~fake_backends.errors.NotIsa` if not).
        """
        text = f"{device}\0{fmt}\0{seed}\0{isa!r}\0{source}"
        key = hashlib.sha256(text.encode()).hexdigest()
        return await self.memo(
            f"prepare:{key}", lambda: self._prepare(device, fmt, source, seed, isa)
        )

    async def _prepare(
        self, device: str, fmt: str, source: str, seed: int, isa: Isa
    ) -> PreparedCircuit:
        # At most one prepare per worker in the pool's FIFO queue: a burst of submits (a
        # SUT releasing its backlog) must not queue 40 transpiles ahead of a batch whose
        # jobs are already on the modelled device (measured at 40x: their Aer lag went
        # from ~10 to ~3 scenario seconds). Submits wait here instead, as on a busy API.
        limits = self.limits
        try:
            async with self._preparing:
                out = await self.call(
                    "prepare",
                    device,
                    fmt,
                    source,
                    seed,
                    limits.max_operations,
                    limits.max_depth,
                    isa,
                    deadline=limits.prepare_seconds,
                )
        except WorkTimeout:
            raise CircuitRejected(
                f"circuit too costly: parsing and transpiling it took over "
                f"{limits.prepare_seconds:g} s"
            ) from None
        except WorkerDied as exc:
            raise CircuitRejected(f"circuit could not be prepared: {exc}") from None
        return PreparedCircuit(
            out["qpy"],
            out["num_qubits"],
            out["num_clbits"],
            out["depth"],
            tuple(out["physical_qubits"]),
            out["active_qubits"],
            tuple((k, float(p)) for k, p in out["fingerprint"]) if out["fingerprint"] else None,
        )

    def submit(
        self,
        calibration: Calibration,
        circuit: PreparedCircuit,
        shots: int,
        *,
        memory: bool = False,
        seed: int | None = None,
        packed: bool = False,
        owner: str | None = None,
    ) -> asyncio.Future[RunOutput]:
        """Queue one prepared circuit; it joins whatever batch forms for its calibration.

        ``seed`` is the job's own simulator seed (default: one from the executor's seed
        and a counter). Returns a future of its output (``ExecutionFailed`` if Aer
        could not run it): counts, plus per-shot hex ``memory`` and/or ``packed`` rows
        when asked for. Cancelling the future drops the circuit if its batch has not
        started yet.
        """
        fut: asyncio.Future[RunOutput] = asyncio.get_running_loop().create_future()
        if seed is None:
            self._submitted += 1
            seed = self._seed + self._submitted
        entry = self._waiting.setdefault(calibration.id, (calibration, []))
        entry[1].append(_Pending(circuit, shots, memory, seed, packed, fut, owner))
        self._wakeup.set()
        return fut

    async def _batch_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._waiting:
                await self._busy.acquire()  # arrivals meanwhile join the next batch
                key = next(iter(self._waiting))
                calibration, pending = self._waiting[key]
                batch, rest = pending[:MAX_BATCH], pending[MAX_BATCH:]
                if rest:
                    self._waiting[key] = (calibration, rest)
                else:
                    del self._waiting[key]
                live = [p for p in batch if not p.future.done()]
                if not live:
                    self._busy.release()
                    continue
                task = asyncio.create_task(self._run(calibration, live))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)

    async def _run(self, calibration: Calibration, batch: list[_Pending]) -> None:
        try:
            await self._run_batch(calibration, batch)
        finally:
            self._busy.release()

    async def _run_batch(self, calibration: Calibration, batch: list[_Pending]) -> None:
        self._batches += 1
        self._batches_of.update({p.owner for p in batch if p.owner is not None})
        items = [
            (p.circuit.qpy, p.shots, p.circuit.physical_qubits, p.memory, p.packed, p.seed)
            for p in batch
        ]
        try:
            results = await self.call(
                "run_batch", calibration, items, deadline=self.limits.run_seconds
            )
        except (WorkTimeout, WorkerDied) as exc:
            if len(batch) > 1:  # lost with its worker: find out which job it was
                for p in batch:
                    if not p.future.done():
                        await self._run_batch(calibration, [p])
                return
            _fail(batch, ExecutionFailed(f"simulation stopped: {exc}"))
            return
        except Exception as exc:
            _fail(batch, ExecutionFailed(f"Aer batch failed: {exc}"))
            return
        for p, res in zip(batch, results, strict=True):
            if p.future.done():
                continue
            if "counts" in res:
                memory = tuple(res["memory"]) if "memory" in res else None
                p.future.set_result(RunOutput(res["counts"], memory, res.get("packed")))
            else:
                p.future.set_exception(ExecutionFailed(res.get("error", "simulation failed")))


def _fail(batch: list[_Pending], exc: ExecutionFailed) -> None:
    for p in batch:
        if not p.future.done():
            p.future.set_exception(exc)
