"""Trapped-ion devices from published characterization figures (``ionq:aria-1``, ...).

IonQ publishes device-wide figures, not per-qubit calibration snapshots: T1, T2, the
durations of a single- and a two-qubit gate, and the fidelities of those gates and of
state preparation and measurement (SPAM). Each device is a data file in
``fake_backends/data/`` (``ionq-<name>.json``) naming, for every number, the page or
paper it comes from, the figure it is, and the date it was read. This module reads
them (no qiskit: the harness validates ``device:`` names with it) and, in the Aer
workers only, builds the qiskit backend the fakes transpile for and build noise from
(:func:`backend`), so a trapped-ion device goes through the same calibration, drift,
noise-model and characterization code as an IBM snapshot.

What the figures become (one home for each choice):

- every qubit gets the published figures (they are device-wide; drift then moves them
  per qubit like any calibration);
- **all-to-all connectivity**: the two-qubit gate on every ordered pair;
- **native gates** as qiskit standard gates: IonQ's GPI2(phi) and GPI(phi) are
  ``rz(phi) rx(pi/2) rz(-phi)`` and ``rz(phi) rx(pi) rz(-phi)`` up to a global phase,
  MS is the two-qubit XX interaction, ``rxx(pi/2)`` = ``rzz(pi/2)`` between Hadamard
  frames (IonQ's own ZZ gate is ``rzz``), and Z rotations are virtual (a phase change
  of later pulses: no time, no error, and left out of IonQ's own gate figures). So the
  basis is ``rx`` (the 1q figures), ``rz`` (duration 0, error 0) and ``rzz`` (the 2q
  figures): the same gates up to single-qubit frames, and the names qiskit-ibm-runtime
  takes as fractional gates, so the device can serve the IBM protocol too (with
  ``use_fractional_gates=True``, as for IBM's own such devices; ``r``/``rxx`` it
  drops). A circuit in IonQ's QIS or native gates is transpiled to it like any other;
- **gate errors** = 1 - fidelity; the noise model (:mod:`fake_backends.aer_noise`)
  turns them into thermal relaxation over the gate's duration (from T1/T2) plus the
  depolarizing error that makes up the rest, as for IBM devices;
- **readout error** = 1 - SPAM fidelity, symmetric, all of it charged to the
  measurement (state preparation is taken as perfect: the figure is not split);
- a figure the source does not publish (Aria's readout and reset durations) stays
  unknown (None): no relaxation during measurement, ``null`` in a characterization.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from fake_backends.errors import UnknownDevice

__all__ = ["BASIS", "PREFIX", "IonDevice", "backend", "load", "names"]

#: device names of this catalogue start with it (``ionq:aria-1``)
PREFIX = "ionq:"
#: the native gates as qiskit standard gates (see the module docstring)
BASIS = ("rx", "rz", "rzz")
#: the scheduling grid: delays are aligned to it (IonQ publishes none; 1 us is finer than
#: any published duration, so gate durations stay exact multiples)
DT = 1e-6
_FIGURES = (
    "t1_s",
    "t2_s",
    "gate_1q_s",
    "gate_2q_s",
    "readout_s",
    "reset_s",
    "fidelity_1q",
    "fidelity_2q",
    "fidelity_spam",
)


@dataclass(frozen=True, slots=True)
class IonDevice:
    """One trapped-ion device's published figures (SI units; None: not published)."""

    name: str
    system: str
    num_qubits: int
    t1: float
    t2: float
    gate_1q: float
    gate_2q: float
    readout: float | None
    reset: float | None
    fidelity_1q: float
    fidelity_2q: float
    fidelity_spam: float
    #: when the figures were read from their sources (ISO date)
    read: str

    def qubit_rows(self) -> list[tuple[float | None, ...]]:
        """``aer_worker.describe``'s qubit rows: (t1, t2, frequency, p01, p10, readout).

        One readout error for both outcomes (SPAM is one published figure)."""
        return [(self.t1, self.t2, None, None, None, _error(self.fidelity_spam))] * self.num_qubits

    def gate_rows(self) -> list[tuple[str, tuple[int, ...], float | None, float | None]]:
        """``aer_worker.describe``'s gate rows: (name, qubits, error, duration), in its
        order (by name, then qubits)."""
        n = range(self.num_qubits)
        rows: list[tuple[str, tuple[int, ...], float | None, float | None]] = []
        rows += [("delay", (q,), None, None) for q in n]
        rows += [("measure", (q,), _error(self.fidelity_spam), self.readout) for q in n]
        rows += [("reset", (q,), None, self.reset) for q in n]
        rows += [("rx", (q,), _error(self.fidelity_1q), self.gate_1q) for q in n]
        rows += [("rz", (q,), 0.0, 0.0) for q in n]
        err_2q = _error(self.fidelity_2q)
        rows += [("rzz", (a, b), err_2q, self.gate_2q) for a in n for b in n if a != b]
        return rows


@functools.cache
def names() -> tuple[str, ...]:
    """Every trapped-ion device name, from the data files shipped with the package."""
    folder = resources.files("fake_backends") / "data"
    found = (
        PREFIX + f.name.removeprefix("ionq-").removesuffix(".json")
        for f in folder.iterdir()
        if f.name.startswith("ionq-") and f.name.endswith(".json")
    )
    return tuple(sorted(found))


@functools.cache
def load(name: str) -> IonDevice:
    """The device ``name`` (``ionq:aria-1``) from its data file; UnknownDevice if none."""
    if name not in names():
        raise UnknownDevice(f"unknown trapped-ion device {name!r}; known: {', '.join(names())}")
    path = resources.files("fake_backends") / "data" / f"ionq-{name.removeprefix(PREFIX)}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return _parse(name, data)


def _error(fidelity: float) -> float:
    """1 - fidelity, without the float residue (1 - 0.9961 is 0.0039000000000000146)."""
    return round(1 - fidelity, 12)


def _parse(name: str, data: dict[str, Any]) -> IonDevice:
    figures = data["figures"]
    missing = [f for f in _FIGURES if f not in figures]
    if missing or data.get("name") != name:
        raise UnknownDevice(f"data file of {name!r} is malformed (missing {missing})")
    for key, fig in figures.items():  # every number names where it comes from
        if fig["source"] not in data["sources"] or not fig.get("figure"):
            raise UnknownDevice(f"{name}: figure {key} does not name its source")
    value = {k: figures[k]["value"] for k in _FIGURES}
    return IonDevice(
        name=name,
        system=str(data["system"]),
        num_qubits=int(data["qubits"]["value"]),
        t1=float(value["t1_s"]),
        t2=float(value["t2_s"]),
        gate_1q=float(value["gate_1q_s"]),
        gate_2q=float(value["gate_2q_s"]),
        readout=None if value["readout_s"] is None else float(value["readout_s"]),
        reset=None if value["reset_s"] is None else float(value["reset_s"]),
        fidelity_1q=float(value["fidelity_1q"]),
        fidelity_2q=float(value["fidelity_2q"]),
        fidelity_spam=float(value["fidelity_spam"]),
        read=min(str(s["read"]) for s in data["sources"].values()),
    )


def backend(name: str) -> Any:
    """The device as a qiskit ``BackendV2`` (Aer workers only: imports qiskit).

    Its target holds the figures as :meth:`IonDevice.gate_rows` lists them, so the
    calibration ``aer_worker.describe`` reads back equals those rows.
    """
    from qiskit.circuit import Delay, Measure, Parameter, Reset
    from qiskit.circuit.library import RXGate, RZGate, RZZGate
    from qiskit.providers import BackendV2, Options
    from qiskit.transpiler import InstructionProperties, QubitProperties, Target

    dev = load(name)
    target = Target(
        description=f"{dev.system} (published figures)",
        num_qubits=dev.num_qubits,
        dt=DT,
        qubit_properties=[QubitProperties(t1=t1, t2=t2) for t1, t2, *_ in dev.qubit_rows()],
    )
    theta = Parameter("theta")
    gates = {"delay": Delay(theta), "measure": Measure(), "reset": Reset()}
    gates |= {"rx": RXGate(theta), "rz": RZGate(theta), "rzz": RZZGate(theta)}
    props: dict[str, dict[tuple[int, ...], Any]] = {}
    for gate, qubits, error, duration in dev.gate_rows():
        props.setdefault(gate, {})[qubits] = InstructionProperties(duration, error)
    for gate, op in gates.items():
        target.add_instruction(op, props[gate], name=gate)

    class IonBackend(BackendV2):  # type: ignore[misc]
        """A trapped-ion device for transpiling and noise; it runs nothing itself."""

        figures_date = dev.read

        @property
        def target(self) -> Any:
            return target

        @property
        def max_circuits(self) -> None:
            return None

        @classmethod
        def _default_options(cls) -> Any:
            return Options()

        def run(self, run_input: Any, **options: Any) -> Any:
            raise NotImplementedError("the fake clouds run circuits on Aer")

    return IonBackend(name=name)
