"""Telemetry faults: the SUT's own signals stop reaching whoever watches it.

The SUT keeps working; its alert path or its metrics break, so an incident during the
window is seen late or never. The ``backends:`` of these entries are not used: each acts
on one of the SUT's telemetry links (:data:`~harness.sut.wiring.WEBHOOK_LINK`,
:data:`~harness.sut.wiring.METRICS_LINK`).

=========================== ===========================================================
kind                        what happens
=========================== ===========================================================
telemetry.webhook_errors    the alert webhook answers ``status`` (500) to every alert and
                            event: nothing is delivered (journalled ``webhook.refused``)
telemetry.webhook_partition the SUT -> webhook link is a black hole: its notifications hang
                            until its own timeout, then are lost unless it sends them again
telemetry.metrics_dark      the SUT's metrics cannot be scraped (the ``_metrics`` link
                            refuses connections; needs ``target.metrics``)
=========================== ===========================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Self

from harness.errors import FaultError
from harness.faults.base import Fault, FaultContext, FaultKind
from harness.faults.network import Partition, Refuse
from harness.fields import Fields
from harness.sut.wiring import METRICS_LINK, WEBHOOK_LINK

__all__ = ["MetricsDark", "WebhookErrors", "WebhookPartition"]


@dataclass(frozen=True, slots=True)
class WebhookErrors(FaultKind):
    """The alert webhook answers ``status`` (default 500) for the window: every alert and
    event the SUT sends meanwhile is refused, and only what it sends again afterwards
    arrives (a SUT that fires and forgets was never heard)."""

    kind: ClassVar[str] = "telemetry.webhook_errors"
    summary: ClassVar[str] = "the alert webhook answers 5xx: alerts and events not delivered"
    status: int = 500

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls(status=fields.http_status("status", 500, least=500, what="a 5xx status"))

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        if ctx.webhook is None:
            raise FaultError(f"{self.kind} needs the run's alert webhook")
        ctx.webhook.failing = self.status

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        if ctx.webhook is not None:
            ctx.webhook.failing = None


class _TelemetryLinkFault(FaultKind):
    """A network fault on one of the SUT's telemetry links, whatever ``backends:`` says."""

    __slots__ = ()
    link: ClassVar[str]
    network: ClassVar[Fault]

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        await self.network.inject(ctx, [self.link])

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        await self.network.revert(ctx, [self.link])


@dataclass(frozen=True, slots=True)
class WebhookPartition(_TelemetryLinkFault):
    """The link from the SUT to the alert webhook is a black hole for the window."""

    kind: ClassVar[str] = "telemetry.webhook_partition"
    summary: ClassVar[str] = "black hole on the SUT -> alert webhook link"
    link: ClassVar[str] = WEBHOOK_LINK
    network: ClassVar[Fault] = Partition()


@dataclass(frozen=True, slots=True)
class MetricsDark(_TelemetryLinkFault):
    """The SUT's metrics cannot be scraped for the window (connections refused): it works
    on, unseen. A SUT that watches its own scrapes can tell and page."""

    kind: ClassVar[str] = "telemetry.metrics_dark"
    summary: ClassVar[str] = "the SUT's /metrics cannot be scraped (monitoring goes blind)"
    link: ClassVar[str] = METRICS_LINK
    network: ClassVar[Fault] = Refuse()
