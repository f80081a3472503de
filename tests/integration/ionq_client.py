"""The real, unmodified qiskit-ionq client, driven from a child process.

Like :mod:`tests.integration.ibm_client`: the client is synchronous and imports qiskit,
so tests run it in a spawned process (:func:`client_pool`) and call these functions
there. It is configured the way an orchestrator would be: by environment variables
only (:func:`connect` sets ``IONQ_API_KEY`` / ``IONQ_API_URL``, then ``IonQProvider()``
with no arguments). State (provider, backend, jobs) lives in the child between calls.

Every call returns plain data: ``{"ok": True, "value": ...}`` or ``{"ok": False,
"error": <exception class>, "message": ..., "status": <the API's HTTP status or
None>}``, plus the warnings the client emitted (its retries are warnings) and how long
the call took.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager
from typing import Any

from tests.integration import sdk_child

_state: dict[str, Any] = {"jobs": {}}


def _warm() -> None:
    import qiskit_ionq  # noqa: F401
    from qiskit import transpile  # noqa: F401


def client_pool() -> AbstractContextManager[ProcessPoolExecutor]:
    """One spawned process for the client (its state persists between calls)."""
    return sdk_child.client_pool(_warm)


def _status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if status is None:  # IonQRetriableError wraps the IonQAPIError (or a requests error)
        status = getattr(getattr(exc, "_cause", None), "status_code", None)
    return status if isinstance(status, int) else None


def _failure(exc: Exception) -> dict[str, Any]:
    cause = getattr(exc, "_cause", None)
    return {
        "message": f"{exc} {cause or ''}"[:3000],
        "status": _status_of(exc),
        "error_type": getattr(exc, "error_type", getattr(cause, "error_type", None)),
    }


def _attempt(fn: Callable[[], Any]) -> dict[str, Any]:
    return sdk_child.attempt(fn, _failure)


# -- set-up ---------------------------------------------------------------------


def connect(env: dict[str, str], backend: str, gateset: str = "qis") -> dict[str, Any]:
    """Configure by environment, then ``IonQProvider()`` and ``get_backend(name)``."""
    os.environ.update(env)
    _state.update(jobs={}, backend_name=backend, gateset=gateset)
    return new_provider()


def new_provider() -> dict[str, Any]:
    """A fresh ``IonQProvider()`` and backend (what "re-authenticating" means here); the
    jobs already held keep their own client."""
    backend, gateset = _state["backend_name"], _state["gateset"]

    def run() -> dict[str, Any]:
        from qiskit_ionq import IonQProvider

        provider = IonQProvider()
        _state["provider"] = provider
        _state["backend"] = provider.get_backend(backend, gateset=gateset)
        _state["ghz"] = {}
        _ghz(3)
        return {"backend": _state["backend"].name, "num_qubits": _state["backend"].num_qubits}

    return _attempt(run)


def _ghz(n: int) -> Any:
    """A GHZ-n circuit transpiled for the backend (cached: a submission is one request)."""
    if n not in _state["ghz"]:
        from qiskit import QuantumCircuit, transpile

        qc = QuantumCircuit(n, n)
        qc.h(0)
        for i in range(n - 1):
            qc.cx(i, i + 1)
        qc.measure(range(n), range(n))
        # the native gateset needs the client's own transpiler (IonQ's GPI/GPI2/MS basis)
        _state["ghz"][n] = transpile(qc, backend=_state["backend"], optimization_level=1)
    return _state["ghz"][n]


# -- backend ----------------------------------------------------------------------


def status() -> dict[str, Any]:
    """The latest characterization's status: what ``backend.status()`` compares with
    "available" (one request, so a rate limit sees one call per step)."""

    def run() -> dict[str, Any]:
        cal = _state["backend"].calibration()
        return {"available": bool(cal and cal.status == "available"), "status": cal.status}

    return _attempt(run)


def properties() -> dict[str, Any]:
    """``backend.calibration()``: its date, SPAM fidelity and T1."""

    def run() -> dict[str, Any]:
        cal = _state["backend"].calibration()
        return {
            "id": cal.id,
            "date": cal.date.isoformat(),
            "qubits": cal.qubits,
            "connectivity": cal.connectivity,
            "fidelity": cal.fidelity,
            "timing": cal.timing,
        }

    return _attempt(run)


# -- jobs ---------------------------------------------------------------------------


def run(qubits: int = 3, shots: int = 1000, key: str | None = None) -> dict[str, Any]:
    """``backend.run(ghz, shots=...)``: returns the job id."""

    def go() -> str:
        extra = {"extra_metadata": {"qgameday_key": key}} if key else {}
        job = _state["backend"].run(_ghz(qubits), shots=shots, **extra)
        _state["jobs"][job.job_id()] = job
        return str(job.job_id())

    return _attempt(go)


def job_status(job_id: str) -> dict[str, Any]:
    return _attempt(lambda: _state["jobs"][job_id].status().name)


def wait(job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """``wait_for_final_state`` (polling every 0.1 s), then the final status."""

    def go() -> dict[str, Any]:
        job = _state["jobs"][job_id]
        job.wait_for_final_state(timeout=timeout, wait=0.1)
        return {"status": job.status().name}

    return _attempt(go)


def result(job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """``job.result()``: counts, shots and probabilities of the one experiment (None
    when the client returns none: a failed job, once its status raised)."""

    def go() -> list[dict[str, Any]] | None:
        out = _state["jobs"][job_id].result(timeout=timeout, wait=0.1)
        if out is None:  # what the client returns for a job it saw fail
            return None
        counts = out.get_counts()
        return [
            {
                "counts": dict(counts),
                "shots": out.results[0].shots,
                "probabilities": dict(out.get_probabilities()),
                "metadata": {},
            }
        ]

    return _attempt(go)


def retrieve(job_id: str) -> dict[str, Any]:
    """``backend.retrieve_job(id)``: a job found again by id (e.g. after a restart)."""

    def go() -> str:
        job = _state["backend"].retrieve_job(job_id)
        _state["jobs"][job_id] = job
        return str(job.status().name)

    return _attempt(go)


def cancel(job_id: str) -> dict[str, Any]:
    return _attempt(lambda: _state["jobs"][job_id].cancel())


def queue_time() -> dict[str, Any]:
    """The backend's ``average_queue_time`` (ms): qiskit-ionq has no call for it, so this
    is ``GET /backends/{name}`` made with the client's own URL and headers."""

    def go() -> int:
        import requests

        backend = _state["backend"]
        client = backend.client
        path = client.make_path("backends", backend._api_backend_name)
        res = requests.get(path, headers=client.api_headers, timeout=30)
        res.raise_for_status()
        return int(res.json()["average_queue_time"])

    return _attempt(go)
