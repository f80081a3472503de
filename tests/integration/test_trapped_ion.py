"""Trapped-ion devices (``ionq:aria-1``) from published figures, end to end.

In the Aer worker code (in process): the target holds the figures, the noise model
built from it has each gate's published error and the SPAM readout error. Through the
real, unmodified qiskit-ionq (configured by environment, through the fault proxy): Bell
and GHZ jobs come back noisy but correct, and the characterization the client reads is
the published figures, moving under a calibration drift fault.
"""

from __future__ import annotations

import pytest
from qiskit.quantum_info import average_gate_fidelity

from fake_backends import aer_noise, aer_worker, trapped_ion
from fake_backends.calibration import Calibration, Factors
from harness.faults.calibration import Drift
from harness.load.circuits import circuit
from harness.scoring import hellinger_fidelity
from tests.integration import ibm_client, ionq_client
from tests.integration.protocols import IbmObserver, IonqObserver

ARIA = "ionq:aria-1"


def _calibration() -> Calibration:
    return Calibration.from_description(aer_worker.describe(ARIA))


def test_the_worker_describes_the_published_figures_on_every_pair():
    desc = aer_worker.describe(ARIA)
    dev = trapped_ion.load(ARIA)
    assert desc["num_qubits"] == 25
    assert desc["basis_gates"] == ["delay", "measure", "reset", "rx", "rz", "rzz"]
    assert len(desc["coupling_map"]) == 25 * 24  # all-to-all, both directions
    assert [tuple(row) for row in desc["qubit_rows"]] == dev.qubit_rows()
    assert [(n, tuple(q), e, d) for n, q, e, d in desc["gate_rows"]] == dev.gate_rows()
    assert desc["snapshot_date"] == dev.read
    summary = Calibration.from_description(desc).summary()
    assert summary == {
        "median_t1_us": pytest.approx(10e6),
        "median_t2_us": pytest.approx(1e6),
        "median_readout_error": pytest.approx(0.0039),
        "median_2q_error": pytest.approx(0.004),
    }


def test_the_noise_model_has_the_published_gate_and_readout_errors():
    cal = _calibration()
    target = aer_worker._backend(ARIA).target
    qubits = (3, 17)  # any two ions: all-to-all, all alike
    noise = aer_noise.simulator(target, cal, qubits).options.noise_model
    errors = noise._local_quantum_errors
    # from_backend pins each gate's average gate infidelity to the reported error:
    # thermal relaxation over the gate's duration (T1/T2), depolarizing for the rest
    for name, qargs, published in (
        ("rx", (0,), 5e-4),
        ("rzz", (0, 1), 4e-3),
        ("rzz", (1, 0), 4e-3),
    ):
        infidelity = 1 - average_gate_fidelity(errors[name][qargs].to_quantumchannel())
        assert infidelity == pytest.approx(published, rel=1e-3), (name, qargs)
    assert "rz" not in errors  # virtual: no error
    readout = noise._local_readout_errors[(0,)].probabilities.flatten().tolist()
    assert readout == pytest.approx([1 - 0.0039, 0.0039, 0.0039, 1 - 0.0039])


def test_ghz_on_the_device_is_noisy_but_correct_and_worse_once_drifted():
    cal = _calibration()
    prepared = aer_worker.prepare(ARIA, "qasm3", circuit("ghz-5").qasm, 0)
    ops = aer_worker._load(prepared["qpy"]).count_ops()
    assert set(ops) <= {"rx", "rz", "rzz", "measure", "barrier"}
    assert ops["rzz"] == 4
    item = (prepared["qpy"], 4000, tuple(prepared["physical_qubits"]), False, False, 7)
    ideal = circuit("ghz-5").ideal
    (nominal,) = aer_worker.run_batch(cal, [item])
    drifted_cal = cal.evolve(Factors(gate=10.0, readout=10.0), version=1, lineage="test")
    (drifted,) = aer_worker.run_batch(drifted_cal, [item])
    good = hellinger_fidelity(nominal["counts"], ideal)
    assert 0.9 < good < 0.995  # ~4 MS gates at 99.6% and 5 readouts at 99.61%
    assert hellinger_fidelity(drifted["counts"], ideal) < good - 0.05


# -- the real qiskit-ionq client --------------------------------------------------------


def observer(r) -> IonqObserver:
    assert isinstance(r.observer, IonqObserver)
    return r.observer


@pytest.mark.parametrize("qubits", [2, 5])
async def test_bell_and_ghz_through_qiskit_ionq_are_noisy_but_correct(protocol_rig, qubits):
    r = await protocol_rig("ionq", device=ARIA)
    o = observer(r)
    connected = await o.call(ionq_client.connect, o.env, o.backend, "qis")
    assert connected.ok, connected
    assert connected.value["num_qubits"] == 25
    submitted = await o.submit(qubits=qubits, shots=2000)
    assert submitted.ok, submitted
    out = await o.result(submitted.value)
    assert out.ok, out
    (pub,) = out.value
    ideal = circuit("bell" if qubits == 2 else f"ghz-{qubits}").ideal
    fidelity = hellinger_fidelity(pub["counts"], ideal)
    assert 0.9 < fidelity < 0.999, pub  # clearly the state, with a trapped ion's noise
    assert set(pub["counts"]) - set(ideal)  # noise shows as outcomes the ideal never has


async def test_the_characterization_is_the_published_figures_and_drifts(protocol_rig):
    r = await protocol_rig("ionq", device=ARIA)
    o = observer(r)
    before = await o.call(ionq_client.properties)
    assert before.ok, before
    value = before.value
    assert value["qubits"] == 25
    assert len(value["connectivity"]) == 25 * 24 // 2  # every unordered pair once
    assert value["fidelity"]["1q"]["median"] == pytest.approx(0.9995)
    assert value["fidelity"]["2q"]["median"] == pytest.approx(0.996)
    assert value["fidelity"]["spam"]["median"] == pytest.approx(0.9961)
    timing = value["timing"]
    assert (timing["t1"], timing["t2"]) == (pytest.approx(10.0), pytest.approx(1.0))
    assert (timing["1q"], timing["2q"]) == (pytest.approx(135e-6), pytest.approx(600e-6))
    assert (timing["readout"], timing["reset"]) == (None, None)  # not published

    await r.inject(Drift(factors=Factors(0.5, 0.5, 3.0, 2.0), ramp=0.0))
    await r.events.until("backend.calibration")
    after = (await o.call(ionq_client.properties)).value
    assert after["id"] != value["id"]
    assert after["fidelity"]["spam"]["median"] == pytest.approx(1 - 3 * 0.0039)
    assert after["fidelity"]["2q"]["median"] == pytest.approx(1 - 2 * 0.004)
    assert after["fidelity"]["1q"]["median"] == pytest.approx(1 - 2 * 5e-4)
    assert after["timing"]["t1"] == pytest.approx(5.0)
    assert after["timing"]["t2"] == pytest.approx(0.5)


@pytest.mark.parametrize("protocol", ["native", "ibm"])
async def test_the_device_backs_a_backend_of_every_protocol(protocol_rig, protocol):
    """The same device for a native and an IBM-protocol backend. qiskit-ibm-runtime builds
    its Target from the served configuration and transpiles to rx/rz/rzz itself; rx and
    rzz are fractional gates to it (a rotation by any angle, with a duration), which it
    shows only with ``use_fractional_gates=True``, as for IBM's own such devices."""
    r = await protocol_rig(protocol, device=ARIA)
    if isinstance(r.observer, IbmObserver):
        connected = await r.observer.call(ibm_client.connect, r.observer.env, "manila", True)
        assert connected.ok, connected
    submitted = await r.observer.submit(qubits=3, shots=2000)
    assert submitted.ok, submitted
    finished = await r.observer.wait(submitted.value)
    assert finished.ok, finished
    out = await r.observer.result(submitted.value)
    assert out.ok, out
    (pub,) = out.value
    assert 0.9 < hellinger_fidelity(pub["counts"], circuit("ghz-3").ideal) < 0.999, pub
