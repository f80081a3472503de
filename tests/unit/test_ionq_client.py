"""The reference orchestrator's IonQ client: OpenQASM 3 (the workload's subset) ->
ionq.circuit.v1, checked through the fakes' own translation back to OpenQASM 3 and
qiskit (the same unitary), and refusals that say where."""

from __future__ import annotations

import re

import pytest

from fake_backends.api.ionq.circuit import to_qasm3
from harness.load.circuits import circuit
from plumbing.http_errors import ApiCallError
from plumbing.ionq_client import _error, to_ionq

qiskit = pytest.importorskip("qiskit")
from qiskit import qasm3  # noqa: E402
from qiskit.quantum_info import Operator  # noqa: E402


@pytest.mark.parametrize("name", ["bell", "ghz-3", "ghz-5", "canary-5"])
def test_workload_circuits_keep_their_unitary(name):
    source = circuit(name, idle_us=5.0, tag=0.37).qasm
    program, clbits = to_ionq(source)
    assert clbits == list(range(program["qubits"]))  # c[i] measures q[i]
    sent = qasm3.loads(to_qasm3(program).qasm)
    # the idle time is dropped (IonQ's format has none): compare with the circuit without it
    ref = qasm3.loads(source.replace("barrier q;\n", "").replace("delay[5us] q;\n", ""))
    for qc in (sent, ref):
        qc.remove_final_measurements()
    assert Operator(sent).equiv(Operator(ref))


def test_measurement_maps_and_angles():
    source = """OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
bit[2] c;
rx(pi/2) q[2];
rz(-pi) q[1];
ry(-0.25) q[0];
cz q[0], q[2];
swap q[1], q[2];
sdg q[0];
c[0] = measure q[2];
measure q[0] -> c[1];
"""
    program, clbits = to_ionq(source)
    assert clbits == [2, 0]
    assert program["qubits"] == 3
    assert program["circuit"][0] == {
        "gate": "rx",
        "targets": [2],
        "rotation": pytest.approx(1.5707963),
    }
    assert program["circuit"][3] == {"gate": "z", "controls": [0], "targets": [2]}
    assert program["circuit"][5] == {"gate": "si", "targets": [0]}


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("qubit[2] q;\nbit[2] c;\nccx q[0], q[1], q[0];\nc = measure q;", "not in the subset"),
        ("qubit[2] q;\nbit[2] c;\nrx(theta) q[0];\nc = measure q;", "literal angle"),
        ("qubit[2] q;\nbit[2] c;\nc = measure q;\nh q[0];", "after a measurement"),
        ("h q[0];", "declare the qubit and bit registers"),
        ("qubit[2] q;\nbit[2] c;\nh q[0];", "measures nothing"),
        ("qubit[2] q;\nbit[2] c;\nh q[5];\nc = measure q;", "expected a qubit"),
        ("qubit[2] q;\nbit[3] c;\nc = measure q;", "register sizes differ"),
    ],
)
def test_outside_the_subset_is_refused_saying_where(source, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        to_ionq(source)


def test_ionq_errors_carry_the_shared_code_and_retry_after():
    body = {"error": "Too Many Requests", "message": "slow down [rate_limited]", "statusCode": 429}
    err = _error(429, body, "3")
    assert isinstance(err, ApiCallError)
    assert (err.status, err.code, err.retry_after, err.retryable) == (
        429,
        "rate_limited",
        3.0,
        True,
    )
    assert _error(500, "oops", None).code == "error"
