"""Backend faults: the device goes away, slows down, or returns failed or bad results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal, Self

from fake_backends import switches
from harness.faults.base import FaultContext, FaultKind, SettingFault
from harness.fields import Fields

__all__ = [
    "ConfigChange",
    "CorruptResults",
    "JobFailures",
    "Maintenance",
    "Outage",
    "PartialResults",
    "SimulatorFallback",
    "Slowdown",
]


@dataclass(frozen=True, slots=True)
class Outage(SettingFault[switches.Outage]):
    """Status ``offline``; submissions get 503 ``backend_offline``; nothing starts."""

    kind: ClassVar[str] = "backend.outage"
    summary: ClassVar[str] = "backend offline: submissions 503, queued jobs wait"
    setting: switches.Outage = switches.Outage()


@dataclass(frozen=True, slots=True)
class Maintenance(FaultKind):
    """Status ``maintenance``; nothing starts; new jobs rejected (503) or held (``mode``).

    Not a setting: maintenance windows are keyed (the scheduled ones and this fault's
    can overlap), so the control keeps them by key.
    """

    kind: ClassVar[str] = "backend.maintenance"
    summary: ClassVar[str] = "unscheduled maintenance: new jobs rejected or held"
    mode: Literal["reject", "hold"] = "reject"

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        mode = fields.text("mode", "reject", choices=("reject", "hold"))
        return cls(mode="hold" if mode == "hold" else "reject")

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_maintenance(self.kind, self.mode)

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_maintenance(self.kind, None)


@dataclass(frozen=True, slots=True)
class Slowdown(SettingFault[switches.Slowdown]):
    """Service time x ``factor`` for jobs that start during the window."""

    kind: ClassVar[str] = "backend.slowdown"
    summary: ClassVar[str] = "every job takes factor x longer on the device"
    setting: switches.Slowdown

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls(switches.Slowdown(factor=fields.number("factor", 3.0, min=0.01, max=1000)))


@dataclass(frozen=True, slots=True)
class JobFailures(SettingFault[switches.JobFailures]):
    """A fraction ``rate`` (default 0.5) of jobs finishing in the window end ERROR with
    ``code`` (default ``qpu_error``)."""

    kind: ClassVar[str] = "backend.job_failures"
    summary: ClassVar[str] = "a fraction of jobs end in ERROR with an error code"
    setting: switches.JobFailures

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls(
            switches.JobFailures(
                rate=fields.fraction("rate", 0.5),
                code=fields.text("code", "qpu_error"),
            )
        )


@dataclass(frozen=True, slots=True)
class PartialResults(SettingFault[switches.PartialResults]):
    """A fraction ``rate`` (default 1) of jobs returns only ``keep`` (0.5) of the shots.

    ``silent: false`` (default): the result says ``partial: true`` and its real
    ``shots``; ``silent: true``: it claims every shot, the counts just sum to less.
    """

    kind: ClassVar[str] = "backend.partial_results"
    summary: ClassVar[str] = "fewer shots than asked, reported honestly or silently"
    setting: switches.PartialResults

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        keep = fields.fraction("keep", 0.5)
        if not 0 < keep < 1:
            raise fields.error(
                f"expected a fraction strictly between 0 and 1, found {keep}", "keep"
            )
        return cls(
            switches.PartialResults(
                rate=fields.fraction("rate", 1.0),
                keep=keep,
                silent=fields.flag("silent", False),
            )
        )


@dataclass(frozen=True, slots=True)
class CorruptResults(SettingFault[switches.CorruptResults]):
    """A fraction ``rate`` (default 0.5) of results is swapped with another job's
    (``mode: swap``) or bit-flipped (``bitflip``)."""

    kind: ClassVar[str] = "backend.corrupt_results"
    summary: ClassVar[str] = "results swapped between jobs or bit-flipped, well-formed"
    setting: switches.CorruptResults

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        mode = fields.text("mode", "swap", choices=("swap", "bitflip"))
        return cls(
            switches.CorruptResults(
                rate=fields.fraction("rate", 0.5),
                mode="bitflip" if mode == "bitflip" else "swap",
            )
        )


@dataclass(frozen=True, slots=True)
class SimulatorFallback(SettingFault[switches.SimulatorFallback]):
    """Jobs that start in the window run on an ideal, noiseless simulator instead of the
    device: well-formed results, fidelity near 1, too good for the device.

    ``disclosed: true`` (default): the result's ``executed_on`` says ``aer_simulator``,
    as a provider's result header names the backend that ran it; ``false``: it names the
    device, and only the results' statistics give it away.
    """

    kind: ClassVar[str] = "backend.simulator_fallback"
    summary: ClassVar[str] = "results from an ideal simulator instead of the device"
    setting: switches.SimulatorFallback

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls(switches.SimulatorFallback(disclosed=fields.flag("disclosed", True)))


@dataclass(frozen=True, slots=True)
class ConfigChange(SettingFault[switches.ConfigChange]):
    """The backend's configuration changes: ``basis_gates`` replaced and/or the couplers
    in ``remove_edges`` (pairs of qubits, both directions) taken out of the coupling
    map. ``/v1/backends`` serves the new one (``configuration_version`` bumped); a
    backend with ``isa: true`` refuses circuits compiled for the old one (400
    ``not_isa``). The IBM protocol serves it (``/configuration``, ``/properties``) and
    refuses every IBM job compiled for the old one. Reverted: the device's own
    configuration, version bumped again.
    """

    kind: ClassVar[str] = "backend.config_change"
    summary: ClassVar[str] = "basis gates / coupling map change under compiled circuits"
    setting: switches.ConfigChange

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        basis = fields.texts("basis_gates", None)
        raw = fields.raw("remove_edges", [])
        if not isinstance(raw, list) or not all(
            isinstance(e, list) and len(e) == 2 and all(type(q) is int and q >= 0 for q in e)
            for e in raw
        ):
            raise fields.error(
                f"expected a list of qubit pairs like [[0, 1], [1, 2]], found {raw!r}",
                "remove_edges",
            )
        if basis is None and not raw:
            raise fields.error("give basis_gates, remove_edges or both", "basis_gates")
        if basis is not None and not basis:
            raise fields.error("expected at least one basis gate", "basis_gates")
        edges = tuple((int(a), int(b)) for a, b in raw)
        return cls(switches.ConfigChange(basis_gates=basis, remove_edges=edges))
