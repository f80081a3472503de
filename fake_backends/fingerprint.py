"""A circuit's fingerprint: its ideal output distribution over its classical bits.

Runs inside the Aer workers (it imports qiskit). Whatever a client does to a circuit
on its way to a backend (a transpiler at any optimisation level, a layout, routing
SWAPs, a protocol's serialisation), a correct circuit still means the same thing: the
distribution of its measured bits without noise. That is what the backend records for
every execution (``backend.execution`` ``fingerprint``), and what the harness compares
with the ideal distribution of each job it submitted (its workload circuits carry a
per-job rotation, so no two jobs share one: ``harness.load.circuits``). A system under
test that drops or rewrites idempotency keys is still caught running one job twice.

Only circuits whose measurements all come at the end, on at most
:data:`MAX_QUBITS` qubits that do something, get a fingerprint (a statevector of that
size costs well under a millisecond); for the rest it is ``None`` and the ledger falls
back to idempotency keys. Probabilities below :data:`FLOOR` are left out and the rest
rounded to :data:`DIGITS` decimals: simulator rounding is ~1e-15, jobs differ by
> 1e-6.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DIGITS", "FLOOR", "MAX_QUBITS", "fingerprint"]

MAX_QUBITS = 16
FLOOR = 1e-9
DIGITS = 12
_IGNORED = ("barrier", "delay")


def fingerprint(circuit: Any) -> dict[str, float] | None:
    """The ideal distribution of ``circuit``'s classical bits (Qiskit's bit order), or None.

    ``circuit`` is a qiskit ``QuantumCircuit``, as sent or transpiled onto a device
    (qubits that are never touched are left out before simulating).
    """
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Statevector

    used: dict[int, int] = {}
    body: list[tuple[Any, list[int]]] = []
    measured: dict[int, int] = {}  # clbit -> qubit
    for inst in circuit.data:
        name = inst.operation.name
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        if name in _IGNORED:
            continue
        if name == "measure":
            clbit = circuit.find_bit(inst.clbits[0]).index
            measured[clbit] = qubits[0]
            used.setdefault(qubits[0], len(used))
            continue
        if measured and any(q in measured.values() for q in qubits):
            return None  # a gate after a measurement on that qubit: not end-measured
        if inst.clbits or getattr(inst.operation, "condition", None) is not None:
            return None  # classical control: no single ideal distribution
        for q in qubits:
            used.setdefault(q, len(used))
        body.append((inst.operation, qubits))
    if not measured or len(used) > MAX_QUBITS:
        return None
    small = QuantumCircuit(len(used))
    small.global_phase = circuit.global_phase
    for op, qubits in body:
        small.append(op, [used[q] for q in qubits])
    try:
        state = Statevector(small)
    except Exception:  # an operation without a matrix (reset, ...): no fingerprint
        return None
    # qargs in clbit order: probabilities_dict keys put qargs[0] rightmost, like counts
    width = circuit.num_clbits
    order = [used[measured[c]] for c in range(width) if c in measured]
    probs = state.probabilities_dict(qargs=order)
    present = [c for c in range(width) if c in measured]
    out: dict[str, float] = {}
    for bits, p in probs.items():
        if p < FLOOR:
            continue
        full = ["0"] * width  # an unmeasured clbit reads 0
        for i, c in enumerate(present):
            full[width - 1 - c] = bits[len(bits) - 1 - i]
        key = "".join(full)
        out[key] = round(out.get(key, 0.0) + float(p), DIGITS)
    return dict(sorted(out.items()))
