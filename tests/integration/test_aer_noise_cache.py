"""The workers' noise model serialises once, and stays exact for circuits with idle.

Aer serialises a noise model on every call; ours memoises it. Aer also copies the model
and adds thermal relaxation to the copy when a circuit has delays: that copy must not
inherit the memo. Checked against a plain NoiseModel with the same content: same seed,
same counts, with and without scheduled idle.
"""

from __future__ import annotations

import copy
import warnings

from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel

from fake_backends import aer_noise, aer_worker
from fake_backends.calibration import Calibration
from harness.load.circuits import circuit


def test_memoised_noise_gives_the_same_counts_as_a_plain_model():
    cal = Calibration.from_description(aer_worker.describe("FakeManilaV2"))
    target = aer_worker._backend("FakeManilaV2").target
    for idle in (0.0, 5.0):
        prepared = aer_worker.prepare("FakeManilaV2", "qasm3", circuit("ghz-5", idle).qasm, 0)
        qc = aer_worker._load(prepared["qpy"])
        sim = aer_noise.simulator(target, cal, tuple(prepared["physical_qubits"]))
        frozen = sim.options.noise_model
        plain = NoiseModel.__new__(NoiseModel)
        state = {k: v for k, v in frozen.__dict__.items() if k != "_qg_dicts"}
        plain.__dict__.update(copy.deepcopy(state))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Aer's own deprecations in its noise passes
            reference = AerSimulator(noise_model=plain, basis_gates=plain.basis_gates)
            for seed in (1, 2):
                got = sim.run([qc, qc], shots=512, seed_simulator=seed).result()
                want = reference.run([qc, qc], shots=512, seed_simulator=seed).result()
                assert got.get_counts() == want.get_counts(), (idle, seed)
        assert "_qg_dicts" in frozen.__dict__  # it was memoised, and reused


def test_errors_as_one_channel_each_are_the_same_maps_and_give_the_same_counts(monkeypatch):
    """Small sub-devices get every error as one Kraus channel: ~8x cheaper Aer calls."""
    cal = Calibration.from_description(aer_worker.describe("FakeManilaV2"))
    target = aer_worker._backend("FakeManilaV2").target
    qubits = tuple(range(cal.num_qubits))
    channels = aer_noise._build(target, cal.restricted(qubits))
    monkeypatch.setattr(aer_noise, "CHANNEL_QUBITS", 0)  # the errors as from_backend made them
    mixtures = aer_noise._build(target, cal.restricted(qubits))
    a, b = channels.options.noise_model, mixtures.options.noise_model
    assert a._local_quantum_errors.keys() == b._local_quantum_errors.keys()
    compared = 0
    for name, per_qubits in b._local_quantum_errors.items():
        for q, mixture in per_qubits.items():
            channel = a._local_quantum_errors[name][q]
            assert len(channel.circuits) == 1 < len(mixture.circuits)
            assert mixture.to_quantumchannel() == channel.to_quantumchannel()  # within 1e-8
            compared += 1
    assert compared >= 10
    for idle in (0.0, 5.0):  # with scheduled idle, the delays' relaxation is a channel too
        prepared = aer_worker.prepare("FakeManilaV2", "qasm3", circuit("ghz-5", idle).qasm, 0)
        qc = aer_worker._load(prepared["qpy"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Aer's own deprecations in its noise passes
            for seed in (1, 2):
                got = channels.run(qc, shots=2048, seed_simulator=seed).result()
                want = mixtures.run(qc, shots=2048, seed_simulator=seed).result()
                assert got.results[0].metadata["method"] == "density_matrix"
                assert got.get_counts() == want.get_counts(), (idle, seed)
