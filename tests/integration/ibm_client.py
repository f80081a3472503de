"""The real, unmodified qiskit-ibm-runtime client, driven from a child process.

The client is synchronous and imports qiskit, so tests run it in a spawned process
(:func:`client_pool`) and call these functions there; the test's event loop stays free
to inject faults while a client call blocks. The client is configured the way an
orchestrator would be: by environment variables only (:func:`connect` sets them, then
``QiskitRuntimeService()`` with no arguments). State (service, backend, jobs, an open
session) lives in the child between calls, so a test drives one client step by step.

Every call returns plain data: ``{"ok": True, "value": ...}`` or ``{"ok": False,
"error": <exception class>, "message": ..., "status": <HTTP status in the message or
None>}``, plus the warnings the client emitted and how long the call took.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager
from typing import Any

from tests.integration import sdk_child

_state: dict[str, Any] = {"jobs": {}, "isa": {}}
_STATUS = re.compile(r"\b([45]\d\d) (?:Client|Server) Error")


def _warm() -> None:
    import qiskit_ibm_runtime  # noqa: F401
    from qiskit.transpiler import generate_preset_pass_manager  # noqa: F401


def client_pool() -> AbstractContextManager[ProcessPoolExecutor]:
    """One spawned process for the client (its state persists between calls)."""
    return sdk_child.client_pool(_warm)


def _failure(exc: Exception) -> dict[str, Any]:
    text = str(exc)
    match = _STATUS.search(text)
    return {"message": text[:3000], "status": int(match.group(1)) if match else None}


def _attempt(fn: Callable[[], Any]) -> dict[str, Any]:
    return sdk_child.attempt(fn, _failure)


# -- set-up ---------------------------------------------------------------------


def connect(env: dict[str, str], backend: str, fractional: bool = False) -> dict[str, Any]:
    """Configure by environment, then ``QiskitRuntimeService()`` and ``backend(name)``
    (``use_fractional_gates``: a trapped-ion device's r and rxx are fractional gates to
    the client, left out of its Target unless asked for)."""
    os.environ.update(env)
    _state.update(jobs={}, isa={}, mode=None, earlier=[])

    def run() -> dict[str, Any]:
        from qiskit_ibm_runtime import QiskitRuntimeService

        service = QiskitRuntimeService()
        _state["service"] = service
        _state["backend"] = service.backend(backend, use_fractional_gates=fractional)
        return {"backend": _state["backend"].name, "num_qubits": _state["backend"].num_qubits}

    return _attempt(run)


def _isa(n: int) -> Any:
    """A GHZ-n circuit (``measure_all``: register ``meas``), transpiled for the backend."""
    if n not in _state["isa"]:
        from qiskit import QuantumCircuit
        from qiskit.transpiler import generate_preset_pass_manager

        qc = QuantumCircuit(n)
        qc.h(0)
        for i in range(n - 1):
            qc.cx(i, i + 1)
        qc.measure_all()
        pm = generate_preset_pass_manager(backend=_state["backend"], optimization_level=1)
        _state["isa"][n] = pm.run(qc)
    return _state["isa"][n]


def _mode() -> Any:
    return _state.get("mode") or _state["backend"]


# -- backend ----------------------------------------------------------------------


def status() -> dict[str, Any]:
    def run() -> dict[str, Any]:
        s = _state["backend"].status()
        return {"operational": s.operational, "status_msg": s.status_msg, "pending": s.pending_jobs}

    return _attempt(run)


def properties() -> dict[str, Any]:
    """``backend.properties(refresh=True)``: when it was updated, and qubit 0's numbers."""

    def run() -> dict[str, Any]:
        props = _state["backend"].properties(refresh=True)
        return {
            "last_update": props.last_update_date.isoformat(),
            "readout_error": [props.readout_error(q) for q in range(len(props.qubits))],
            "t1": props.t1(0),
        }

    return _attempt(run)


def target_readout_error(qubit: int) -> dict[str, Any]:
    """The measure error the client's own Target holds after ``backend.refresh()``."""

    def run() -> float:
        backend = _state["backend"]
        backend.refresh()
        return float(backend.target["measure"][(qubit,)].error)

    return _attempt(run)


def new_service(find_backend: bool = True) -> dict[str, Any]:
    """A fresh ``QiskitRuntimeService()`` (a new token exchange) replacing the old one.

    Without ``find_backend`` only the constructor runs (one token exchange): after a
    refused exchange, the client's next one waits up to 60 s (see the README).
    """

    def run() -> str:
        from qiskit_ibm_runtime import QiskitRuntimeService

        service = QiskitRuntimeService()
        name = _state["backend"].name
        if find_backend:
            _state["service"], _state["backend"] = service, service.backend(name)
        return str(name)

    return _attempt(run)


def isa_couplers(qubits: int) -> dict[str, Any]:
    """The couplers (physical qubit pairs) of the GHZ circuit transpiled for the backend."""

    def run() -> list[list[int]]:
        circuit = _isa(qubits)
        pairs = {
            tuple(circuit.find_bit(q).index for q in inst.qubits)
            for inst in circuit.data
            if len(inst.qubits) == 2 and inst.operation.name != "barrier"
        }
        return [list(p) for p in sorted(pairs)]

    return _attempt(run)


def refresh_backend(pair: list[int]) -> dict[str, Any]:
    """``backend.refresh()`` (a new Target from the configuration and properties the API
    serves now: ``service.backend(name)`` would reuse the service's cached configuration);
    the circuits transpiled before are kept aside (:func:`sample_earlier`). Returns
    whether the new Target has any gate on ``pair``."""

    def run() -> bool:
        _state["backend"].refresh()
        _state["earlier"].append(_state["isa"])
        _state["isa"] = {}
        target = _state["backend"].target
        return any(
            tuple(pair) in (target.qargs_for_operation_name(op) or ())
            for op in target.operation_names
        )

    return _attempt(run)


def sample_earlier(qubits: int = 3, shots: int = 500, refreshes: int = 0) -> dict[str, Any]:
    """Sample the GHZ circuit transpiled for the backend as it was before its
    ``refreshes``-th :func:`refresh_backend` (0: the first one)."""

    def run() -> str:
        from qiskit_ibm_runtime import SamplerV2

        circuit = _state["earlier"][refreshes][qubits]
        job = SamplerV2(mode=_mode()).run([circuit], shots=shots)
        _state["jobs"][job.job_id()] = job
        return str(job.job_id())

    return _attempt(run)


# -- jobs ---------------------------------------------------------------------------


def sample(qubits: int = 3, shots: int = 1000, tags: list[str] | None = None) -> dict[str, Any]:
    """``SamplerV2(mode).run([ghz], shots)``: returns the job id."""

    def run() -> str:
        from qiskit_ibm_runtime import SamplerV2

        sampler = SamplerV2(mode=_mode())
        if tags:
            sampler.options.environment.job_tags = tags
        job = sampler.run([_isa(qubits)], shots=shots)
        _state["jobs"][job.job_id()] = job
        return str(job.job_id())

    return _attempt(run)


def sweep(points: int, shots: int = 200) -> dict[str, Any]:
    """``SamplerV2.run`` of one qubit rotated by theta, over ``points`` values of theta
    in [0, pi] (an ISA circuit: sx, rz(theta), sx): returns the job id."""

    def run() -> str:
        import numpy as np
        from qiskit import QuantumCircuit
        from qiskit.circuit import Parameter
        from qiskit_ibm_runtime import SamplerV2

        theta = Parameter("theta")
        qc = QuantumCircuit(1, 1)
        qc.sx(0)
        qc.rz(theta, 0)
        qc.sx(0)
        qc.measure(0, 0)
        values = np.linspace(0, np.pi, points).reshape(points, 1)
        job = SamplerV2(mode=_mode()).run([(qc, values)], shots=shots)
        _state["jobs"][job.job_id()] = job
        return str(job.job_id())

    return _attempt(run)


def sweep_ones(job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """The fraction of 1s at each point of a :func:`sweep` job's result."""

    def run() -> list[float]:
        bits = _state["jobs"][job_id].result(timeout=timeout)[0].data.c
        return [float(x) for x in bits.bitcount().mean(axis=-1)]

    return _attempt(run)


def estimate(precision: float = 0.02) -> dict[str, Any]:
    """``EstimatorV2(mode).run`` on a Bell pair: ZZ, XX, YY and ZI, in that order."""

    def run() -> str:
        from qiskit import QuantumCircuit
        from qiskit.quantum_info import SparsePauliOp
        from qiskit.transpiler import generate_preset_pass_manager
        from qiskit_ibm_runtime import EstimatorV2

        qc = QuantumCircuit(2)
        qc.h(0)
        qc.cx(0, 1)
        pm = generate_preset_pass_manager(backend=_state["backend"], optimization_level=1)
        isa = pm.run(qc)
        observables = [
            SparsePauliOp(label).apply_layout(isa.layout) for label in ("ZZ", "XX", "YY", "ZI")
        ]
        job = EstimatorV2(mode=_mode()).run([(isa, observables)], precision=precision)
        _state["jobs"][job.job_id()] = job
        return str(job.job_id())

    return _attempt(run)


def execute(shots: int = 500) -> dict[str, Any]:
    """``Executor(mode).run(QuantumProgram)`` with one GHZ-3 circuit item."""

    def run() -> str:
        from qiskit_ibm_runtime import Executor, QuantumProgram

        program = QuantumProgram(shots=shots)
        program.append_circuit_item(_isa(3))
        job = Executor(_mode()).run(program)
        _state["jobs"][job.job_id()] = job
        return str(job.job_id())

    return _attempt(run)


def client_side(kind: str) -> dict[str, Any]:
    """The client-side Sampler / Estimator (built on the executor program)."""

    def run() -> str:
        from qiskit_ibm_runtime.executor_estimator import Estimator
        from qiskit_ibm_runtime.executor_sampler import Sampler

        if kind == "sampler":
            job = Sampler(mode=_mode()).run([_isa(3)], shots=800)
        else:
            from qiskit import QuantumCircuit
            from qiskit.quantum_info import SparsePauliOp
            from qiskit.transpiler import generate_preset_pass_manager

            qc = QuantumCircuit(2)
            qc.h(0)
            qc.cx(0, 1)
            isa = generate_preset_pass_manager(backend=_state["backend"]).run(qc)
            obs = SparsePauliOp("ZZ").apply_layout(isa.layout)
            job = Estimator(mode=_mode()).run([(isa, obs)])
        _state["jobs"][job.job_id()] = job
        return str(job.job_id())

    return _attempt(run)


def job_status(job_id: str) -> dict[str, Any]:
    return _attempt(lambda: _state["jobs"][job_id].status())


def wait(job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    def run() -> dict[str, Any]:
        job = _state["jobs"][job_id]
        job.wait_for_final_state(timeout=timeout)
        return {"status": job.status(), "error": job.error_message()}

    return _attempt(run)


def result(job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """The decoded result, summarized: counts per pub (sampler, executor) or evs."""

    def run() -> Any:
        job = _state["jobs"][job_id]
        out = job.result(timeout=timeout)
        return _summary(out)

    return _attempt(run)


def _summary(out: Any) -> Any:
    from qiskit_ibm_runtime.results import QuantumProgramResult

    if isinstance(out, QuantumProgramResult):
        return [
            {k: {"shape": list(v.shape), "counts": _bool_counts(v)} for k, v in item.items()}
            for item in out
        ]
    pubs = []
    for pub in out:
        data = pub.data
        if hasattr(data, "evs"):
            pubs.append({"evs": data.evs.tolist(), "stds": data.stds.tolist()})
        else:
            field = next(iter(data.keys()))
            bits = getattr(data, field)
            pubs.append(
                {
                    "counts": bits.get_counts(),
                    "shots": bits.num_shots,
                    "metadata": dict(pub.metadata),
                }
            )
    return pubs


def _bool_counts(array: Any) -> dict[str, int] | None:
    """Counts of a ``[..., shot, bit]`` boolean array (bit 0 rightmost), else None."""
    if array.dtype != bool or array.ndim < 2:
        return None
    rows = array.reshape(-1, array.shape[-1])
    counts: dict[str, int] = {}
    for row in rows:
        key = "".join("1" if b else "0" for b in reversed(row))
        counts[key] = counts.get(key, 0) + 1
    return counts


def job(job_id: str) -> dict[str, Any]:
    """``service.job(id)``: a job found again by id (e.g. after a restart)."""

    def run() -> dict[str, Any]:
        found = _state["service"].job(job_id)
        _state["jobs"][job_id] = found
        return {"status": found.status(), "program": found.primitive_id}

    return _attempt(run)


def cancel(job_id: str) -> dict[str, Any]:
    return _attempt(lambda: _state["jobs"][job_id].cancel())


def metrics(job_id: str) -> dict[str, Any]:
    return _attempt(lambda: _state["jobs"][job_id].metrics())


def usage() -> dict[str, Any]:
    return _attempt(lambda: _state["service"].usage())


def jobs(pending: bool | None = None, tags: list[str] | None = None) -> dict[str, Any]:
    """``service.jobs()``: this instance's jobs, newest first: id, status, program,
    session."""
    return _attempt(
        lambda: [
            (j.job_id(), j.status(), j.primitive_id, j.session_id)
            for j in _state["service"].jobs(pending=pending, job_tags=tags)
        ]
    )


# -- sessions and batches ------------------------------------------------------------


def open_mode(kind: str, max_time: int | None = None) -> dict[str, Any]:
    """Open a ``Session`` or ``Batch``; later submissions run in it until closed."""

    def run() -> str | None:
        from qiskit_ibm_runtime import Batch, Session

        cls = Session if kind == "session" else Batch
        _state["mode"] = cls(backend=_state["backend"], max_time=max_time)
        return str(_state["mode"].session_id)

    return _attempt(run)


def mode_status() -> dict[str, Any]:
    """The open (or the last closed) session's status and details."""

    def run() -> dict[str, Any]:
        mode = _state.get("mode") or _state["last_mode"]
        return {"status": mode.status(), "details": mode.details()}

    return _attempt(run)


def close_mode() -> dict[str, Any]:
    def run() -> None:
        mode, _state["mode"] = _state["mode"], None
        _state["last_mode"] = mode
        mode.close()

    return _attempt(run)
