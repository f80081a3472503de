"""What the IBM protocol's three programs share when they decode a job (worker side).

Runs inside the Aer worker processes only, like :mod:`.worker`, which dispatches to the
programs: a job's cost budget and ISA checks (the device's static target and, while
``backend.config_change`` is on, the served configuration), its *units* (bound circuits
as prepared circuits, with their shots) and the per-shot rows read back from them.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from fake_backends import aer_worker
from fake_backends.configuration import isa_violation
from fake_backends.errors import CircuitRejected
from fake_backends.executor import Isa
from fake_backends.fingerprint import fingerprint

__all__ = ["MAX_CIRCUITS", "NOT_GATES", "Budget", "Unit", "Units", "check_isa", "check_served",
           "decode", "json_metadata", "layout", "registers", "shot_rows", "spans", "stacked",
           "unit"]  # fmt: skip

MAX_CIRCUITS = 10_000  # bound circuits in one job (parameter sets x bases, items' shapes)
NOT_GATES = frozenset({"barrier", "measure", "delay", "reset", "if_else", "for_loop",
                        "while_loop", "switch_case", "box"})  # fmt: skip


def decode(params: dict[str, Any]) -> dict[str, Any]:
    """A job's params as the SDK's own decoder reads them (circuits, arrays, ...)."""
    from qiskit_ibm_runtime.json import RuntimeDecoder

    decoded: dict[str, Any] = json.loads(json.dumps(params), cls=RuntimeDecoder)
    return decoded


def check_isa(circuit: Any, target: Any, device: str, skip: frozenset[str] = frozenset()) -> None:
    """Refuse what IBM refuses: instructions the device does not run where they are
    (``skip``: a served basis's gates the device does not have, checked by
    :func:`check_served`)."""
    if circuit.num_qubits > target.num_qubits:
        raise CircuitRejected(
            f"circuit has {circuit.num_qubits} qubits; {device} has {target.num_qubits}"
        )
    for inst in circuit.data:
        name = inst.operation.name
        if name in NOT_GATES:
            continue
        qargs = tuple(circuit.find_bit(q).index for q in inst.qubits)
        if name in skip and name not in target.operation_names:
            continue
        if not target.instruction_supported(name, qargs):
            raise CircuitRejected(
                f"the instruction {name} on qubits {qargs} is not supported by {device}: "
                "transpile the circuit for the backend's target (ISA circuits only)"
            )


def check_served(circuit: Any, served: tuple[Any, Any], device: str) -> None:
    """Refuse what the served configuration no longer has (the native API's ISA check,
    :func:`~fake_backends.configuration.isa_violation`): a gate out of its basis, a
    two-qubit gate on a coupler it took out."""
    ops = [
        (i.operation.name, [circuit.find_bit(q).index for q in i.qubits])
        for i in circuit.data
        if i.operation.name not in NOT_GATES
    ]
    why = isa_violation(ops, circuit.num_qubits, circuit.num_qubits, *served)
    if why is not None:
        raise CircuitRejected(f"{why}; {device} takes ISA circuits only: transpile the "
                              "circuit for the backend's current target")  # fmt: skip


Unit = tuple[bytes, int, int, int, tuple[int, ...], int, list[tuple[str, float]] | None]


def unit(circuit: Any, device: str) -> Unit:
    """A bound ISA circuit as PreparedCircuit fields, compacted like every other job's,
    with its fingerprint (so the ledger knows it whatever the job's tags say)."""
    from qiskit import qpy

    backend = aer_worker._backend(device)
    marks = fingerprint(circuit)
    names = backend.target.operation_names
    if any(i.operation.name not in names and i.operation.name not in NOT_GATES
           for i in circuit.data):  # fmt: skip
        # a served basis gate the device lacks (backend.config_change): translated on
        # the sender's layout (a full-width circuit keeps its qubits: no random choice)
        circuit = aer_worker._transpile(circuit, backend, device, 0)
    used = aer_worker._used_qubits(circuit)
    physical, compact = aer_worker._compact(circuit, used, backend.num_qubits)
    buf = io.BytesIO()
    qpy.dump(compact, buf)
    return (buf.getvalue(), circuit.num_qubits, circuit.num_clbits, circuit.depth(),
            physical, len(used), sorted(marks.items()) if marks is not None else None)  # fmt: skip


@dataclass(slots=True)
class Units:
    """The units a job decodes into, in the order the plan names them, with their shots.

    Every program adds its bound circuits here and ends with :meth:`job`, the dict
    :func:`prepare` returns (what ``JobService`` queues).
    """

    device: str
    units: list[Unit] = field(default_factory=list)
    shots: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        """Units so far: the index the next one gets."""
        return len(self.units)

    def add(self, circuits: Collection[Any], shots: int) -> None:
        """Append ``circuits`` (bound, in order), each to run ``shots`` times."""
        self.units += [unit(c, self.device) for c in circuits]
        self.shots += [shots] * len(circuits)

    def add_rows(
        self, shape: tuple[int, ...], circuit: Any, bound: Collection[Any], shots: int
    ) -> dict[str, Any]:
        """Append a pub's (an item's) ``bound`` circuits, whose outputs are per-shot rows;
        its plan entry's part that :func:`stacked` reads them back by (where its units
        are, their shape, width and registers)."""
        entry = {
            "shape": list(shape),
            "start": len(self),
            "count": len(bound),
            "num_clbits": circuit.num_clbits,
            "registers": registers(circuit),
        }
        self.add(bound, shots)
        return entry

    def job(self, plan: dict[str, Any], layout: str, *, packed: bool) -> dict[str, Any]:
        """What :func:`prepare` returns; ``packed``: the outputs keep per-shot rows."""
        return {"units": self.units, "shots": self.shots, "packed": packed, "plan": plan,
                "layout": layout}  # fmt: skip


def registers(circuit: Any) -> list[tuple[str, list[int]]]:
    return [(reg.name, [circuit.find_bit(b).index for b in reg]) for reg in circuit.cregs]


def layout(plan: Any) -> str:
    # programs whose outputs have the same shapes can have their results swapped
    text = json.dumps(plan, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def shot_rows(packed: bytes | None, num_clbits: int) -> np.ndarray:
    """Packed big-endian rows as booleans ``[shot, clbit]`` (clbit 0 first)."""
    width = max(1, (num_clbits + 7) // 8)
    rows = np.frombuffer(packed or b"", dtype=np.uint8).reshape(-1, width)
    bits = np.unpackbits(rows, axis=1, bitorder="big")[:, ::-1]
    return bits[:, :num_clbits].astype(bool)


def stacked(
    entry: dict[str, Any], outputs: list[tuple[dict[str, int], bytes | None]], shots: int
) -> np.ndarray:
    """An entry's (see :meth:`Units.add_rows`) per-shot rows as booleans ``[*shape, shot,
    clbit]``, cut to the fewest shots any of its units returned (a partial result cuts
    them); an entry without units: ``shots`` rows of zeros."""
    mine = outputs[entry["start"] : entry["start"] + entry["count"]]
    rows = [shot_rows(packed, entry["num_clbits"]) for _, packed in mine]
    if not rows:
        return np.zeros((*entry["shape"], shots, entry["num_clbits"]), dtype=bool)
    shots = min(len(r) for r in rows)
    return np.stack([r[:shots] for r in rows]).reshape(*entry["shape"], shots, -1)


def spans(meta: dict[str, Any], pubs: list[dict[str, Any]]) -> Any:
    """One span for the whole job: every pub's bindings x shots ran between start and stop."""
    from qiskit_ibm_runtime.execution_span import ExecutionSpans, SliceSpan

    start = datetime.fromisoformat(meta["started"])
    stop = datetime.fromisoformat(meta["finished"])
    slices = {
        i: ((p["count"], p["shots"]), slice(0, p["count"] * p["shots"])) for i, p in enumerate(pubs)
    }
    return ExecutionSpans([SliceSpan(start, stop, slices)])


def json_metadata(metadata: Any) -> dict[str, Any]:
    try:
        json.dumps(metadata)
    except TypeError:
        return {}
    return dict(metadata or {})


@dataclass(slots=True)
class Budget:
    """What one job's decoding may cost: per circuit, and bound circuits in all."""

    device: str
    max_operations: int
    max_depth: int
    #: the served configuration (basis gates, couplers) while a change is on, else None
    served: Isa = None
    circuits: int = 0

    def check(self, circuit: Any) -> None:
        """Refuse a pub's circuit the device cannot run or that costs too much."""
        target = aer_worker._backend(self.device).target
        if self.served is None:
            check_isa(circuit, target, self.device)
        else:  # the served basis may name gates the device translates (see unit)
            check_served(circuit, self.served, self.device)
            check_isa(circuit, target, self.device, skip=frozenset(self.served[0]))
        aer_worker._check_cost(circuit, self.max_operations, "")
        if circuit.depth() > self.max_depth:
            raise CircuitRejected(
                f"circuit too deep: depth {circuit.depth()}, at most {self.max_depth}"
            )

    def take(self, count: int) -> None:
        """Count ``count`` more bound circuits (before binding them)."""
        self.circuits += count
        if self.circuits > MAX_CIRCUITS:
            raise CircuitRejected(
                f"job too large: over {MAX_CIRCUITS:,} circuits once its parameters, "
                "observables' bases or samples are bound"
            )
