"""What the fuzz tests share: a budget, servers on a thread of their own, a tally.

``QG_FUZZ=long`` (``make fuzz``) multiplies every budget; ``make test`` runs the short
one (each file well under a minute on 2 cores). The tally counts what the issue's goal
counts: requests or files tried, server errors, tracebacks (exceptions our servers
logged), hangs (answers slower than :data:`HANG_S`) and processes left behind; the
session writes it to ``reports/fuzz.json`` and prints it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings

T = TypeVar("T")

LONG = os.environ.get("QG_FUZZ") == "long"
HANG_S = 10.0  # an answer slower than this (wall) is a hang

TALLY: Counter[str] = Counter()
WORKER_KEY = "qgameday_fuzz_tally"  # an xdist worker's tally, in its workeroutput


def budget(short: int, long: int) -> int:
    """How many examples a fuzz test tries: ``short`` in ``make test``, ``long`` in fuzz."""
    return long if LONG else short


def fuzz_settings(short: int, long: int) -> settings:
    """A server fuzz test's Hypothesis settings: :func:`budget` examples, no deadline (a
    real server on loopback answers at its own pace), no health checks, and the same
    examples every run."""
    return settings(
        max_examples=budget(short, long),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )


class TracebackCounter(logging.Handler):
    """Counts records logged with an exception (our servers' "unhandled error" logs)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            TALLY["tracebacks"] += 1
            self.seen.append(self.format(record))


@contextlib.contextmanager
def counting_tracebacks() -> Iterator[TracebackCounter]:
    handler = TracebackCounter()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@contextlib.contextmanager
def served(make: Callable[[], AbstractAsyncContextManager[T]]) -> Iterator[T]:
    """Run the async context ``make()`` on an event loop in a thread; yield what it yields.

    The fuzzers are synchronous (schemathesis, Hypothesis), the servers asyncio: each
    keeps its own loop, as a real client and server would.
    """
    ready = threading.Event()
    stop: asyncio.Event | None = None
    loop: asyncio.AbstractEventLoop | None = None
    box: dict[str, Any] = {}

    async def main() -> None:
        nonlocal stop, loop
        stop, loop = asyncio.Event(), asyncio.get_running_loop()
        try:
            async with make() as value:
                box["value"] = value
                ready.set()
                await stop.wait()
        except BaseException as exc:
            box["error"] = exc
            ready.set()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    ready.wait(120)
    if "error" in box:
        raise box["error"]
    try:
        yield box["value"]
    finally:
        assert loop is not None
        assert stop is not None
        loop.call_soon_threadsafe(stop.set)
        thread.join(60)
