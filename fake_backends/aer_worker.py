"""Code that runs inside the Aer worker processes (never on the event loop).

Everything CPU-heavy lives here: loading device snapshots, parsing and transpiling
circuits, building noise models and running Aer. The parent process reaches these
functions only through :mod:`fake_backends.executor`, which imports this module lazily
inside the workers, so the harness process never pays qiskit's import time.

Caches are per process: device snapshots by name, simulators by (device, calibration
version), transpiled circuits by (device, source hash).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import statistics
import warnings
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from fake_backends.executor import CircuitRejected

__all__ = ["describe", "prepare", "run_batch"]


@lru_cache(maxsize=16)
def _backend(device: str) -> Any:
    if device.startswith("generic:"):
        from qiskit.providers.fake_provider import GenericBackendV2

        return GenericBackendV2(num_qubits=int(device.split(":", 1)[1]), seed=1234)
    from qiskit_ibm_runtime import fake_provider

    cls = getattr(fake_provider, device, None)
    if cls is None or not isinstance(cls, type):
        raise CircuitRejected(f"unknown device {device!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # some snapshots warn that they are not typical
        return cls()


@lru_cache(maxsize=16)
def _simulator(device: str, version: int) -> Any:
    from qiskit_aer import AerSimulator

    return AerSimulator.from_backend(_backend(device))


def describe(device: str) -> dict[str, Any]:
    """Static facts and calibration snapshot of a device, as JSON-ready data."""
    backend = _backend(device)
    target = backend.target
    qubits: list[dict[str, Any]] = []
    props = backend.properties() if hasattr(backend, "properties") else None
    for q in range(backend.num_qubits):
        qp = target.qubit_properties[q] if target.qubit_properties else None
        meas = target["measure"].get((q,)) if "measure" in target else None
        row: dict[str, Any] = {
            "qubit": q,
            "t1_us": _us(getattr(qp, "t1", None)),
            "t2_us": _us(getattr(qp, "t2", None)),
            "frequency_ghz": _ghz(getattr(qp, "frequency", None)),
            "readout_error": getattr(meas, "error", None),
        }
        if props is not None:
            for name in ("prob_meas0_prep1", "prob_meas1_prep0"):
                row[name] = _prop(props, q, name)
        qubits.append(row)
    gates = [
        {
            "gate": name,
            "qubits": list(qargs),
            "error": ip.error,
            "duration_ns": ip.duration * 1e9 if ip.duration is not None else None,
        }
        for name in sorted(target.operation_names)
        if name not in ("measure", "delay", "reset") and target[name] is not None
        for qargs, ip in sorted(target[name].items(), key=lambda kv: kv[0] or ())
        if qargs is not None and ip is not None
    ]
    last_update = getattr(props, "last_update_date", None) if props is not None else None
    two_q = [g["error"] for g in gates if len(g["qubits"]) == 2 and g["error"] is not None]
    return {
        "name": device,
        "num_qubits": backend.num_qubits,
        "basis_gates": sorted(target.operation_names),
        "coupling_map": [list(e) for e in (backend.coupling_map.get_edges() or [])]
        if backend.coupling_map is not None
        else [],
        "last_update": (last_update or datetime.now(UTC)).isoformat(),
        "qubits": qubits,
        "gates": gates,
        "median_2q_error": statistics.median(two_q) if two_q else None,
    }


def prepare(device: str, fmt: str, source: str, seed: int) -> dict[str, Any]:
    """Parse and transpile one circuit for ``device``; return it as QPY bytes.

    Raises :class:`CircuitRejected` with a message fit for an HTTP 400 body.
    """
    key = hashlib.sha256(f"{device}\0{fmt}\0{seed}\0{source}".encode()).hexdigest()
    return _prepare_cached(key, device, fmt, source, seed)


@lru_cache(maxsize=512)
def _prepare_cached(key: str, device: str, fmt: str, source: str, seed: int) -> dict[str, Any]:
    from qiskit import qpy, transpile

    circuit = _parse(fmt, source)
    backend = _backend(device)
    if circuit.num_qubits > backend.num_qubits:
        raise CircuitRejected(
            f"circuit uses {circuit.num_qubits} qubits; device {device} has {backend.num_qubits}"
        )
    if circuit.num_clbits == 0:
        raise CircuitRejected("circuit has no classical bits: nothing would be measured")
    try:
        isa = transpile(circuit, backend=backend, optimization_level=1, seed_transpiler=seed)
    except Exception as exc:  # qiskit raises many types; the client needs the message
        raise CircuitRejected(f"cannot transpile for {device}: {exc}") from None
    buf = io.BytesIO()
    qpy.dump(isa, buf)
    return {
        "qpy": buf.getvalue(),
        "num_qubits": circuit.num_qubits,
        "num_clbits": circuit.num_clbits,
        "depth": isa.depth(),
    }


def _parse(fmt: str, source: str) -> Any:
    from qiskit import qasm2, qasm3, qpy

    try:
        if fmt == "qasm3":
            return qasm3.loads(source)
        if fmt == "qasm2":
            return qasm2.loads(
                source,
                include_path=(),  # never read local files named by a client
                custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS,
            )
        if fmt == "qpy":
            circuits = qpy.load(io.BytesIO(base64.b64decode(source, validate=True)))
            if len(circuits) != 1:
                raise CircuitRejected(f"QPY payload holds {len(circuits)} circuits; send one")
            return circuits[0]
    except CircuitRejected:
        raise
    except (binascii.Error, ValueError) as exc:
        raise CircuitRejected(f"invalid {fmt} payload: {exc}") from None
    except Exception as exc:  # parser errors come in many classes
        raise CircuitRejected(f"invalid {fmt} circuit: {exc}") from None
    raise CircuitRejected(f"unknown circuit format {fmt!r} (expected qasm3, qasm2 or qpy)")


def run_batch(
    device: str, version: int, items: list[tuple[bytes, int]], seed: int
) -> list[dict[str, Any]]:
    """Run prepared circuits with the device's noise in as few Aer calls as possible.

    ``items`` are (qpy, shots). Circuits with equal shots share one Aer call. Returns
    one ``{"counts": ...}`` or ``{"error": ...}`` per item, in order.
    """
    from qiskit import qpy

    sim = _simulator(device, version)
    circuits = [qpy.load(io.BytesIO(blob))[0] for blob, _ in items]
    out: list[dict[str, Any]] = [{} for _ in items]
    by_shots: dict[int, list[int]] = {}
    for i, (_, shots) in enumerate(items):
        by_shots.setdefault(shots, []).append(i)
    for shots, idx in by_shots.items():
        result = sim.run([circuits[i] for i in idx], shots=shots, seed_simulator=seed).result()
        for j, i in enumerate(idx):
            exp = result.results[j]
            if exp.success:
                out[i] = {"counts": dict(result.get_counts(j))}
            else:
                out[i] = {"error": str(getattr(exp, "status", "simulation failed"))}
    return out


def _us(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1e6


def _ghz(hz: float | None) -> float | None:
    return None if hz is None else hz / 1e9


def _prop(props: Any, qubit: int, name: str) -> float | None:
    try:
        return float(props.qubit_property(qubit, name)[0])
    except Exception:  # older snapshots lack the asymmetric readout numbers
        return None
