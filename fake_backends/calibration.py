"""Device calibration as a value: per-qubit T1/T2/readout, per-gate error and duration.

A :class:`Calibration` is immutable and carries a version; drift produces new versions
(see :mod:`fake_backends.drift`). The parent process owns it: the API serves it as the
device's properties, and the Aer workers receive it to build the noise model, cached
per :attr:`Calibration.id`. Units are SI (seconds, Hz); the JSON served by the API uses
the units IBM's properties use (us, GHz, ns).

Readout error is asymmetric where the snapshot says so: ``p10`` is P(read 1 | prepared
0) and ``p01`` is P(read 0 | prepared 1).
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Calibration", "Factors", "GateCal", "QubitCal"]

MAX_READOUT_ERROR = 0.5
MAX_GATE_ERROR = 0.5
_NON_GATES = frozenset({"measure", "delay", "reset"})


@dataclass(frozen=True, slots=True)
class Factors:
    """Multipliers applied to a calibration: T1, T2, readout error, gate error."""

    t1: float = 1.0
    t2: float = 1.0
    readout: float = 1.0
    gate: float = 1.0

    def times(self, other: Factors) -> Factors:
        """Both sets of multipliers applied one after the other."""
        return Factors(
            self.t1 * other.t1,
            self.t2 * other.t2,
            self.readout * other.readout,
            self.gate * other.gate,
        )

    def toward(self, progress: float) -> Factors:
        """The multipliers ``progress`` (0..1) of the way from 1 to these."""
        p = min(1.0, max(0.0, progress))
        return Factors(
            1 + (self.t1 - 1) * p,
            1 + (self.t2 - 1) * p,
            1 + (self.readout - 1) * p,
            1 + (self.gate - 1) * p,
        )


@dataclass(frozen=True, slots=True)
class QubitCal:
    """One qubit: coherence times (s), frequency (Hz) and readout error probabilities."""

    t1: float | None
    t2: float | None
    frequency: float | None
    p01: float | None
    p10: float | None
    readout_error: float | None

    def scaled(self, f: Factors) -> QubitCal:
        def mul(x: float | None, k: float, cap: float = math.inf) -> float | None:
            return None if x is None else min(cap, x * k)

        return QubitCal(
            t1=mul(self.t1, f.t1),
            t2=mul(self.t2, f.t2),
            frequency=self.frequency,
            p01=mul(self.p01, f.readout, MAX_READOUT_ERROR),
            p10=mul(self.p10, f.readout, MAX_READOUT_ERROR),
            readout_error=mul(self.readout_error, f.readout, MAX_READOUT_ERROR),
        )


@dataclass(frozen=True, slots=True)
class GateCal:
    """One gate on specific qubits: error probability and duration (s)."""

    name: str
    qubits: tuple[int, ...]
    error: float | None
    duration: float | None


@dataclass(frozen=True, slots=True)
class Calibration:
    """A device's calibration at one version (see the module docstring)."""

    device: str
    num_qubits: int
    qubits: tuple[QubitCal, ...]
    gates: tuple[GateCal, ...]
    version: int = 0
    lineage: str = "nominal"
    snapshot_date: str | None = None
    #: no noise at all: an ideal simulator stands in for the device
    #: (``backend.simulator_fallback``); the values above are what it claims to be
    ideal: bool = False

    @property
    def id(self) -> str:
        """Cache key of the noise model built from this calibration, unique per content.

        Version 0 is the snapshot itself, shared by every backend on the same device.
        """
        suffix = "~ideal" if self.ideal else ""
        if self.version == 0:
            return f"{self.device}#0{suffix}"
        return f"{self.device}#{self.lineage}.{self.version}{suffix}"

    def idealised(self) -> Calibration:
        """The same calibration run without noise (an ideal simulator's)."""
        return dataclasses.replace(self, ideal=True)

    @classmethod
    def from_description(cls, desc: Mapping[str, Any]) -> Calibration:
        """Build from ``aer_worker.describe`` output (SI units, compact rows)."""
        qubits = tuple(QubitCal(*row) for row in desc["qubit_rows"])
        gates = tuple(
            GateCal(str(name), tuple(int(q) for q in qargs), err, dur)
            for name, qargs, err, dur in desc["gate_rows"]
        )
        return cls(
            device=str(desc["name"]),
            num_qubits=int(desc["num_qubits"]),
            qubits=qubits,
            gates=gates,
            snapshot_date=desc.get("snapshot_date"),
        )

    def evolve(
        self,
        factors: Factors,
        per_qubit: Mapping[int, Factors] | None = None,
        *,
        version: int,
        lineage: str,
    ) -> Calibration:
        """A new version: ``factors`` on every qubit, times ``per_qubit[q]`` on qubit q.

        A gate's error grows with the worst factor among its qubits.
        """
        per_qubit = per_qubit or {}
        qf = [factors.times(per_qubit.get(q, Factors())) for q in range(self.num_qubits)]
        qubits = tuple(cal.scaled(qf[q]) for q, cal in enumerate(self.qubits))
        gates = tuple(
            g
            if g.error is None or not g.qubits
            else dataclasses.replace(
                g, error=min(MAX_GATE_ERROR, g.error * max(qf[q].gate for q in g.qubits))
            )
            for g in self.gates
        )
        return dataclasses.replace(
            self, qubits=qubits, gates=gates, version=version, lineage=lineage
        )

    def restricted(self, physical: Sequence[int]) -> Calibration:
        """Only the qubits in ``physical`` and the gates among them, renumbered 0..k-1.

        The Aer workers build noise on this sub-device: a 127-qubit noise model takes
        seconds, the 5 qubits a job touches take ~0.1 s. The id is kept (cache key).
        """
        index = {q: i for i, q in enumerate(physical)}
        gates = tuple(
            dataclasses.replace(g, qubits=tuple(index[q] for q in g.qubits))
            for g in self.gates
            if all(q in index for q in g.qubits)
        )
        return dataclasses.replace(
            self,
            num_qubits=len(physical),
            qubits=tuple(self.qubits[q] for q in physical),
            gates=gates,
        )

    # -- views -----------------------------------------------------------------

    def qubits_json(self) -> list[dict[str, Any]]:
        """Per-qubit properties in the API's units."""
        return [
            {
                "qubit": i,
                "t1_us": _scale(q.t1, 1e6),
                "t2_us": _scale(q.t2, 1e6),
                "frequency_ghz": _scale(q.frequency, 1e-9),
                "readout_error": q.readout_error,
                "prob_meas0_prep1": q.p01,
                "prob_meas1_prep0": q.p10,
            }
            for i, q in enumerate(self.qubits)
        ]

    def gates_json(self) -> list[dict[str, Any]]:
        """Per-gate properties in the API's units (measure, delay and reset left out)."""
        return [
            {
                "gate": g.name,
                "qubits": list(g.qubits),
                "error": g.error,
                "duration_ns": _scale(g.duration, 1e9),
            }
            for g in self.gates
            if g.name not in _NON_GATES
        ]

    def summary(self) -> dict[str, float | None]:
        """Medians an operator compares devices by: T1/T2 (us), readout and 2q error."""
        return {
            "median_t1_us": _median([q.t1 for q in self.qubits if q.t1 is not None], 1e6),
            "median_t2_us": _median([q.t2 for q in self.qubits if q.t2 is not None], 1e6),
            "median_readout_error": _median(
                q.readout_error for q in self.qubits if q.readout_error is not None
            ),
            "median_2q_error": _median(
                g.error for g in self.gates if len(g.qubits) == 2 and g.error is not None
            ),
        }


def _scale(x: float | None, k: float) -> float | None:
    return None if x is None else x * k


def _median(values: Any, k: float = 1.0) -> float | None:
    data = [v for v in values]
    return statistics.median(data) * k if data else None
