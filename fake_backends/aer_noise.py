"""Noise models from a :class:`~fake_backends.calibration.Calibration` (Aer workers only).

Imported only inside the Aer worker processes (through :mod:`fake_backends.aer_worker`).

The noise is built on the *sub-device* of the physical qubits a job uses: a qiskit
``Target`` holding only those qubits' properties and the gates among them, renumbered
0..k-1. ``NoiseModel.from_backend`` on a whole 127-qubit device takes seconds; on the
5 qubits of a GHZ-5 it takes ~0.1 s. Simulators are cached per (calibration id, qubits).

What the model holds, as ``from_backend`` builds it: per gate a depolarizing error plus
thermal relaxation over the gate's duration (together they match the gate error the
calibration reports), thermal relaxation on delays, and readout errors, here asymmetric
(``p01``/``p10``) where the snapshot has them. Because the gate error is pinned to the
reported value, T1/T2 drift alone only shows on idle time; drift therefore moves gate
and readout errors too.
"""

from __future__ import annotations

import collections
import functools
import warnings
from typing import Any

from fake_backends.calibration import Calibration

__all__ = ["simulator"]

_CACHE_SIZE = 64
#: sub-devices up to this many qubits get each error as one channel (see _as_channels):
#: Aer simulates them as density matrices (its choice when shots > 2^n), where a
#: channel is exact and cheap; bigger ones run trajectories, which sample a mixture of
#: circuits faster than a general channel (measured, forced to trajectories: 154 ms with
#: mixtures, 200 ms with channels, 5 qubits, 1024 shots)
CHANNEL_QUBITS = 8
_cache: collections.OrderedDict[tuple[str, tuple[int, ...]], Any] = collections.OrderedDict()


class _SubDevice:
    """The slice of BackendV2 that ``NoiseModel.from_backend`` reads."""

    version = 2

    def __init__(self, target: Any) -> None:
        self.target = target
        self.operation_names = list(target.operation_names)
        self.dt = target.dt


def simulator(device_target: Any, calibration: Calibration, qubits: tuple[int, ...]) -> Any:
    """An AerSimulator with the noise of ``calibration`` on physical ``qubits``.

    ``device_target`` is the device's own Target (it supplies the gate objects and dt).
    """
    key = (calibration.id, qubits)
    sim = _cache.get(key)
    if sim is not None:
        _cache.move_to_end(key)
        return sim
    if calibration.ideal:
        from qiskit_aer import AerSimulator

        sim = AerSimulator()  # a fallback simulator: no noise at all
    else:
        sim = _build(device_target, calibration.restricted(qubits))
    _cache[key] = sim
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return sim


def _build(device_target: Any, cal: Calibration) -> Any:
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel, ReadoutError

    target = _target(device_target, cal)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. T2 > 2 T1 truncated; no QubitProperties
        noise = NoiseModel.from_backend(_SubDevice(target), readout_error=False)
    for i, q in enumerate(cal.qubits):
        p10 = q.p10 if q.p10 is not None else q.readout_error
        p01 = q.p01 if q.p01 is not None else q.readout_error
        if p10 is None or p01 is None or p10 == p01 == 0:
            continue
        noise.add_readout_error(ReadoutError([[1 - p10, p10], [p01, 1 - p01]]), [i])
    channels = cal.num_qubits <= CHANNEL_QUBITS
    if channels:
        _as_channels(noise)
    # Aer serialises the noise model on every run() call (NoiseModel.to_dict, then JSON):
    # measured on a 5-qubit device, 40 of the ~65 ms every Aer call cost before it
    # simulated a single shot. The model never changes once built (a new calibration
    # version is a new simulator), so it is serialised once.
    noise.__class__ = _frozen_noise_model()
    for noise_pass in noise._custom_noise_passes:  # thermal relaxation on delays
        noise_pass._func = _remembered(noise_pass._func, channels)
    # One thread per simulation: the pool already runs one worker per core, and OpenMP
    # threads on top of that oversubscribed the CPU (measured: ~2x fewer jobs/s).
    return AerSimulator(noise_model=noise, basis_gates=noise.basis_gates, max_parallel_threads=1)


@functools.cache
def _frozen_noise_model() -> type:
    """A NoiseModel subclass whose ``to_dict`` is computed once per instance."""
    from qiskit_aer.noise import NoiseModel

    class FrozenNoiseModel(NoiseModel):  # type: ignore[misc]
        """A noise model that is not changed after it is built: serialised once.

        Aer changes a *copy* when a circuit has delays: it deep-copies the model and
        adds the delays' thermal relaxation to it. The copy is a plain NoiseModel (no
        memo: it must serialise what was added) whose containers are copied and whose
        QuantumErrors, never mutated, are shared: a deep copy of the errors' circuits
        took ~0.2 s per Aer call of 8 circuits with idle (measured).
        """

        def to_dict(self, serializable: bool = False) -> dict[str, Any]:
            memo: dict[bool, dict[str, Any]] = self.__dict__.setdefault("_qg_dicts", {})
            if serializable not in memo:
                memo[serializable] = super().to_dict(serializable=serializable)
            return memo[serializable]

        def __deepcopy__(self, memo: dict[int, Any]) -> Any:
            clone = NoiseModel.__new__(NoiseModel)
            memo[id(self)] = clone
            for key, value in self.__dict__.items():
                if key != "_qg_dicts":
                    clone.__dict__[key] = _containers(value)
            return clone

    return FrozenNoiseModel


def _as_channels(noise: Any) -> None:
    """Replace every gate error of ``noise`` by :func:`_one_channel` of it (in place).

    ``from_backend`` writes a gate's thermal relaxation as a mixture of circuits (144
    for a CX: resets and unitaries with their probabilities), and Aer loads every one of
    them again on every call: measured on a 5-qubit device, ~40 of the ~47 ms of an Aer
    call with a single circuit, before a shot was simulated. The same errors as one
    Kraus channel each: ~6 ms, the same final state (a test compares the channels and
    the counts). NoiseModel keeps its errors in private dicts; there is no public way
    to replace one.
    """
    noise._default_quantum_errors = {
        name: _one_channel(error) for name, error in noise._default_quantum_errors.items()
    }
    noise._local_quantum_errors = {
        name: {qubits: _one_channel(error) for qubits, error in per_qubits.items()}
        for name, per_qubits in noise._local_quantum_errors.items()
    }


def _one_channel(error: Any) -> Any:
    """``error`` as a single Kraus channel: the same completely positive map."""
    from qiskit.quantum_info import Kraus, SuperOp
    from qiskit_aer.noise import QuantumError

    return QuantumError(Kraus(SuperOp(_superop(error))))


def _superop(error: Any) -> Any:
    """The superoperator matrix of a mixture of circuits, sum of p_k x S_k.

    What ``QuantumError.to_quantumchannel()`` computes, ~100x faster: that builds every
    circuit's superoperator instruction by instruction (~0.6 s for a 5-qubit device's
    errors, per calibration version and worker); the mixtures reuse a few instructions
    (Paulis, resets), so each one's matrix on the error's qubits is made once and the
    circuits are products of those.
    """
    import numpy as np
    from qiskit.quantum_info import SuperOp

    n = error.num_qubits
    identity = SuperOp(np.eye(4**n))
    made: dict[tuple[Any, ...], Any] = {}
    total = np.zeros((4**n, 4**n), dtype=complex)
    for circuit, p in zip(error.circuits, error.probabilities, strict=True):
        matrix = np.eye(4**n, dtype=complex)
        for step in circuit.data:
            qargs = tuple(circuit.find_bit(q).index for q in step.qubits)
            op = step.operation
            key = (op.name, qargs, tuple(np.asarray(x).tobytes() for x in op.params))
            if key not in made:
                made[key] = identity.compose(SuperOp(op), qargs=list(qargs)).data
            matrix = made[key] @ matrix  # applied after the steps before it
        total += p * matrix
    return total


def _remembered(make_error: Any, channels: bool) -> Any:
    """One relaxation error per (operation, duration, qubits) for this calibration.

    Aer builds a thermal relaxation error for every delay of every circuit of every
    call (~1 ms each: 12 per scheduled GHZ-5); T1 and T2 are fixed per simulator, so
    equal delays get equal errors. Reusing them also keeps Aer's per-call noise copy
    small (it adds each distinct error once).
    """
    made: dict[tuple[Any, ...], Any] = {}

    def error(op: Any, qubits: Any) -> Any:
        key = (op.name, getattr(op, "duration", None), getattr(op, "unit", None), tuple(qubits))
        if key not in made:
            made[key] = made_error = make_error(op, qubits)
            if channels and made_error is not None:
                made[key] = _one_channel(made_error)
        return made[key]

    return error


def _containers(value: Any) -> Any:
    """A copy of dicts, lists and sets (recursively); anything else is shared."""
    if isinstance(value, dict):
        return {k: _containers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_containers(v) for v in value]
    if isinstance(value, set):
        return set(value)
    return value


def _target(device_target: Any, cal: Calibration) -> Any:
    from qiskit.transpiler import InstructionProperties, QubitProperties, Target

    target = Target(
        num_qubits=cal.num_qubits,
        dt=device_target.dt,
        qubit_properties=[QubitProperties(q.t1, q.t2, q.frequency) for q in cal.qubits],
    )
    by_name: dict[str, dict[tuple[int, ...], Any]] = {}
    for g in cal.gates:
        by_name.setdefault(g.name, {})[g.qubits] = InstructionProperties(g.duration, g.error)
    for name in device_target.operation_names:
        op = device_target.operation_from_name(name)
        props = by_name.get(name)
        if props:
            target.add_instruction(op, props, name=name)
        elif device_target[name] is None or None in (device_target[name] or {}):
            target.add_instruction(op, name=name)  # global ops: control flow, delay
    return target
