"""Backend faults: the device goes away, slows down, or returns failed or bad results."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self

from fake_backends.switches import CorruptResults as CorruptSetting
from fake_backends.switches import JobFailures as FailureSetting
from fake_backends.switches import PartialResults as PartialSetting
from harness.faults.base import Fault, FaultContext
from harness.fields import Fields

__all__ = [
    "CLASSES",
    "CorruptResults",
    "JobFailures",
    "Maintenance",
    "Outage",
    "PartialResults",
    "Slowdown",
]


@dataclass(frozen=True, slots=True)
class Outage:
    """Status ``offline``; submissions get 503 ``backend_offline``; nothing starts."""

    kind: ClassVar[str] = "backend.outage"
    summary: ClassVar[str] = "backend offline: submissions 503, queued jobs wait"

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls()

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_outage(True)

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_outage(False)

    def params(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True, slots=True)
class Maintenance:
    """Status ``maintenance``; nothing starts; new jobs rejected (503) or held (``mode``)."""

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

    def params(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class Slowdown:
    """Service time x ``factor`` for jobs that start during the window."""

    kind: ClassVar[str] = "backend.slowdown"
    summary: ClassVar[str] = "every job takes factor x longer on the device"
    factor: float = 3.0

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls(factor=fields.number("factor", 3.0, min=0.01, max=1000))

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_slowdown(self.factor)

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_slowdown(1.0)

    def params(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class JobFailures:
    """A fraction ``rate`` of jobs finishing in the window end ERROR with ``code``."""

    kind: ClassVar[str] = "backend.job_failures"
    summary: ClassVar[str] = "a fraction of jobs end in ERROR with an error code"
    rate: float = 0.5
    code: str = "qpu_error"

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls(
            rate=fields.number("rate", 0.5, min=0.0, max=1.0),
            code=fields.text("code", "qpu_error"),
        )

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_job_failures(FailureSetting(self.rate, self.code))

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_job_failures(None)

    def params(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class PartialResults:
    """A fraction ``rate`` of jobs returns only ``keep`` of the shots asked for.

    ``silent: false`` (default): the result says ``partial: true`` and its real
    ``shots``; ``silent: true``: it claims every shot, the counts just sum to less.
    """

    kind: ClassVar[str] = "backend.partial_results"
    summary: ClassVar[str] = "fewer shots than asked, reported honestly or silently"
    rate: float = 1.0
    keep: float = 0.5
    silent: bool = False

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        keep = fields.number("keep", 0.5, min=0.0, max=1.0)
        if not 0 < keep < 1:
            raise fields.error(
                f"expected a fraction strictly between 0 and 1, found {keep}", "keep"
            )
        return cls(
            rate=fields.number("rate", 1.0, min=0.0, max=1.0),
            keep=keep,
            silent=fields.flag("silent", False),
        )

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_partial_results(PartialSetting(self.rate, self.keep, self.silent))

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_partial_results(None)

    def params(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class CorruptResults:
    """A fraction ``rate`` of results is swapped with another job's, or bit-flipped."""

    kind: ClassVar[str] = "backend.corrupt_results"
    summary: ClassVar[str] = "results swapped between jobs or bit-flipped, well-formed"
    rate: float = 0.5
    mode: Literal["swap", "bitflip"] = "swap"

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        mode = fields.text("mode", "swap", choices=("swap", "bitflip"))
        return cls(
            rate=fields.number("rate", 0.5, min=0.0, max=1.0),
            mode="bitflip" if mode == "bitflip" else "swap",
        )

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_corrupt_results(CorruptSetting(self.rate, self.mode))

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_corrupt_results(None)

    def params(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


CLASSES: tuple[type[Fault], ...] = (
    Outage,
    Maintenance,
    Slowdown,
    JobFailures,
    PartialResults,
    CorruptResults,
)
