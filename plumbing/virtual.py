"""Virtual time: an asyncio event loop whose clock jumps over idle time.

:class:`VirtualEventLoop` is an ordinary selector event loop (real sockets, real
threads, real processes behind them) whose ``time()`` is virtual: it starts at 0 and
moves only when the loop is **idle**, and then straight to the next timer. Every
``asyncio.sleep``, ``asyncio.timeout``, ``call_later`` and every library timer built on
them (aiohttp's client timeouts and keep-alive among them) runs on that clock, so a
program that is all in this loop runs "as fast as the machine allows", and a run's
course depends on what the program does, never on how fast the machine does it.
(trio's ``autojump_clock`` is the model; FoundationDB's and TigerBeetle's simulators
the motivation.)

**Idle**, precisely: each turn of the loop that would block (no callback ready, no
timer due) first polls the selector with timeout 0. The loop is idle when that poll
returns nothing *and* no **held work** is outstanding. Then ``time()`` jumps to the
earliest timer. Otherwise:

- a ready callback or a due timer: the loop runs it (it never sleeps then anyway);
- a readable or writable socket (a pending read, an accepted or completed connect, a
  writer whose buffer can drain): its callbacks run, time stays;
- held work outstanding: the loop blocks in *real* time until the oldest held item is
  done, then hands its outcome over; time stays.

**Held work** is anything the loop hands to another thread: every
:meth:`~asyncio.loop.run_in_executor` (hence ``asyncio.to_thread``, and the Aer worker
pool, whose pipes are read in threads) is held, and so is any
:class:`concurrent.futures.Future` passed to :meth:`VirtualEventLoop.hold`. A held
item's outcome reaches the program only when the loop is otherwise idle, one item at a
time, in the order they were *started*, whatever order the threads finished in: a
thread's speed decides when the handover happens in wall time, never what the
program sees first. That is what makes a run reproducible; it also means work in a
thread costs no virtual time. A part must therefore go through ``run_in_executor`` /
``to_thread`` / :meth:`~VirtualEventLoop.hold` to count as "in flight"; a thread that
calls ``call_soon_threadsafe`` on its own (or ``asyncio.wrap_future``) is outside
input, like a signal: the loop may jump over the time it takes.

**Sockets between parts of this process** (loopback TCP) need nothing: on Linux a
``send()`` on loopback hands the data to the peer's receive queue before it returns
(the loopback device delivers in the sender's own softirq), and asyncio sets
``TCP_NODELAY`` on every transport, so what one part sent is readable by the next
poll. ``benchmarks/loopback.py`` measures it (a sent message not yet readable at the
peer's next poll, over millions of sends, also under a CPU hog) and the unit tests
check a pending read holds time. Subprocesses run on real time, so the loop refuses to
start them (:meth:`~VirtualEventLoop.subprocess_exec`).

Deadlines that guard real work (the Aer workers' per-call deadline) must be wall-clock:
while held work is outstanding virtual time does not move, so a virtual timeout on it
would never fire.

>>> async def main():
...     await asyncio.sleep(3600)
...     return asyncio.get_running_loop().time()
>>> run(main())                     # an hour of virtual time, at once
3600.0
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import selectors
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, TypeVarTuple, Unpack

__all__ = ["VirtualEventLoop", "is_virtual", "run"]

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


@dataclass(slots=True)
class _Held:
    """Work in a thread whose outcome the loop hands over when idle (see the module)."""

    work: concurrent.futures.Future[Any]
    future: asyncio.Future[Any]

    def deliver(self) -> None:
        if self.future.done():  # the awaiting side gave up (cancelled)
            return
        if self.work.cancelled():
            self.future.cancel()
        elif (exc := self.work.exception()) is not None:
            self.future.set_exception(exc)
        else:
            self.future.set_result(self.work.result())


class _Selector(selectors.BaseSelector):
    """The real selector, consulted with timeout 0 first; the loop decides what idle means."""

    def __init__(self, inner: selectors.BaseSelector) -> None:
        self._inner = inner
        self.on_idle: Callable[[float | None], list[tuple[selectors.SelectorKey, int]]] | None
        self.on_idle = None

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._inner.get_map()

    def close(self) -> None:
        self._inner.close()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._inner.select(0)
        if ready or timeout == 0 or self.on_idle is None:  # timeout 0: callbacks are ready
            return ready
        return self.on_idle(timeout)

    def wait(self, timeout: float | None) -> list[tuple[selectors.SelectorKey, int]]:
        """Block in real time (for held work, or for the outside world)."""
        return self._inner.select(timeout)


class VirtualEventLoop(asyncio.SelectorEventLoop):
    """A selector event loop on virtual time (see the module docstring).

    ``jumps`` counts the times virtual time moved; ``waits`` the times the loop blocked
    in real time for held work (both for tests and benchmarks).
    """

    def __init__(self) -> None:
        self._now = 0.0
        self._held: collections.deque[_Held] = collections.deque()
        self.jumps = 0
        self.waits = 0
        self._vselector = _Selector(selectors.DefaultSelector())
        super().__init__(self._vselector)
        self._vselector.on_idle = self._idle
        self._threads: concurrent.futures.Executor | None = None  # the default executor

    def time(self) -> float:
        """Virtual seconds since the loop was made."""
        return self._now

    @property
    def held(self) -> int:
        """Held items not handed over yet."""
        return len(self._held)

    def hold(self, work: concurrent.futures.Future[T]) -> asyncio.Future[T]:
        """An asyncio future of ``work`` (running in some thread), handed over when idle.

        Until then the loop counts ``work`` as in flight: virtual time does not move.
        Cancelling the returned future cancels ``work`` if it has not started; if it has,
        the loop still waits for it (its thread is busy with it).
        """
        future = self.create_future()
        held = _Held(work, future)
        self._held.append(held)
        work.add_done_callback(self._wake)
        future.add_done_callback(lambda f: work.cancel() if f.cancelled() else None)
        return future

    def run_in_executor(
        self,
        executor: concurrent.futures.Executor | None,
        func: Callable[[Unpack[Ts]], T],
        *args: *Ts,
    ) -> asyncio.Future[T]:
        """Like the base loop's, but the result is held (see :meth:`hold`)."""
        if self.is_closed():
            raise RuntimeError("Event loop is closed")
        if executor is None:
            if self._threads is None:  # made lazily, as the base loop does
                self.set_default_executor(
                    concurrent.futures.ThreadPoolExecutor(thread_name_prefix="asyncio")
                )
            assert self._threads is not None
            executor = self._threads
        return self.hold(executor.submit(func, *args))

    def set_default_executor(self, executor: Any) -> None:
        super().set_default_executor(executor)  # the base loop shuts it down at the end
        self._threads = executor

    async def subprocess_exec(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "a subprocess runs on real time: it cannot join a virtual-time loop "
            "(run it on the scaled clock)"
        )

    async def subprocess_shell(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "a subprocess runs on real time: it cannot join a virtual-time loop "
            "(run it on the scaled clock)"
        )

    def _wake(self, _work: concurrent.futures.Future[Any]) -> None:
        # In the worker thread: wake a loop blocked in _idle (a no-op callback writes to
        # its self-pipe). The outcome itself is handed over by _idle, in order.
        try:
            self.call_soon_threadsafe(_nothing)
        except RuntimeError:  # the loop closed meanwhile: nobody is waiting
            pass

    def _idle(self, timeout: float | None) -> list[tuple[selectors.SelectorKey, int]]:
        # Called by the selector when nothing is ready and no callback is waiting.
        if self._held:
            oldest = self._held[0]
            if not oldest.work.done():
                self.waits += 1
                return self._vselector.wait(None)  # its completion writes the self-pipe
            self._held.popleft()
            self.call_soon(oldest.deliver)
            return []
        if timeout is None:  # no timer at all: only the outside world can wake us
            return self._vselector.wait(None)
        self._now += timeout
        self.jumps += 1
        return []


def _nothing() -> None:
    return None


def is_virtual(loop: asyncio.AbstractEventLoop | None = None) -> bool:
    """True when ``loop`` (default: the running one) runs on virtual time."""
    return isinstance(loop or asyncio.get_running_loop(), VirtualEventLoop)


def run(main: Coroutine[Any, Any, T], *, debug: bool | None = None) -> T:
    """``asyncio.run(main)`` on a fresh :class:`VirtualEventLoop` (virtual time from 0)."""
    with asyncio.Runner(debug=debug, loop_factory=VirtualEventLoop) as runner:
        return runner.run(main)
