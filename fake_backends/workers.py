"""A pool of worker processes that survives its workers: killed, stuck or out of memory.

:class:`concurrent.futures.ProcessPoolExecutor` breaks for good when one worker dies
(what the kernel's OOM killer does): every later call raises ``BrokenProcessPool``, and
it cannot stop one stuck call without killing every worker. Here each worker is one
process with its own pipe, running one call at a time, so the pool knows which call
each worker holds:

- a call past its ``deadline`` (wall seconds, timed in the thread that waits for the
  answer: never on the event loop's clock, which is virtual in a virtual-time game day
  and stands still while work is outstanding) SIGKILLs its worker and raises
  :class:`~fake_backends.errors.WorkTimeout`;
- a worker that dies during a call raises :class:`~fake_backends.errors.WorkerDied`
  for that call only;
- either way the worker is replaced at once (a fresh fork from the forkserver), and
  an idle worker found dead is replaced before it is given work; :meth:`check` does
  that for all of them (the fake clouds' ``/healthz``).

Workers ask the kernel to kill them when their parent, the forkserver, dies
(:func:`plumbing.lifetime.die_with_parent`); the forkserver itself exits when the
process that started it dies. So a SIGKILLed harness leaves no Aer worker behind.

The pipes are read and written in threads of the pool's own (one per worker), never
on the event loop: results can be large (per-shot memory).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import multiprocessing
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any, Self

from fake_backends.errors import ExecutionFailed, WorkerDied, WorkTimeout
from plumbing.lifetime import die_with_parent

__all__ = ["WorkerPool"]

log = logging.getLogger(__name__)

STOP_WAIT_S = 5.0


def _worker_main(conn: Connection, initializer: Callable[[], None] | None) -> None:
    die_with_parent()
    if initializer is not None:
        initializer()
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return  # the pool closed our pipe (or died): nothing more to do
        try:
            answer: tuple[str, Any] = ("ok", fn(*args))
        except Exception as exc:
            answer = ("error", exc)
        try:
            conn.send(answer)
        except (EOFError, OSError):
            return
        except Exception as exc:  # an answer that cannot be pickled
            conn.send(("error", ExecutionFailed(f"worker answer not transferable: {exc}")))


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, ctx: Any, initializer: Callable[[], None] | None) -> None:
        ours, theirs = ctx.Pipe(duplex=True)
        self.process: BaseProcess = ctx.Process(
            target=_worker_main, args=(theirs, initializer), daemon=True, name="aer-worker"
        )
        self.process.start()
        theirs.close()
        self.conn: Connection = ours

    def call(
        self, fn: Callable[..., Any], args: tuple[Any, ...], deadline: float
    ) -> tuple[str, Any]:
        """Send one call and wait for its answer (in a pool thread), ``deadline`` wall
        seconds at most: then ``("timeout", None)``, the worker still busy with it."""
        self.conn.send((fn, args))
        if not self.conn.poll(deadline):  # True on an answer, and on end of file (death)
            return ("timeout", None)
        answer: tuple[str, Any] = self.conn.recv()
        return answer

    def alive(self) -> bool:
        """Not known to be dead. For an idle worker, a readable pipe means its end closed:
        it died, and the forkserver (its parent, which reaps it) may not have said so."""
        try:
            return self.process.is_alive() and not self.conn.poll(0)
        except OSError:
            return False

    def stop(self) -> None:
        """SIGKILL the worker and reap it (blocking: call it off the event loop)."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(STOP_WAIT_S)

    def describe_death(self) -> str:
        code = self.process.exitcode
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            hint = " (out of memory?)" if -code == signal.SIGKILL else ""
            return f"killed by {name}{hint}"
        return f"exited with status {code}"


class WorkerPool:
    """``size`` worker processes; :meth:`run` one call on an idle one, with a deadline.

    >>> async with WorkerPool(2, initializer=init) as pool:           # doctest: +SKIP
    ...     await pool.run(simulate, batch, deadline=60)
    """

    def __init__(self, size: int, *, initializer: Callable[[], None] | None = None) -> None:
        if size < 1:
            raise ValueError(f"a pool needs at least one worker, got {size}")
        self.size = size
        self.replaced = 0  # workers replaced after a death or a deadline (for /metrics, tests)
        self._initializer = initializer
        self._ctx = multiprocessing.get_context("forkserver")
        self._workers: list[_Worker] = []
        self._idle: collections.deque[_Worker] = collections.deque()
        self._free = asyncio.Semaphore(size)
        self._fresh: dict[int, _Worker] = {}  # replacements of workers that failed a call
        self._threads: ThreadPoolExecutor | None = None

    @property
    def pids(self) -> list[int]:
        """Process ids of the current workers (tests kill them to play the OOM killer)."""
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    @property
    def busy_pids(self) -> list[int]:
        """Process ids of the workers running a call now."""
        idle = {id(w) for w in self._idle}
        return [w.process.pid for w in self._workers if id(w) not in idle and w.process.pid]

    async def __aenter__(self) -> Self:
        self._threads = ThreadPoolExecutor(self.size, thread_name_prefix="worker-io")
        # Started here, on the loop's thread: the forkserver's parent must be a thread
        # that lives as long as the pool (see plumbing.lifetime).
        for _ in range(self.size):
            worker = _Worker(self._ctx, self._initializer)
            self._workers.append(worker)
            self._idle.append(worker)
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        workers, self._workers = self._workers, []
        for w in self._idle:
            w.conn.close()  # an idle worker reads end of file and returns
        self._idle.clear()  # busy ones (a caller not cancelled yet) are killed: its thread
        await asyncio.get_running_loop().run_in_executor(None, _stop_all, workers)
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
            self._threads = None

    def check(self) -> bool:
        """Replace idle workers found dead; True when every worker is alive."""
        try:
            for i, w in enumerate(self._idle):
                if not w.alive():
                    self._idle[i] = self._replace_dead(w)
        except Exception:  # cannot start a worker (the forkserver is gone): unhealthy
            log.exception("cannot replace a dead worker")
            return False
        return bool(self._workers) and all(w.process.is_alive() for w in self._workers)

    async def run(self, fn: Callable[..., Any], *args: Any, deadline: float) -> Any:
        """Run ``fn(*args)`` in a worker; its exception is raised here.

        Raises :class:`WorkTimeout` after ``deadline`` wall seconds (the worker is killed
        and replaced) and :class:`WorkerDied` when the worker died meanwhile.
        """
        if self._threads is None:
            raise RuntimeError("WorkerPool used outside 'async with'")
        async with self._free:
            worker = self._idle.popleft()
            if not worker.alive():
                worker = self._replace_dead(worker)
            try:
                kind, value = await self._call(worker, fn, args, deadline)
            finally:
                if worker in self._workers:
                    self._idle.append(worker)
                elif (fresh := self._fresh.pop(id(worker), None)) is not None:
                    self._idle.append(fresh)
        if kind == "error":
            raise value
        return value

    async def _call(
        self, worker: _Worker, fn: Callable[..., Any], args: tuple[Any, ...], deadline: float
    ) -> tuple[str, Any]:
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(self._threads, worker.call, fn, args, deadline)
        try:
            await asyncio.wait({fut})  # not `await fut`: a cancel must not cancel the read
        except asyncio.CancelledError:
            await asyncio.shield(self._retire(worker, fut))  # it may still be busy: kill it
            raise
        try:
            kind, value = fut.result()
        except (EOFError, OSError):
            await self._retire(worker, fut)
            raise WorkerDied(f"the Aer worker died: {worker.describe_death()}") from None
        if kind == "timeout":
            await self._retire(worker, fut)
            raise WorkTimeout(f"stopped after the {deadline:g} s deadline")
        return kind, value

    async def _retire(self, worker: _Worker, io: asyncio.Future[Any]) -> None:
        """Kill ``worker``, wait for its pipe thread, then close the pipe and replace it.

        The pipe is closed only after the thread reading it returned (it reads end of
        file once the worker is dead): closing it under a reading thread could hand
        that thread the next pipe opened with the same descriptor.
        """
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, worker.stop)
        await asyncio.wait({io})
        if not io.cancelled():
            io.exception()  # retrieved: EOFError, as expected
        worker.conn.close()
        if worker in self._workers:
            self._fresh[id(worker)] = self._spawn_instead(worker)

    def _replace_dead(self, worker: _Worker) -> _Worker:
        worker.stop()  # dead already: reaping it does not block
        worker.conn.close()  # and no thread reads its pipe: it was idle
        return self._spawn_instead(worker)

    def _spawn_instead(self, worker: _Worker) -> _Worker:
        fresh = _Worker(self._ctx, self._initializer)
        self._workers[self._workers.index(worker)] = fresh
        self.replaced += 1
        return fresh


def _stop_all(workers: list[_Worker]) -> None:
    # Their pipes are closed: idle workers return at once; busy ones are killed.
    for w in workers:
        w.process.join(0 if w.process.exitcode is not None else 0.5)
    for w in workers:
        w.stop()
