"""Calibration faults: the device drifts, a qubit goes bad, properties go stale, a jump.

Drift and bad-qubit effects are applied by the backend in steps, once per scenario tick
(one noise-model rebuild at most per tick); reverting them lets the calibration return
to its snapshot at the next step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Self

from fake_backends.calibration import Factors
from harness.faults.base import FaultContext, FaultKind
from harness.fields import Fields

__all__ = ["BadQubit", "Drift", "Recalibration", "StaleProperties"]


def _factors(f: Fields, t1: float, t2: float, readout: float, gate: float) -> Factors:
    return Factors(
        t1=f.number("t1", t1, min=0.001, max=1000),
        t2=f.number("t2", t2, min=0.001, max=1000),
        readout=f.number("readout", readout, min=0.0, max=1000),
        gate=f.number("gate", gate, min=0.0, max=1000),
    )


@dataclass(frozen=True, slots=True)
class Drift(FaultKind):
    """Calibration degrades linearly over ``ramp``: T1/T2, readout and gate error multipliers.

    Defaults: T1 and T2 x0.5, readout and gate error x3, over 10 minutes. ``qubits``
    limits it to some physical qubits (default: all).
    """

    kind: ClassVar[str] = "calibration.drift"
    summary: ClassVar[str] = "T1/T2 down, readout and gate errors up, ramped over scenario time"
    factors: Factors = Factors(0.5, 0.5, 3.0, 3.0)
    ramp: float = 600.0
    qubits: tuple[int, ...] | None = None

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        qubits = fields.raw("qubits", None)
        if qubits is not None and (
            not isinstance(qubits, list)
            or not all(isinstance(q, int) and not isinstance(q, bool) and q >= 0 for q in qubits)
        ):
            raise fields.error(f"expected a list of qubit indexes, found {qubits!r}", "qubits")
        return cls(
            factors=_factors(fields, 0.5, 0.5, 3.0, 3.0),
            ramp=fields.duration("ramp", 600.0),
            qubits=tuple(qubits) if qubits is not None else None,
        )

    def highest_qubit(self) -> int | None:
        """For load-time checks against the targeted devices."""
        return max(self.qubits) if self.qubits else None

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.add_drift(self.kind, self.factors, ramp=self.ramp, qubits=self.qubits)

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.remove_drift(self.kind)


@dataclass(frozen=True, slots=True)
class BadQubit(FaultKind):
    """One physical qubit goes bad at once: T1/T2 x0.1, readout x8, its gates' error x10."""

    kind: ClassVar[str] = "calibration.bad_qubit"
    summary: ClassVar[str] = "one qubit's T1/T2 collapse and its readout and gate errors soar"
    qubit: int = 0
    factors: Factors = Factors(0.1, 0.1, 8.0, 10.0)
    ramp: float = 0.0

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls(
            qubit=fields.integer("qubit", 0, min=0),
            factors=_factors(fields, 0.1, 0.1, 8.0, 10.0),
            ramp=fields.duration("ramp", 0.0),
        )

    def highest_qubit(self) -> int | None:
        """For load-time checks against the targeted devices."""
        return self.qubit

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.add_drift(self.kind, self.factors, ramp=self.ramp, qubits=(self.qubit,))

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.remove_drift(self.kind)


@dataclass(frozen=True, slots=True)
class StaleProperties(FaultKind):
    """The served properties stop updating: ``last_update`` ages and the numbers lie
    about the real noise while it keeps drifting (combine with a drift to see it)."""

    kind: ClassVar[str] = "calibration.stale_properties"
    summary: ClassVar[str] = "properties stop updating; served numbers no longer match the noise"

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_stale(True)

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_stale(False)


@dataclass(frozen=True, slots=True)
class Recalibration(FaultKind):
    """A recalibration at the window's start: drift effects dropped, numbers re-measured
    (each moved by a lognormal factor with relative sd ``jitter``), version bumped.

    Nothing to undo at the end: a recalibration cannot be taken back.
    """

    kind: ClassVar[str] = "calibration.recalibration"
    summary: ClassVar[str] = "calibration jumps: effects reset, numbers re-measured, new version"
    jitter: float = 0.1

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls(jitter=fields.number("jitter", 0.1, min=0.0, max=2.0))

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.recalibrate(self.jitter)

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        return None
