"""Network faults: toxics on the fault proxies between the SUT and the backends.

Each fault acts on the links of the backends its scenario entry names (all links by
default; one backend alone makes a partial partition). Durations and rates are
scenario quantities like every other number in a scenario: the proxy gets them in
wall time, ``latency / time_scale`` and ``rate * time_scale``, so a fault means the
same thing at any time scale. ``direction`` is ``upstream`` (SUT -> backend),
``downstream`` (backend -> SUT) or ``both``.

=================== ====================================================================
kind                what the SUT sees
=================== ====================================================================
network.partition   black hole: connections open but no byte passes, nothing is closed
                    (Toxiproxy ``timeout`` 0); when it heals, the held connections close
network.refuse      the proxy stops listening: connection refused, live connections cut
network.latency     every chunk waits ``latency`` (+- ``jitter``)
network.bandwidth   at most ``rate`` KB/s
network.reset       the first data of every connection is answered with a TCP RST
network.slow_close  closes reach the SUT ``delay`` late
network.flap        partition for ``down`` of every ``period``, healthy in between
=================== ====================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Self

from harness.errors import FaultError, ProxyError, ProxyNotFound
from harness.faults.base import FaultContext, FaultKind, FaultSpec
from harness.fields import Fields
from harness.netchaos import NetworkLinks

__all__ = [
    "clashing_network_faults",
    "Bandwidth",
    "Flap",
    "Latency",
    "Partition",
    "Refuse",
    "Reset",
    "SlowClose",
]

DIRECTIONS = ("upstream", "downstream", "both")


def _network(ctx: FaultContext) -> NetworkLinks:
    if ctx.network is None:
        raise FaultError("network faults need the fault proxy, and this run has none")
    return ctx.network


def _ms(ctx: FaultContext, seconds: float) -> int:
    """A scenario duration as whole wall milliseconds (at least 1 when positive)."""
    scale = ctx.clock.time_scale if ctx.clock is not None else 1.0
    ms = round(seconds / scale * 1000)
    return max(1, ms) if seconds > 0 else 0


def _streams(direction: str) -> tuple[str, ...]:
    return ("upstream", "downstream") if direction == "both" else (direction,)


def _direction(fields: Fields, default: str) -> str:
    value: str = fields.text("direction", default, choices=DIRECTIONS)
    return value


class _ToxicFault(FaultKind):
    """Shared inject/revert of the faults that are one toxic per stream on each link."""

    __slots__ = ()
    kind: ClassVar[str]
    toxic: ClassVar[str]
    direction: str

    def attributes(self, ctx: FaultContext) -> dict[str, int]:
        raise NotImplementedError

    def names(self) -> list[tuple[str, str]]:
        """(toxic name, stream) pairs; the name says which fault put the toxic there."""
        return [(f"{self.kind}.{stream}", stream) for stream in _streams(self.direction)]

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        net = _network(ctx)
        attrs = self.attributes(ctx)
        for backend in backends:
            for name, stream in self.names():
                await _put(net, net.proxy(backend), name, self.toxic, stream, attrs)

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        net = _network(ctx)
        for backend in backends:
            for name, _ in self.names():
                await _drop(net, net.proxy(backend), name)


async def _put(
    net: NetworkLinks, proxy: str, name: str, toxic: str, stream: str, attrs: dict[str, int]
) -> None:
    """Add a toxic, or update it when it is already there (inject is idempotent)."""
    try:
        await net.client.add_toxic(proxy, toxic, attrs, name=name, stream=stream)
    except ProxyError as exc:
        if exc.status != 409:
            raise
        await net.client.update_toxic(proxy, name, attrs)


async def _drop(net: NetworkLinks, proxy: str, name: str) -> None:
    try:
        await net.client.remove_toxic(proxy, name)
    except ProxyNotFound:
        pass  # already gone: revert is idempotent


@dataclass(frozen=True, slots=True)
class Partition(_ToxicFault):
    """No byte passes the link and nothing is closed: calls hang until they time out.

    ``direction: upstream`` drops only requests; ``downstream`` drops only answers,
    after the backend did the work (the case that breeds duplicates on retry).
    """

    kind: ClassVar[str] = "network.partition"
    summary: ClassVar[str] = "black hole on the link: no data passes, nothing is closed"
    toxic: ClassVar[str] = "timeout"
    direction: str = "both"

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls(direction=_direction(fields, "both"))

    def attributes(self, ctx: FaultContext) -> dict[str, int]:
        return {"timeout": 0}


@dataclass(frozen=True, slots=True)
class Latency(_ToxicFault):
    """Every chunk on the link waits ``latency`` +- ``jitter`` (scenario time)."""

    kind: ClassVar[str] = "network.latency"
    summary: ClassVar[str] = "added latency (+- jitter) on the link"
    toxic: ClassVar[str] = "latency"
    latency: float = 1.0
    jitter: float = 0.0
    direction: str = "downstream"

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        latency = fields.duration("latency", positive=True)
        jitter = fields.duration("jitter", 0.0)
        return cls(latency=latency, jitter=jitter, direction=_direction(fields, "downstream"))

    def attributes(self, ctx: FaultContext) -> dict[str, int]:
        return {"latency": _ms(ctx, self.latency), "jitter": _ms(ctx, self.jitter)}


@dataclass(frozen=True, slots=True)
class Bandwidth(_ToxicFault):
    """The link carries at most ``rate`` KB/s (1 KB = 1000 bytes); 0 holds all data."""

    kind: ClassVar[str] = "network.bandwidth"
    summary: ClassVar[str] = "bandwidth cap in KB/s on the link (0 holds all data)"
    toxic: ClassVar[str] = "bandwidth"
    rate: float = 100.0
    direction: str = "downstream"

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        rate = fields.number("rate", min=0.0)
        return cls(rate=rate, direction=_direction(fields, "downstream"))

    def attributes(self, ctx: FaultContext) -> dict[str, int]:
        scale = ctx.clock.time_scale if ctx.clock is not None else 1.0
        rate = self.rate * scale
        return {"rate": max(1, round(rate)) if rate > 0 else 0}


@dataclass(frozen=True, slots=True)
class Reset(_ToxicFault):
    """Connections are reset (TCP RST) ``after`` their first data in ``direction``."""

    kind: ClassVar[str] = "network.reset"
    summary: ClassVar[str] = "connections reset (TCP RST) on their first data"
    toxic: ClassVar[str] = "reset_peer"
    after: float = 0.0
    direction: str = "downstream"

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        after = fields.duration("after", 0.0)
        return cls(after=after, direction=_direction(fields, "downstream"))

    def attributes(self, ctx: FaultContext) -> dict[str, int]:
        return {"timeout": _ms(ctx, self.after)}


@dataclass(frozen=True, slots=True)
class SlowClose(_ToxicFault):
    """A connection closed by one end reaches the other ``delay`` late."""

    kind: ClassVar[str] = "network.slow_close"
    summary: ClassVar[str] = "connection closes delayed on the link"
    toxic: ClassVar[str] = "slow_close"
    delay: float = 1.0
    direction: str = "downstream"

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        delay = fields.duration("delay", positive=True)
        return cls(delay=delay, direction=_direction(fields, "downstream"))

    def attributes(self, ctx: FaultContext) -> dict[str, int]:
        return {"delay": _ms(ctx, self.delay)}


@dataclass(frozen=True, slots=True)
class Refuse(FaultKind):
    """The proxy stops listening: new connections are refused, live ones are cut."""

    kind: ClassVar[str] = "network.refuse"
    summary: ClassVar[str] = "link down: connections refused, live ones closed"

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        net = _network(ctx)
        for backend in backends:
            await net.client.update_proxy(net.proxy(backend), enabled=False)

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        net = _network(ctx)
        for backend in backends:
            await net.client.update_proxy(net.proxy(backend), enabled=True)


@dataclass(frozen=True, slots=True)
class Flap(FaultKind):
    """The link is partitioned for ``down`` of every ``period``, healthy the rest."""

    kind: ClassVar[str] = "network.flap"
    summary: ClassVar[str] = "partition switched on and off with a period"
    period: float = 60.0
    down: float = 30.0
    direction: str = "both"

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        period = fields.duration("period", 60.0, positive=True)
        down = fields.duration("down", period / 2, positive=True)
        if down >= period:
            raise fields.error(
                f"down ({down:g}s) must be shorter than the period ({period:g}s)", "down"
            )
        return cls(period=period, down=down, direction=_direction(fields, "both"))

    def _partition(self) -> Partition:
        return Partition(direction=self.direction)

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        await self._partition().inject(ctx, backends)

    async def during(self, ctx: FaultContext, backends: Sequence[str], until: float) -> None:
        """Heal and break the link in turn until ``until`` (scenario time)."""
        clock = ctx.clock
        if clock is None:
            raise FaultError("network.flap needs the scenario clock")
        partition = self._partition()
        down, t = True, clock.now()
        while (t := t + (self.down if down else self.period - self.down)) < until:
            await clock.sleep(t - clock.now())
            if down:
                await partition.revert(ctx, backends)
            else:
                await partition.inject(ctx, backends)
            down = not down

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        await self._partition().revert(ctx, backends)


def _switch(kind: str) -> str:
    """What a network fault flips on a link: a flap and a partition share their toxics."""
    return "network.partition" if kind == "network.flap" else kind


def clashing_network_faults(faults: Sequence[FaultSpec]) -> tuple[int, int] | None:
    """Indexes of two network faults that would flip the same thing on one link at once.

    They would share toxic names (or the proxy's enabled flag), so the first to end
    would also end the other: a scenario error, not a surprise mid-run.
    """
    for j, later in enumerate(faults):
        if not later.kind.startswith("network."):
            continue
        for i, earlier in enumerate(faults[:j]):
            if (
                _switch(earlier.kind) == _switch(later.kind)
                and earlier.at < later.end
                and later.at < earlier.end
                and set(earlier.backends) & set(later.backends)
            ):
                return i, j
    return None
