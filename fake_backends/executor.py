"""Aer execution off the event loop: a process pool plus a micro-batcher.

Aer holds the GIL for a whole simulation, so a thread would stall the event loop;
work goes to a ``forkserver`` process pool instead. Jobs that become ready while the
workers are busy are grouped by (device, calibration version) and sent as one batch,
which is many times faster than one Aer call per circuit.

>>> async with AerExecutor(workers=1) as ex:          # doctest: +SKIP
...     prepared = await ex.prepare("FakeManilaV2", "qasm3", source, seed=1)
...     counts = await ex.execute("FakeManilaV2", 0, prepared.qpy, 1024)
"""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

__all__ = ["AerExecutor", "CircuitRejected", "ExecutionFailed", "PreparedCircuit"]

MAX_BATCH = 64


class CircuitRejected(ValueError):
    """The circuit cannot run on the device; the message is safe to show a client."""


class ExecutionFailed(RuntimeError):
    """Aer failed to run a circuit that had been accepted."""


@dataclass(frozen=True, slots=True)
class PreparedCircuit:
    """A circuit parsed and transpiled for one device, stored as QPY bytes."""

    qpy: bytes
    num_qubits: int
    num_clbits: int
    depth: int


def _init_worker() -> None:
    # Ctrl-C goes to the whole process group; the parent decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _call(op: str, *args: Any) -> Any:
    # Runs in the worker: import the heavy module there, never in the parent.
    return getattr(importlib.import_module("fake_backends.aer_worker"), op)(*args)


@dataclass(slots=True)
class _Pending:
    qpy: bytes
    shots: int
    future: asyncio.Future[dict[str, int]]


class AerExecutor:
    """Process pool for Aer work with request batching.

    Use as an async context manager; it owns a background batching task and the
    pool, and shuts both down on exit. ``workers`` defaults to the CPU count (max 4).
    """

    def __init__(self, workers: int | None = None, *, seed: int = 0) -> None:
        self.workers = workers or min(4, os.cpu_count() or 1)
        self._seed = seed
        self._pool: ProcessPoolExecutor | None = None
        self._waiting: dict[tuple[str, int], list[_Pending]] = {}
        self._wakeup = asyncio.Event()
        self._busy = asyncio.Semaphore(self.workers)
        self._batches = 0
        self._runner: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()

    @property
    def batches_run(self) -> int:
        """Number of Aer batch calls made so far (for tests and metrics)."""
        return self._batches

    async def __aenter__(self) -> Self:
        ctx = multiprocessing.get_context("forkserver")
        self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_init_worker)
        self._runner = asyncio.create_task(self._batch_loop(), name="aer-batcher")
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        tasks = [t for t in (self._runner, *self._inflight) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for batch in self._waiting.values():
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(ExecutionFailed("executor shut down"))
        self._waiting.clear()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)

    async def _submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._pool is None:
            raise RuntimeError("AerExecutor used outside 'async with'")
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def warm(self, devices: list[str]) -> list[dict[str, Any]]:
        """Load each device in every worker so the first job does not pay for it."""
        per_worker = [self.describe(d) for d in devices for _ in range(self.workers)]
        described = await asyncio.gather(*per_worker)
        return described[:: self.workers]

    async def describe(self, device: str) -> dict[str, Any]:
        """Calibration snapshot and static facts of a device (see ``aer_worker.describe``)."""
        try:
            result: dict[str, Any] = await self._submit(_call, "describe", device)
        except CircuitRejected as exc:
            raise ValueError(str(exc)) from None
        return result

    async def prepare(self, device: str, fmt: str, source: str, *, seed: int) -> PreparedCircuit:
        """Parse and transpile a circuit; raise :class:`CircuitRejected` if it cannot run."""
        out = await self._submit(_call, "prepare", device, fmt, source, seed)
        return PreparedCircuit(out["qpy"], out["num_qubits"], out["num_clbits"], out["depth"])

    def submit(
        self, device: str, version: int, qpy: bytes, shots: int
    ) -> asyncio.Future[dict[str, int]]:
        """Queue one prepared circuit; it joins whatever batch forms for its noise model.

        Returns a future of its counts (``ExecutionFailed`` if Aer could not run it).
        Cancelling the future drops the circuit if its batch has not started yet.
        """
        fut: asyncio.Future[dict[str, int]] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault((device, version), []).append(_Pending(qpy, shots, fut))
        self._wakeup.set()
        return fut

    async def execute(self, device: str, version: int, qpy: bytes, shots: int) -> dict[str, int]:
        """Run one prepared circuit and wait for its counts (see :meth:`submit`)."""
        return await self.submit(device, version, qpy, shots)

    async def _batch_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._waiting:
                await self._busy.acquire()  # arrivals meanwhile join the next batch
                key = next(iter(self._waiting))
                batch = self._waiting[key][:MAX_BATCH]
                rest = self._waiting[key][MAX_BATCH:]
                if rest:
                    self._waiting[key] = rest
                else:
                    del self._waiting[key]
                live = [p for p in batch if not p.future.done()]
                if not live:
                    self._busy.release()
                    continue
                task = asyncio.create_task(self._run(key, live))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)

    async def _run(self, key: tuple[str, int], batch: list[_Pending]) -> None:
        device, version = key
        try:
            self._batches += 1
            seed = self._seed + self._batches
            items = [(p.qpy, p.shots) for p in batch]
            results = await self._submit(_call, "run_batch", device, version, items, seed)
        except Exception as exc:
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(ExecutionFailed(f"Aer batch failed: {exc}"))
            return
        finally:
            self._busy.release()
        for p, res in zip(batch, results, strict=True):
            if p.future.done():
                continue
            if "counts" in res:
                p.future.set_result(res["counts"])
            else:
                p.future.set_exception(ExecutionFailed(res.get("error", "simulation failed")))
