"""IonQ's ``ionq.circuit.v1`` gate list, translated to OpenQASM 3 (pure text, no qiskit).

A job's ``input`` is ``{"gateset": "qis" | "native", "qubits": n, "circuit": [gate, ...]}``
(IonQ's API reference, "Writing quantum programs"). Every qubit is measured at the end
(the format has no measurements: results are distributions over all ``qubits``), so
the OpenQASM 3 program ends with ``c = measure q;`` and a result's bitstring ``b`` is
the integer IonQ keys its histograms by (qubit 0 is the least significant bit).

QIS gates (angles in radians): ``x y z h s si t ti v vi rx ry rz swap xx yy zz not
cnot``, each with optional ``controls``; ``z`` with a ``rotation`` is a phase gate
(how qiskit-ionq sends ``p``/``cp``/``mcphase``). Native gates (angles in turns):
``gpi``/``gpi2`` (``target``, ``phase``), ``ms`` (``targets``, ``phases``, ``angle``,
default 0.25), ``zz`` (``targets``, ``angle``). Their unitaries are IonQ's published
ones, written with standard gates:

- GPI(φ) = Rz(2πφ) X Rz(-2πφ); GPI2(φ) = Rz(2πφ) Rx(π/2) Rz(-2πφ);
- MS(φ0, φ1, θ) = (Rz(2πφ0) ⊗ Rz(2πφ1)) Rxx(2πθ) (Rz(-2πφ0) ⊗ Rz(-2πφ1));
- ZZ(θ) = Rzz(2πθ).

Anything else is refused with :class:`CircuitError` (a 400 saying which gate and why).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_GATES", "CircuitError", "IonqCircuit", "to_qasm3"]

MAX_GATES = 100_000  # the cloud's own costing (operations, depth) applies after this
MAX_QUBITS = 64

#: QIS gate -> OpenQASM 3 (stdgates.inc) name, its number of targets and angle count.
_QIS: dict[str, tuple[str, int, int]] = {
    "x": ("x", 1, 0),
    "not": ("x", 1, 0),
    "y": ("y", 1, 0),
    "z": ("z", 1, 0),
    "h": ("h", 1, 0),
    "s": ("s", 1, 0),
    "si": ("sdg", 1, 0),
    "t": ("t", 1, 0),
    "ti": ("tdg", 1, 0),
    "v": ("sx", 1, 0),
    "vi": ("inv @ sx", 1, 0),
    "rx": ("rx", 1, 1),
    "ry": ("ry", 1, 1),
    "rz": ("rz", 1, 1),
    "swap": ("swap", 2, 0),
    "xx": ("rxx", 2, 1),
    "yy": ("ryy", 2, 1),
    "zz": ("rzz", 2, 1),
    "cnot": ("x", 1, 0),
}
#: Gates with one control that stdgates.inc names itself (so no ``ctrl @`` is needed).
_CONTROLLED = {
    "x": "cx",
    "y": "cy",
    "z": "cz",
    "h": "ch",
    "rx": "crx",
    "ry": "cry",
    "rz": "crz",
    "p": "cp",
    "swap": "cswap",
}
#: Two-qubit rotations stdgates.inc lacks, defined in the programs that use them (exact
#: unitaries; only then: each definition costs the importer ~4 ms per parse, measured).
_DEFINITIONS = {
    "rxx": "gate rxx(t) a, b { h a; h b; cx a, b; rz(t) b; cx a, b; h a; h b; }",
    "ryy": "gate ryy(t) a, b { rx(pi/2) a; rx(pi/2) b; cx a, b; rz(t) b; cx a, b; "
    "rx(-pi/2) a; rx(-pi/2) b; }",
    "rzz": "gate rzz(t) a, b { cx a, b; rz(t) b; cx a, b; }",
}
GATESETS = ("qis", "native")


class CircuitError(ValueError):
    """A gate list this fake cannot run, and why (answered as a 400)."""


@dataclass(frozen=True, slots=True)
class IonqCircuit:
    """A translated circuit: its OpenQASM 3 source and the counts IonQ reports in stats."""

    qasm: str
    qubits: int
    one_qubit_gates: int
    two_qubit_gates: int


def to_qasm3(program: Any, max_qubits: int = MAX_QUBITS) -> IonqCircuit:
    """Translate a job's ``input`` object (see the module docstring)."""
    if not isinstance(program, dict):
        raise CircuitError("input: expected an object with gateset, qubits and circuit")
    gateset = program.get("gateset", "qis")
    if gateset not in GATESETS:
        raise CircuitError(f"input.gateset: expected one of {GATESETS}, found {gateset!r}")
    gates = program.get("circuit")
    if not isinstance(gates, list) or not gates:
        raise CircuitError("input.circuit: expected a non-empty list of gates")
    if len(gates) > MAX_GATES:
        raise CircuitError(f"input.circuit: at most {MAX_GATES} gates, found {len(gates)}")
    body: list[str] = []
    widest = -1
    counts = [0, 0]
    for i, gate in enumerate(gates):
        where = f"input.circuit[{i}]"
        if not isinstance(gate, dict):
            raise CircuitError(f"{where}: expected an object")
        lines, touched = (_native if gateset == "native" else _qis)(gate, where)
        if len(set(touched)) != len(touched):
            raise CircuitError(f"{where}: a qubit appears twice in one gate")
        widest = max(widest, *touched)
        counts[0 if len(touched) == 1 else 1] += 1
        body.extend(lines)
    declared = program.get("qubits", widest + 1)
    if not isinstance(declared, int) or isinstance(declared, bool) or declared < 1:
        raise CircuitError(f"input.qubits: expected a positive whole number, found {declared!r}")
    if declared <= widest:
        raise CircuitError(f"input.qubits is {declared}, but a gate acts on qubit {widest}")
    if declared > max_qubits:
        raise CircuitError(f"input.qubits: at most {max_qubits}, found {declared}")
    head = [
        "OPENQASM 3.0;",
        'include "stdgates.inc";',
        *(text for name, text in _DEFINITIONS.items() if any(name in line for line in body)),
        f"qubit[{declared}] q;",
        f"bit[{declared}] c;",
    ]
    text = "\n".join([*head, *body, "c = measure q;", ""])
    return IonqCircuit(text, declared, counts[0], counts[1])


def _qubit(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < MAX_QUBITS:
        raise CircuitError(f"{where}: expected a qubit index 0..{MAX_QUBITS - 1}, found {value!r}")
    return value


def _qubits(gate: dict[str, Any], key: str, where: str) -> list[int]:
    raw = gate.get(key)
    if not isinstance(raw, list) or not raw:
        raise CircuitError(f"{where}.{key}: expected a non-empty list of qubit indices")
    return [_qubit(q, f"{where}.{key}") for q in raw]


def _angle(gate: dict[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = gate.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise CircuitError(f"{where}.{key}: expected a finite number, found {value!r}")
    return float(value)


def _targets(gate: dict[str, Any], where: str) -> list[int]:
    if "target" in gate and "targets" not in gate:
        return [_qubit(gate["target"], f"{where}.target")]
    return _qubits(gate, "targets", where)


def _controls(gate: dict[str, Any], where: str) -> list[int]:
    if "control" in gate and "controls" not in gate:
        return [_qubit(gate["control"], f"{where}.control")]
    if "controls" not in gate:
        return []
    return _qubits(gate, "controls", where)


def _qis(gate: dict[str, Any], where: str) -> tuple[list[str], list[int]]:
    name = gate.get("gate")
    if name not in _QIS:
        raise CircuitError(
            f"{where}.gate: {name!r} is not a QIS gate (expected one of {sorted(_QIS)})"
        )
    qasm, n_targets, n_angles = _QIS[name]
    targets = _targets(gate, where)
    controls = _controls(gate, where)
    if name == "cnot" and not controls:
        raise CircuitError(f"{where}: cnot needs a control")
    if len(targets) != n_targets:
        raise CircuitError(f"{where}.targets: {name} acts on {n_targets}, found {len(targets)}")
    params: list[float] = []
    if n_angles:
        params = [_angle(gate, "rotation", where)]
    elif name == "z" and "rotation" in gate:  # qiskit-ionq's p, cp and mcphase
        qasm, params = "p", [_angle(gate, "rotation", where)]
    args = f"({', '.join(_num(p) for p in params)})" if params else ""
    wires = controls + targets
    operands = ", ".join(f"q[{w}]" for w in wires)
    if not controls:
        return [f"{qasm}{args} {operands};"], wires
    if len(controls) == 1 and qasm in _CONTROLLED:
        return [f"{_CONTROLLED[qasm]}{args} {operands};"], wires
    if qasm == "x" and len(controls) == 2:
        return [f"ccx {operands};"], wires
    # a modifier on the gate itself (not on a decomposition): exact under control
    return [f"ctrl({len(controls)}) @ {qasm}{args} {operands};"], wires


def _native(gate: dict[str, Any], where: str) -> tuple[list[str], list[int]]:
    name = gate.get("gate")
    if name in ("gpi", "gpi2"):
        (q,) = _one(gate, where)
        a = 2 * math.pi * _angle(gate, "phase", where)
        middle = "x" if name == "gpi" else f"rx({_num(math.pi / 2)})"
        return [f"rz({_num(-a)}) q[{q}];", f"{middle} q[{q}];", f"rz({_num(a)}) q[{q}];"], [q]
    if name == "ms":
        a, b = _two(gate, where)
        phases = gate.get("phases", [0, 0])
        if not isinstance(phases, list) or len(phases) != 2:
            raise CircuitError(f"{where}.phases: expected two numbers (turns)")
        p0, p1 = (2 * math.pi * _angle({"p": p}, "p", f"{where}.phases") for p in phases)
        theta = 2 * math.pi * _angle(gate, "angle", where, 0.25)
        return [
            f"rz({_num(-p0)}) q[{a}];",
            f"rz({_num(-p1)}) q[{b}];",
            f"rxx({_num(theta)}) q[{a}], q[{b}];",
            f"rz({_num(p0)}) q[{a}];",
            f"rz({_num(p1)}) q[{b}];",
        ], [a, b]
    if name == "zz":
        a, b = _two(gate, where)
        theta = 2 * math.pi * _angle(gate, "angle", where)
        return [f"rzz({_num(theta)}) q[{a}], q[{b}];"], [a, b]
    raise CircuitError(
        f"{where}.gate: {name!r} is not a native gate (expected gpi, gpi2, ms or zz)"
    )


def _one(gate: dict[str, Any], where: str) -> Sequence[int]:
    targets = _targets(gate, where)
    if len(targets) != 1:
        raise CircuitError(f"{where}: a one-qubit gate needs one target")
    return targets


def _two(gate: dict[str, Any], where: str) -> tuple[int, int]:
    targets = _targets(gate, where)
    if len(targets) != 2:
        raise CircuitError(f"{where}.targets: a two-qubit gate needs two targets")
    return targets[0], targets[1]


def _num(x: float) -> str:
    return repr(float(x))
