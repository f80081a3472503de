"""Toxic types of the Toxiproxy API: attributes, validation, and what each does to a link.

A toxic acts on one direction ("stream") of every connection of its proxy: ``upstream``
is client -> server, ``downstream`` server -> client. On each link it is one stage of a
chain; a stage gets each chunk read from the source (``None`` for end of stream) and
passes what it wants to the next stage with ``emit``. Units are Toxiproxy's:

==========  ======================================  ==========================================
type        attributes                              effect
==========  ======================================  ==========================================
latency     latency, jitter (ms)                    each chunk waits latency +- jitter after
                                                    it was read (per chunk, not cumulative)
bandwidth   rate (KB/s, 1 KB = 1000 bytes)          at most ``rate``; 0 holds all data
slow_close  delay (ms)                              the close is passed on ``delay`` later
timeout     timeout (ms)                            data dropped; close after ``timeout``
                                                    (0 = never); removing it closes the link
reset_peer  timeout (ms)                            on the first data, wait, then TCP RST
slicer      average_size, size_variation (bytes),   chunks cut into pieces ``delay`` apart
            delay (microseconds)
limit_data  bytes                                   close once ``bytes`` have passed
noop        (none)                                  nothing
==========  ======================================  ==========================================

A stage waits with ``link.hold``, which returns early (False) when its toxic is updated or
removed: held data is then passed on at once, as Toxiproxy does, never dropped.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from harness.errors import ProxyError

__all__ = [
    "TOXIC_TYPES",
    "Chunk",
    "DataToxic",
    "Direction",
    "Emit",
    "LinkOps",
    "StageOps",
    "Toxic",
    "ToxicType",
    "parse_attributes",
]

MAX_INT64 = 2**63 - 1


class Direction(StrEnum):
    """Which way data flows through a link: to the upstream server, or back to the client."""

    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"

    @classmethod
    def parse(cls, stream: str) -> Direction:
        try:
            return cls(stream.lower())
        except ValueError:
            raise ProxyError(
                "stream was invalid, can be either upstream or downstream", status=400
            ) from None


@dataclass(frozen=True, slots=True)
class Chunk:
    """Bytes read from a link's source; ``due`` is the loop time they are due at this stage."""

    data: bytes
    due: float


Emit = Callable[[Chunk | None], Awaitable[None]]


@dataclass(slots=True, eq=False)
class Toxic:
    """One toxic of a proxy (server side; an update changes it in place)."""

    name: str
    type: str
    stream: str
    direction: Direction
    toxicity: float
    attributes: dict[str, int]
    seq: int  # insertion order: new toxics go to the end of the chain

    def to_json(self) -> dict[str, Any]:
        return {
            "attributes": dict(self.attributes),
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
        }


class LinkOps(Protocol):
    """What a toxic may do to the link it sits on (implemented by ``link.Link``)."""

    def now(self) -> float: ...

    def hold(self, stage: StageOps, seconds: float | None) -> Awaitable[bool]:
        """Wait ``seconds`` (None: until interrupted); False if the toxic changed meanwhile."""
        ...

    def inject_eof(self, after: int) -> None:
        """End the stream after stage ``after`` (closes the destination)."""
        ...

    def reset(self) -> None:
        """Abort both sockets of the connection with a TCP RST."""
        ...

    def call_later(self, seconds: float, fn: Callable[[], None]) -> Any: ...


class StageOps(Protocol):
    """A toxic on one link: the toxic, whether toxicity let it act, and per-link state."""

    toxic: Toxic
    active: bool
    state: Any
    rng: random.Random
    timer: Any


class ToxicType:
    """Base of the toxic types: a pass-through (``noop``)."""

    name: ClassVar[str] = "noop"
    attributes: ClassVar[tuple[str, ...]] = ()

    def validate(self, attrs: Mapping[str, int]) -> None:
        """Reject attribute combinations the type cannot run (400)."""

    def new_state(self) -> Any:
        return None

    async def process(
        self, stage: StageOps, link: LinkOps, chunk: Chunk | None, emit: Emit
    ) -> None:
        await emit(chunk)

    def attached(self, stage: StageOps, link: LinkOps) -> None:
        """The toxic now acts on ``link`` (new toxic, new connection, or an update)."""

    def detached(self, stage: StageOps, link: LinkOps, *, removed: bool) -> None:
        """The toxic stops acting on ``link`` (removed, or about to be updated)."""


class DataToxic(ToxicType):
    """A toxic that acts on the data only: the end of the stream passes on at once."""

    async def process(
        self, stage: StageOps, link: LinkOps, chunk: Chunk | None, emit: Emit
    ) -> None:
        if chunk is None:
            await emit(None)
            return
        await self.data(stage, link, chunk, emit)

    async def data(self, stage: StageOps, link: LinkOps, chunk: Chunk, emit: Emit) -> None:
        """Pass on what becomes of ``chunk`` (a piece of data, never the end)."""
        raise NotImplementedError


class Latency(DataToxic):
    name = "latency"
    attributes = ("latency", "jitter")

    async def data(self, stage: StageOps, link: LinkOps, chunk: Chunk, emit: Emit) -> None:
        attrs = stage.toxic.attributes
        delay_ms = attrs["latency"]
        if (jitter := attrs["jitter"]) > 0:
            delay_ms += stage.rng.randrange(2 * jitter) - jitter
        due = chunk.due + delay_ms / 1000
        await link.hold(stage, due - link.now())  # interrupted: pass it on now
        await emit(Chunk(chunk.data, due))


@dataclass(slots=True)
class _Pace:
    next_free: float = 0.0


class Bandwidth(DataToxic):
    name = "bandwidth"
    attributes = ("rate",)

    def new_state(self) -> Any:
        return _Pace()

    async def data(self, stage: StageOps, link: LinkOps, chunk: Chunk, emit: Emit) -> None:
        rate = stage.toxic.attributes["rate"]
        if rate <= 0:
            await link.hold(stage, None)  # rate 0 holds data until the toxic changes
            await emit(chunk)
            return
        pace: _Pace = stage.state
        data = memoryview(chunk.data)
        piece = rate * 100  # what 100 ms carry: large chunks trickle out in 100 ms steps
        t = max(link.now(), pace.next_free)
        while len(data) > piece:
            t += 0.1
            if not await link.hold(stage, t - link.now()):
                pace.next_free = link.now()
                await emit(Chunk(bytes(data), chunk.due))
                return
            await emit(Chunk(bytes(data[:piece]), chunk.due))
            data = data[piece:]
        t += len(data) / (rate * 1000)
        pace.next_free = t
        await link.hold(stage, t - link.now())
        await emit(Chunk(bytes(data), chunk.due))


class SlowClose(ToxicType):
    name = "slow_close"
    attributes = ("delay",)

    async def process(
        self, stage: StageOps, link: LinkOps, chunk: Chunk | None, emit: Emit
    ) -> None:
        if chunk is None:
            await link.hold(stage, stage.toxic.attributes["delay"] / 1000)
        await emit(chunk)


class Timeout(DataToxic):
    name = "timeout"
    attributes = ("timeout",)

    async def data(self, stage: StageOps, link: LinkOps, chunk: Chunk, emit: Emit) -> None:
        return None  # data is dropped on the floor: a black hole

    def attached(self, stage: StageOps, link: LinkOps) -> None:
        ms = stage.toxic.attributes["timeout"]
        if stage.active and ms > 0:
            seq = stage.toxic.seq
            stage.timer = link.call_later(ms / 1000, lambda: link.inject_eof(seq))

    def detached(self, stage: StageOps, link: LinkOps, *, removed: bool) -> None:
        if stage.timer is not None:
            stage.timer.cancel()
            stage.timer = None
        if removed and stage.active:
            # the data was dropped, so the stream cannot go on: Toxiproxy closes it
            link.inject_eof(stage.toxic.seq)


class ResetPeer(ToxicType):
    name = "reset_peer"
    attributes = ("timeout",)

    async def process(
        self, stage: StageOps, link: LinkOps, chunk: Chunk | None, emit: Emit
    ) -> None:
        if not await link.hold(stage, stage.toxic.attributes["timeout"] / 1000):
            await emit(chunk)
            return
        link.reset()


class Slicer(DataToxic):
    name = "slicer"
    attributes = ("average_size", "size_variation", "delay")

    def validate(self, attrs: Mapping[str, int]) -> None:
        if attrs["average_size"] <= 0:
            raise ProxyError("bad request body: average_size must be greater than 0", status=400)

    async def data(self, stage: StageOps, link: LinkOps, chunk: Chunk, emit: Emit) -> None:
        attrs = stage.toxic.attributes
        cuts = _cuts(len(chunk.data), attrs["average_size"], attrs["size_variation"], stage.rng)
        start = 0
        for end in cuts:
            await emit(Chunk(chunk.data[start:end], chunk.due))
            start = end
            if not await link.hold(stage, attrs["delay"] / 1_000_000) and end < len(chunk.data):
                await emit(Chunk(chunk.data[end:], chunk.due))
                return


def _cuts(size: int, average: int, variation: int, rng: random.Random) -> list[int]:
    """End offsets of the pieces: halve until a piece is within average + variation."""
    ends: list[int] = []
    todo = [(0, size)]
    while todo:
        start, end = todo.pop()
        if end - start - average <= variation:
            ends.append(end)
            continue
        mid = start + (end - start) // 2
        if variation > 0:
            mid += rng.randrange(2 * variation) - variation
        mid = min(max(mid, start + 1), end - 1)
        todo.append((mid, end))  # popped after the left half: offsets stay in order
        todo.append((start, mid))
    return ends


@dataclass(slots=True)
class _Sent:
    bytes: int = 0


class LimitData(DataToxic):
    name = "limit_data"
    attributes = ("bytes",)

    def new_state(self) -> Any:
        return _Sent()

    async def data(self, stage: StageOps, link: LinkOps, chunk: Chunk, emit: Emit) -> None:
        limit = stage.toxic.attributes["bytes"]
        sent: _Sent = stage.state
        data = chunk.data[: max(0, limit - sent.bytes)]
        if data:
            await emit(Chunk(data, chunk.due))
            sent.bytes += len(data)
        if sent.bytes >= limit:
            await emit(None)


TOXIC_TYPES: dict[str, ToxicType] = {
    t.name: t
    for t in (
        ToxicType(),
        Latency(),
        Bandwidth(),
        SlowClose(),
        Timeout(),
        ResetPeer(),
        Slicer(),
        LimitData(),
    )
}


def parse_attributes(kind: ToxicType, raw: Any, current: Mapping[str, int]) -> dict[str, int]:
    """Merge ``raw`` (the request's ``attributes``) into ``current``; 400 on a bad value.

    Missing or null attributes keep their current value (0 for a new toxic); unknown
    keys are ignored, as Toxiproxy's JSON decoding does. Values must be integers.
    """
    attrs = {name: int(current.get(name, 0)) for name in kind.attributes}
    if raw is None:
        kind.validate(attrs)
        return attrs
    if not isinstance(raw, dict):
        raise ProxyError(
            f"bad request body: attributes: expected an object, found {_json_type(raw)}",
            status=400,
        )
    for name in kind.attributes:
        value = raw.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProxyError(
                f"bad request body: cannot unmarshal {_json_type(value)} {value!r} into "
                f"attribute {name} of type int64",
                status=400,
            )
        if not 0 <= value <= MAX_INT64:
            raise ProxyError(
                f"bad request body: attribute {name} must be a non-negative integer, found {value}",
                status=400,
            )
        attrs[name] = value
    kind.validate(attrs)
    return attrs


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
