"""What the drivers of the real provider clients share (ibm_client, ionq_client).

A provider's client is synchronous and imports qiskit, so a test runs it in a spawned
process of its own (:func:`client_pool`) and calls the driver's functions there; the
test's event loop stays free to inject faults while a client call blocks. Every call
returns plain data (:func:`attempt`): ``{"ok": True, "value": ...}`` or ``{"ok": False,
"error": <exception class>, ...}`` with what the driver reads off the exception, plus
the warnings the client emitted and how long the call took.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Any


@contextmanager
def client_pool(warm: Callable[[], None]) -> Iterator[ProcessPoolExecutor]:
    """One spawned process for a client (its state persists between calls).

    ``warm`` runs there first: the client's imports, which every call would otherwise
    pay for (~2 s) the first time.
    """
    pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=warm)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def attempt(
    fn: Callable[[], Any], failure: Callable[[Exception], dict[str, Any]]
) -> dict[str, Any]:
    """``fn()`` as plain data; ``failure(exc)`` says what else a raised exception tells."""
    t0 = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out: dict[str, Any] = {"ok": True, "value": fn()}
        except Exception as exc:
            out = {"ok": False, "error": type(exc).__name__, **failure(exc)}
    out["warnings"] = [
        str(w.message) for w in caught if not issubclass(w.category, DeprecationWarning)
    ]
    out["seconds"] = round(time.monotonic() - t0, 3)
    return out
