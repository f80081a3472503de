"""IonQ's ionq.circuit.v1 gate lists -> OpenQASM 3: exact unitaries, clear refusals.

The unitaries are checked against qiskit-ionq's own gate classes (its published
matrices) and qiskit's standard gates, through qiskit's OpenQASM 3 importer: what the
fake's workers parse.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from fake_backends.api.ionq.circuit import CircuitError, to_qasm3

qiskit = pytest.importorskip("qiskit")
from qiskit import QuantumCircuit, qasm3  # noqa: E402
from qiskit.circuit import library  # noqa: E402
from qiskit.quantum_info import Operator  # noqa: E402
from qiskit_ionq.ionq_gates import GPI2Gate, GPIGate, MSGate, ZZGate  # noqa: E402


def unitary(program: dict[str, Any]) -> Operator:
    qc = qasm3.loads(to_qasm3(program).qasm)
    qc.remove_final_measurements()
    return Operator(qc)


def reference(n: int, gate: Any, wires: list[int]) -> Operator:
    qc = QuantumCircuit(n)
    qc.append(gate, wires)
    return Operator(qc)


@pytest.mark.parametrize(
    ("gate", "expected"),
    [
        ({"gate": "gpi", "target": 1, "phase": 0.13}, (GPIGate(0.13), [1])),
        ({"gate": "gpi2", "target": 0, "phase": 0.37}, (GPI2Gate(0.37), [0])),
        (
            {"gate": "ms", "targets": [0, 2], "phases": [0.1, 0.7], "angle": 0.21},
            (MSGate(0.1, 0.7, 0.21), [0, 2]),
        ),
        ({"gate": "ms", "targets": [1, 0], "phases": [0.3, 0]}, (MSGate(0.3, 0), [1, 0])),
        ({"gate": "zz", "targets": [2, 1], "angle": 0.21}, (ZZGate(0.21), [2, 1])),
    ],
)
def test_native_gates_are_ionqs_unitaries(gate: dict[str, Any], expected: Any) -> None:
    got = unitary({"gateset": "native", "qubits": 3, "circuit": [gate]})
    assert got == reference(3, *expected)  # equal, global phase included


@pytest.mark.parametrize(
    ("gate", "expected"),
    [
        ({"gate": "vi", "targets": [0]}, (library.SXdgGate(), [0])),
        ({"gate": "v", "targets": [1], "controls": [0]}, (library.CSXGate(), [0, 1])),
        ({"gate": "x", "targets": [2], "controls": [0, 1]}, (library.CCXGate(), [0, 1, 2])),
        ({"gate": "x", "targets": [3], "controls": [0, 1, 2]}, (library.C3XGate(), [0, 1, 2, 3])),
        ({"gate": "cnot", "control": 3, "target": 0}, (library.CXGate(), [3, 0])),
        (
            {"gate": "z", "targets": [1], "controls": [2], "rotation": 0.4},
            (library.CPhaseGate(0.4), [2, 1]),
        ),
        ({"gate": "xx", "targets": [0, 3], "rotation": 0.3}, (library.RXXGate(0.3), [0, 3])),
        ({"gate": "yy", "targets": [1, 2], "rotation": 0.3}, (library.RYYGate(0.3), [1, 2])),
        ({"gate": "zz", "targets": [2, 0], "rotation": 0.3}, (library.RZZGate(0.3), [2, 0])),
        (
            {"gate": "yy", "targets": [1, 2], "controls": [0], "rotation": 0.3},
            (library.RYYGate(0.3).control(1), [0, 1, 2]),
        ),
        ({"gate": "swap", "targets": [1, 2], "controls": [3]}, (library.CSwapGate(), [3, 1, 2])),
    ],
)
def test_qis_gates(gate: dict[str, Any], expected: Any) -> None:
    got = unitary({"gateset": "qis", "qubits": 4, "circuit": [gate]})
    assert got == reference(4, *expected)


def test_every_qubit_is_measured_and_gates_are_counted() -> None:
    out = to_qasm3(
        {
            "qubits": 3,
            "circuit": [{"gate": "h", "targets": [0]}, {"gate": "cnot", "control": 0, "target": 1}],
        }
    )
    qc = qasm3.loads(out.qasm)
    assert (qc.num_qubits, qc.num_clbits, qc.count_ops()["measure"]) == (3, 3, 3)
    assert (out.qubits, out.one_qubit_gates, out.two_qubit_gates) == (3, 1, 1)


@pytest.mark.parametrize(
    ("program", "says"),
    [
        ([], "expected an object"),
        ({"gateset": "ore", "circuit": [{"gate": "h", "targets": [0]}]}, "input.gateset"),
        ({"circuit": []}, "non-empty list"),
        ({"circuit": [{"gate": "u3", "targets": [0]}]}, "'u3' is not a QIS gate"),
        ({"gateset": "native", "circuit": [{"gate": "h", "targets": [0]}]}, "not a native gate"),
        ({"circuit": [{"gate": "rx", "targets": [0]}]}, "rotation: expected a finite number"),
        ({"circuit": [{"gate": "rx", "targets": [0], "rotation": "NaN"}]}, "finite number"),
        ({"circuit": [{"gate": "x", "targets": [0], "controls": [0]}]}, "appears twice"),
        ({"circuit": [{"gate": "x", "targets": [-1]}]}, "qubit index"),
        ({"circuit": [{"gate": "x", "targets": [True]}]}, "qubit index"),
        ({"qubits": 2, "circuit": [{"gate": "x", "targets": [2]}]}, "acts on qubit 2"),
        ({"circuit": [{"gate": "swap", "targets": [0]}]}, "swap acts on 2"),
        ({"circuit": [{"gate": "cnot", "targets": [0]}]}, "cnot needs a control"),
        ({"circuit": ["h"]}, "input.circuit[0]: expected an object"),
    ],
)
def test_bad_programs_are_refused_saying_where(program: Any, says: str) -> None:
    with pytest.raises(CircuitError, match=re.escape(says)):
        to_qasm3(program)
