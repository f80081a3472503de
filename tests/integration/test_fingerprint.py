"""A job's fingerprint survives qiskit's transpiler and every way a circuit reaches a backend.

Real qiskit: the workload's circuits are parsed, transpiled at optimisation levels 0-3
onto real device snapshots (FakeManilaV2, 5 qubits, CX; FakeSherbrooke, 127 qubits,
ECR), serialised as QPY / OpenQASM 3 / OpenQASM 2 the way a SUT would send them, and
prepared by the fake backend's own worker code; the fingerprint it computes must match
the job's ideal distribution and no other job's.
"""

from __future__ import annotations

import base64
import io
import random

import pytest
from qiskit import qasm2, qasm3, qpy, transpile
from qiskit_ibm_runtime.fake_provider import FakeManilaV2, FakeSherbrooke

from fake_backends import aer_worker
from fake_backends.fingerprint import fingerprint
from harness.load.circuits import Circuit, circuit, for_job, tag_of
from harness.scoring.identity import FingerprintIndex

NAMES = ("bell", "ghz-5", "canary-5", "canary-3")
DEVICES = {"FakeManilaV2": FakeManilaV2, "FakeSherbrooke": FakeSherbrooke}


def jobs(n: int = 12) -> list[Circuit]:
    rng = random.Random(3)
    return [for_job(circuit(NAMES[k % len(NAMES)]), rng, tag=tag_of(k, 0.4)) for k in range(n)]


@pytest.fixture(scope="module")
def index() -> tuple[list[Circuit], FingerprintIndex]:
    made = jobs()
    return made, FingerprintIndex((str(k), c.ideal) for k, c in enumerate(made))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_the_fingerprint_survives_transpilation(device, level, index):
    made, idx = index
    backend = DEVICES[device]()
    for k, c in enumerate(made):
        isa = transpile(qasm3.loads(c.qasm), backend, optimization_level=level, seed_transpiler=k)
        marks = fingerprint(isa)
        assert marks is not None, (device, level, c.name)
        assert idx.find(marks) == str(k), (device, level, c.name, marks, c.ideal)


def test_the_fingerprint_survives_every_wire_format_into_the_backend(index):
    """QPY (IBM's runtime), OpenQASM 3 and 2 of a SUT-transpiled circuit, through the
    fake backend's own parse + transpile + fingerprint (what it journals)."""
    made, idx = index
    backend = FakeManilaV2()
    for k, c in enumerate(made):
        isa = transpile(qasm3.loads(c.qasm), backend, optimization_level=3, seed_transpiler=k)
        buf = io.BytesIO()
        qpy.dump(isa, buf)
        sent = {
            "qpy": base64.b64encode(buf.getvalue()).decode(),
            "qasm3": qasm3.dumps(isa),
            "qasm2": qasm2.dumps(isa),
        }
        for fmt, source in sent.items():
            prepared = aer_worker.prepare("FakeManilaV2", fmt, source, 0)
            marks = dict(prepared["fingerprint"])
            assert idx.find(marks) == str(k), (fmt, c.name)


def test_circuits_that_have_no_single_ideal_distribution_get_none():
    from qiskit import QuantumCircuit

    mid = QuantumCircuit(2, 2)
    mid.h(0)
    mid.measure(0, 0)
    mid.x(0)  # acts after a measurement of its qubit
    mid.measure(0, 1)
    assert fingerprint(mid) is None
    wide = QuantumCircuit(20, 20)
    wide.h(range(20))
    wide.measure(range(20), range(20))
    assert fingerprint(wide) is None  # too many active qubits for a statevector
