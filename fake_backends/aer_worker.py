"""Code that runs inside the Aer worker processes (never on the event loop).

Everything CPU-heavy lives here: loading device snapshots, parsing and transpiling
circuits, building noise models (:mod:`fake_backends.aer_noise`) and running Aer. The
parent process reaches these functions only through :mod:`fake_backends.executor`,
which imports this module lazily inside the workers, so the harness process never pays
qiskit's import time.

Caches are per process: device snapshots by name, transpiled circuits by (device,
source hash), simulators by (calibration id, physical qubits).

A prepared circuit is stored *compacted*: only the physical qubits it touches, in
order, so that the noise model can be built for those qubits alone. On devices of up to
:data:`~fake_backends.executor.WHOLE_DEVICE_QUBITS` qubits every circuit keeps the whole
device, so all jobs on it share one simulator and batch into one Aer call.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import time
import warnings
from functools import lru_cache
from typing import Any

from fake_backends import aer_noise, cost, executor, trapped_ion
from fake_backends.calibration import Calibration
from fake_backends.configuration import isa_violation
from fake_backends.errors import CircuitRejected, NotIsa, UnknownDevice
from fake_backends.fingerprint import fingerprint
from fake_backends.limits import WorkLimits

__all__ = [
    "catalogue",
    "describe",
    "noise_build_seconds",
    "warm_simulator",
    "prepare",
    "run_batch",
    "whole_device_noise_seconds",
]

_LIMITS = WorkLimits()  # defaults; the executor passes its own
_SEED = 1234  # generic:N devices are seeded so their made-up calibration is stable


@lru_cache(maxsize=16)
def _backend(device: str) -> Any:
    if device.startswith(trapped_ion.PREFIX):
        try:
            return trapped_ion.backend(device)
        except UnknownDevice as exc:
            raise CircuitRejected(str(exc)) from None
    if device.startswith("generic:"):
        from qiskit.providers.fake_provider import GenericBackendV2

        try:
            n = int(device.split(":", 1)[1])
        except ValueError:
            raise CircuitRejected(f"unknown device {device!r}") from None
        return GenericBackendV2(num_qubits=n, seed=_SEED)
    from qiskit_ibm_runtime import fake_provider

    cls = getattr(fake_provider, device, None)
    if cls is None or not isinstance(cls, type) or not device.startswith("Fake"):
        raise CircuitRejected(f"unknown device {device!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # some snapshots warn that they are not typical
        return cls()


def describe(device: str) -> dict[str, Any]:
    """Static facts and the calibration snapshot of a device, as plain data (SI units).

    ``qubit_rows`` are (t1, t2, frequency, p01, p10, readout_error); ``gate_rows`` are
    (name, qubits, error, duration) for every instruction on specific qubits.
    """
    backend = _backend(device)
    target = backend.target
    props = backend.properties() if hasattr(backend, "properties") else None
    qprops = target.qubit_properties or [None] * backend.num_qubits
    rows = []
    for q in range(backend.num_qubits):
        qp = qprops[q]
        meas = target["measure"].get((q,)) if "measure" in target else None
        rows.append(
            (
                getattr(qp, "t1", None),
                getattr(qp, "t2", None),
                getattr(qp, "frequency", None),
                _prop(props, q, "prob_meas0_prep1"),
                _prop(props, q, "prob_meas1_prep0"),
                getattr(meas, "error", None),
            )
        )
    gates = [
        (name, tuple(qargs), getattr(ip, "error", None), getattr(ip, "duration", None))
        for name in sorted(target.operation_names)
        if target[name] is not None
        for qargs, ip in sorted(target[name].items(), key=lambda kv: kv[0] or ())
        if qargs is not None
    ]
    last_update = getattr(props, "last_update_date", None) if props is not None else None
    # a trapped-ion device has no snapshot: its figures are dated when they were read
    published = getattr(backend, "figures_date", None)
    return {
        "name": device,
        "num_qubits": backend.num_qubits,
        "basis_gates": sorted(target.operation_names),
        "coupling_map": [list(e) for e in (backend.coupling_map.get_edges() or [])]
        if backend.coupling_map is not None
        else [],
        "snapshot_date": last_update.isoformat() if last_update is not None else published,
        "qubit_rows": rows,
        "gate_rows": gates,
    }


def catalogue(devices: list[str]) -> list[dict[str, Any]]:
    """Summary rows for ``gameday devices``: qubits, medians, snapshot date."""
    out = []
    for device in devices:
        desc = describe(device)
        cal = Calibration.from_description(desc)
        out.append(
            {
                "name": device,
                "num_qubits": desc["num_qubits"],
                "snapshot_date": desc["snapshot_date"],
                **cal.summary(),
            }
        )
    return out


def prepare(
    device: str,
    fmt: str,
    source: str,
    seed: int,
    max_operations: int = _LIMITS.max_operations,
    max_depth: int = _LIMITS.max_depth,
    isa: tuple[tuple[str, ...], tuple[tuple[int, int], ...]] | None = None,
) -> dict[str, Any]:
    """Parse and transpile one circuit for ``device``; return it compacted, as QPY.

    Raises :class:`CircuitRejected` with a message fit for an HTTP 400 body, also when
    the circuit would cost more than the limits (:mod:`fake_backends.limits`), and
    :class:`NotIsa` when ``isa`` (basis gates, coupling map) is given and the circuit
    is not an ISA circuit of that target.
    """
    key = hashlib.sha256(f"{device}\0{fmt}\0{seed}\0{isa!r}\0{source}".encode()).hexdigest()
    return _prepare_cached(key, device, fmt, source, seed, max_operations, max_depth, isa)


@lru_cache(maxsize=512)
def _prepare_cached(
    key: str,
    device: str,
    fmt: str,
    source: str,
    seed: int,
    max_operations: int,
    max_depth: int,
    required: tuple[tuple[str, ...], tuple[tuple[int, int], ...]] | None,
) -> dict[str, Any]:
    from qiskit import qpy

    if fmt == "qasm3" and cost.qasm3_definitions_cost(source, max_operations) > max_operations:
        # before importing: the importer expands every gate definition at each call
        raise CircuitRejected(
            f"circuit too costly: over {max_operations:,} operations with its gate "
            "definitions expanded"
        )
    circuit = _parse(fmt, source)
    _check_cost(circuit, max_operations, "")
    backend = _backend(device)
    if circuit.num_qubits > backend.num_qubits:
        raise CircuitRejected(
            f"circuit uses {circuit.num_qubits} qubits; device {device} has {backend.num_qubits}"
        )
    if circuit.num_clbits == 0:
        raise CircuitRejected("circuit has no classical bits: nothing would be measured")
    if required is not None:
        ops = (
            (inst.operation.name, [circuit.find_bit(q).index for q in inst.qubits])
            for inst in circuit.data
        )
        why = isa_violation(ops, circuit.num_qubits, backend.num_qubits, *required)
        if why is not None:
            raise NotIsa(why)
    isa = _transpile(circuit, backend, device, seed)
    _check_cost(isa, max_operations, " once transpiled")
    if isa.depth() > max_depth:
        raise CircuitRejected(
            f"circuit too deep: depth {isa.depth()} once transpiled, at most {max_depth}"
        )
    marks = fingerprint(isa)  # of what will run: the transpiled circuit
    used = _used_qubits(isa)
    physical, compact = _compact(isa, used, backend.num_qubits)
    buf = io.BytesIO()
    qpy.dump(compact, buf)
    return {
        "qpy": buf.getvalue(),
        "num_qubits": circuit.num_qubits,
        "num_clbits": circuit.num_clbits,
        "depth": isa.depth(),
        "physical_qubits": physical,
        "active_qubits": len(used),
        "fingerprint": sorted(marks.items()) if marks is not None else None,
    }


def _check_cost(circuit: Any, limit: int, when: str) -> None:
    try:
        ops = cost.expanded_operations(circuit, limit)
    except RecursionError:
        raise CircuitRejected("circuit nests gate definitions or blocks too deeply") from None
    if ops > limit:
        raise CircuitRejected(
            f"circuit too costly: over {limit:,} operations{when} with gate definitions and "
            "loops expanded"
        )


def _transpile(circuit: Any, backend: Any, device: str, seed: int) -> Any:
    # A full-width circuit was laid out by its sender (e.g. against /properties to avoid
    # a bad qubit): keep its physical qubits. Scheduled idle: delays must be aligned to
    # the device's timing constraints.
    full_width = circuit.num_qubits == backend.num_qubits
    delays = any(inst.operation.name == "delay" for inst in circuit.data)
    try:
        return _pass_manager(device, seed, full_width, delays).run(circuit)
    except Exception as exc:  # qiskit raises many types; the client needs the message
        raise CircuitRejected(f"cannot transpile for {device}: {exc}") from None


@lru_cache(maxsize=64)
def _pass_manager(device: str, seed: int, full_width: bool, delays: bool) -> Any:
    """The preset pass manager ``transpile`` would build, built once per kind of circuit.

    ``transpile()`` builds a new one on every call (plugin discovery, synthesis set-up):
    profiled under load at 80x that was 60% of a worker's transpile time, and every job
    is transpiled (each job's circuit is its own: see ``fake_backends.fingerprint``).
    A preset pass manager is reusable, and with a fixed seed it lays out and routes a
    circuit exactly as ``transpile`` does.
    """
    from qiskit.transpiler import generate_preset_pass_manager

    backend = _backend(device)
    options: dict[str, Any] = {"optimization_level": 1, "seed_transpiler": seed}
    if full_width:
        options["initial_layout"] = list(range(backend.num_qubits))
    if delays:
        options["scheduling_method"] = "alap"
    return generate_preset_pass_manager(backend=backend, **options)


def _used_qubits(isa: Any) -> list[int]:
    """Physical qubits the circuit really uses (a qubit that only idles does not count)."""
    real: dict[int, bool] = {}
    for inst in isa.data:
        busy = inst.operation.name not in ("delay", "barrier")
        for q in inst.qubits:
            i = isa.find_bit(q).index
            real[i] = real.get(i, False) or busy
    return sorted(q for q, busy in real.items() if busy)


def _compact(isa: Any, used: list[int], device_qubits: int) -> tuple[tuple[int, ...], Any]:
    """(physical qubits kept, the circuit on just those qubits renumbered 0..k-1)."""
    if device_qubits <= executor.WHOLE_DEVICE_QUBITS:
        return tuple(range(device_qubits)), isa
    from qiskit import QuantumCircuit

    index = {q: i for i, q in enumerate(used)}
    out = QuantumCircuit(len(used), isa.num_clbits, name=isa.name, metadata=isa.metadata)
    for inst in isa.data:
        qs = [index.get(isa.find_bit(q).index) for q in inst.qubits]
        if any(i is None for i in qs):
            continue  # a delay or barrier on an otherwise idle qubit
        out.append(
            inst.operation,
            [out.qubits[i] for i in qs if i is not None],
            [out.clbits[isa.find_bit(c).index] for c in inst.clbits],
        )
    return tuple(used), out


def _parse(fmt: str, source: str) -> Any:
    from qiskit import qasm2, qpy

    if not source.strip():
        raise CircuitRejected("circuit is empty")
    try:
        if fmt == "qasm3":
            return _qasm3(source)
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


def _qasm3(source: str) -> Any:
    """Parse OpenQASM 3 with qiskit's native importer, else the reference one.

    Every job's circuit is its own text (its fingerprint), so every job is parsed: the
    native (Rust) importer takes ~0.2 ms where qiskit-qasm3-import takes ~8 ms (measured,
    GHZ-5), and they build equal circuits. It does not know every statement yet (e.g.
    ``delay``), so anything it refuses goes to the reference importer, whose error
    messages a client then sees.
    """
    from qiskit import qasm3
    from qiskit.exceptions import ExperimentalWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            return qasm3.loads_experimental(source)
    except Exception:  # not handled (yet) by the native importer: use the reference one
        return qasm3.loads(source)


@lru_cache(maxsize=1024)
def _load(blob: bytes) -> Any:
    from qiskit import qpy

    return qpy.load(io.BytesIO(blob))[0]


def run_batch(
    calibration: Calibration,
    items: list[tuple[bytes, int, tuple[int, ...], bool, bool, int]],
) -> list[dict[str, Any]]:
    """Run prepared circuits with ``calibration``'s noise in as few Aer calls as possible.

    ``items`` are (qpy, shots, physical qubits, memory, packed, seed). Circuits on the
    same qubits with equal shots share one Aer call, seeded with its first item's seed
    (Aer seeds the i-th circuit of a call ``seed + i * 2113``, measured with qiskit-aer
    0.17: a job alone in its call, the usual case below saturation, gets exactly its
    own seed). Returns one ``{"counts": ..., "memory"?: [hex per shot], "packed"?:
    bytes}`` or ``{"error": ...}`` per item, in order (``packed``: see
    :class:`fake_backends.executor.RunOutput`).
    """
    target = _backend(calibration.device).target
    out: list[dict[str, Any]] = [{} for _ in items]
    groups: dict[tuple[tuple[int, ...], int, bool, bool], list[int]] = {}
    for i, (_, shots, qubits, memory, packed, _seed) in enumerate(items):
        groups.setdefault((qubits, shots, memory, packed), []).append(i)
    for (qubits, shots, memory, packed), idx in groups.items():
        try:
            sim = aer_noise.simulator(target, calibration, qubits)
            circuits = [_load(items[i][0]) for i in idx]
            seed = items[idx[0]][5]
            per_shot = memory or packed
            result = sim.run(circuits, shots=shots, seed_simulator=seed, memory=per_shot).result()
        except Exception as exc:  # one bad group must not sink the others
            for i in idx:
                out[i] = {"error": f"simulation failed: {exc}"}
            continue
        for j, i in enumerate(idx):
            exp = result.results[j]
            if not exp.success:
                out[i] = {"error": str(getattr(exp, "status", "simulation failed"))}
                continue
            out[i] = {"counts": dict(result.get_counts(j))}
            if memory:
                out[i]["memory"] = list(exp.data.memory)
            if packed:
                out[i]["packed"] = _pack(exp.data.memory, circuits[j].num_clbits)
    return out


def _pack(memory: list[str], num_clbits: int) -> bytes:
    """Aer's hex shots as rows of big-endian bytes (``RunOutput.packed``), in shot order."""
    width = max(1, (num_clbits + 7) // 8)
    return b"".join(int(h, 16).to_bytes(width, "big") for h in memory)


def noise_build_seconds(calibration: Calibration, qubits: tuple[int, ...]) -> float:
    """Seconds to get a simulator ready: a build, unless this worker has it cached."""
    target = _backend(calibration.device).target
    t0 = time.perf_counter()
    aer_noise.simulator(target, calibration, qubits)
    return time.perf_counter() - t0


def warm_simulator(calibration: Calibration, qubits: tuple[int, ...]) -> float:
    """Build the simulator and run one shot on it: seconds taken.

    A worker's first Aer call costs ~0.2-0.3 s more than the next ones (measured under
    load: the first jobs of an 80x game day finished 20 scenario seconds late).
    """
    from qiskit import QuantumCircuit

    t0 = time.perf_counter()
    target = _backend(calibration.device).target
    sim = aer_noise.simulator(target, calibration, qubits)
    probe = QuantumCircuit(len(qubits), 1)
    probe.sx(0)
    probe.measure(0, 0)
    sim.run(probe, shots=1, seed_simulator=0).result()
    return time.perf_counter() - t0


def whole_device_noise_seconds(device: str) -> float:
    """Seconds for ``NoiseModel.from_backend`` on the whole device (benchmark context)."""
    from qiskit_aer.noise import NoiseModel

    backend = _backend(device)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        NoiseModel.from_backend(backend)
    return time.perf_counter() - t0


def _prop(props: Any, qubit: int, name: str) -> float | None:
    if props is None:
        return None
    try:
        return float(props.qubit_property(qubit, name)[0])
    except Exception:  # older snapshots lack the asymmetric readout numbers
        return None
