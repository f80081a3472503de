"""Queue faults: other tenants flood the device, dispatch stalls, the queue refuses or
evicts jobs, jobs hang RUNNING without QPU time or stay QUEUED for good.

``queue.saturation`` takes ``rate`` with the workload's syntax (``2/s``, ``30/m`` or jobs
per scenario second) and adds that many background jobs (other tenants, ``shots``
each) to the backend's base load for the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Self

from fake_backends import switches
from harness.faults.base import FaultContext, FaultKind, SettingFault
from harness.fields import Fields

__all__ = ["Eviction", "Rejection", "RunningWithoutQpu", "Saturation", "Stall", "StuckQueued"]


@dataclass(frozen=True, slots=True)
class Saturation(SettingFault[switches.Saturation]):
    """Background load from other tenants raised by ``rate`` jobs per scenario second."""

    kind: ClassVar[str] = "queue.saturation"
    summary: ClassVar[str] = "other tenants' jobs flood the queue (Poisson, rate added)"
    setting: switches.Saturation

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls(
            switches.Saturation(
                rate=fields.rate("rate"), shots=fields.integer("shots", None, min=1)
            )
        )


@dataclass(frozen=True, slots=True)
class Stall(SettingFault[switches.Stall]):
    """The scheduler stops: queued jobs stay queued, status still says online."""

    kind: ClassVar[str] = "queue.stall"
    summary: ClassVar[str] = "dispatch stops; jobs stay queued while the status says online"
    setting: switches.Stall = switches.Stall()


@dataclass(frozen=True, slots=True)
class Rejection(SettingFault[switches.QueueLimit]):
    """The queue accepts at most ``max_depth`` jobs (default 0): 429 + Retry-After."""

    kind: ClassVar[str] = "queue.rejection"
    summary: ClassVar[str] = "submissions refused with 429 + Retry-After (queue limit lowered)"
    setting: switches.QueueLimit

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls(switches.QueueLimit(max_depth=fields.integer("max_depth", 0, min=0)))


@dataclass(frozen=True, slots=True)
class Eviction(FaultKind):
    """At the window's start the provider cancels ``fraction`` of the queued jobs.

    Evicted jobs end CANCELLED with ``error_code: evicted`` and ``reason`` in their error.
    Not a setting: an eviction happens once and cannot be taken back.
    """

    kind: ClassVar[str] = "queue.eviction"
    summary: ClassVar[str] = "queued jobs cancelled by the provider, with a reason"
    fraction: float = 1.0
    reason: str = "preempted by the provider"

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        fraction = fields.fraction("fraction", 1.0)
        return cls(fraction=fraction, reason=fields.text("reason", "preempted by the provider"))

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.evict(self.fraction, self.reason)

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        return None  # cancelled jobs stay cancelled


@dataclass(frozen=True, slots=True)
class RunningWithoutQpu(SettingFault[switches.RunningWithoutQpu]):
    """Jobs that start in the window report RUNNING, hold their slot, and use no QPU time
    (metrics: 0 quantum seconds) until the window ends; then they run as usual."""

    kind: ClassVar[str] = "queue.running_without_qpu"
    summary: ClassVar[str] = "jobs say RUNNING but use no QPU time until the window ends"
    setting: switches.RunningWithoutQpu = switches.RunningWithoutQpu()


@dataclass(frozen=True, slots=True)
class StuckQueued(SettingFault[switches.StuckQueued]):
    """A fraction ``rate`` (default 1) of the jobs submitted in the window never leave
    QUEUED: not after the window either, until cancelled (no queue position, no start)."""

    kind: ClassVar[str] = "queue.stuck_queued"
    summary: ClassVar[str] = "some jobs never leave QUEUED (until cancelled)"
    setting: switches.StuckQueued

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls(switches.StuckQueued(fields.fraction("rate", 1.0)))
