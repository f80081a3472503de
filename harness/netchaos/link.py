"""The data plane: one proxied TCP connection, its two sockets and its two links.

A :class:`Connection` joins a client socket to an upstream socket (both are
:class:`Side` protocols). Each direction is a :class:`Link` with its own chain of
toxic stages, built from the proxy's toxics when the connection opens and changed
live when toxics are added, updated or removed.

Without toxics a link is a straight pass-through: bytes are written to the
destination inside ``data_received``, with the usual asyncio back-pressure (a full
destination pauses reading from the source). With toxics, chunks are timestamped
when read and queued, and one pump task per link walks each chunk through the
stages; toxics that wait do so relative to the read time, so latency is per chunk
and never cumulative.

Why two paths: the pass-through is what almost every link does for a whole game day,
and measured in ``make bench`` it is on par with a bare Protocol relay (~1.7x a streams
relay; ~0.01 ms added to a loopback round trip); queueing every chunk for a pump task
would cost that on every byte of every run, for the few seconds a toxic is on.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import random
import socket
import struct
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from harness.netchaos.toxics import TOXIC_TYPES, Chunk, Direction, Toxic

__all__ = ["Connection", "Link", "Side", "Stage"]

log = logging.getLogger(__name__)

HIGH_WATER = 256 * 1024  # queued bytes per link before reading from its source pauses
LOW_WATER = 64 * 1024

Spawn = Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]]


class Stage:
    """One toxic on one link: toxicity drawn once per link (and again on an update)."""

    __slots__ = ("active", "interrupted", "kind", "removed", "rng", "state", "timer", "toxic")

    def __init__(self, toxic: Toxic, rng: random.Random) -> None:
        self.toxic = toxic
        self.kind = TOXIC_TYPES[toxic.type]
        self.rng = rng
        self.state: Any = self.kind.new_state()
        self.timer: Any = None
        self.removed = False
        self.interrupted = asyncio.Event()
        self.active = rng.random() < toxic.toxicity

    def interrupt(self) -> None:
        """Wake whatever the stage is waiting for; later waits use a fresh event."""
        self.interrupted.set()
        self.interrupted = asyncio.Event()
        self.active = self.rng.random() < self.toxic.toxicity


class Side(asyncio.Protocol):
    """One socket of a proxied connection; it is the source of exactly one link."""

    def __init__(self, conn: Connection, role: str) -> None:
        self.conn = conn
        self.role = role
        self.transport: asyncio.Transport | None = None
        self.out: Link | None = None  # the link this side feeds
        self.into: Link | None = None  # the link that writes into this side
        self.writable = asyncio.Event()
        self.writable.set()
        self.lost = False
        self._early: list[bytes] = []
        self._early_eof = False
        self._holds: set[str] = set()

    # -- asyncio.Protocol --------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.out is not None:
            self.out.feed(data)
        else:  # the other side is not connected yet
            self._early.append(data)
            self.hold("early")

    def eof_received(self) -> bool:
        if self.out is not None:
            self.out.feed_eof()
        else:
            self._early_eof = True
        return True  # the link decides when to close

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.writable.set()
        if self.out is not None:
            self.out.feed_eof()
        self.conn.side_lost(self)

    def pause_writing(self) -> None:
        self.writable.clear()
        if self.into is not None:
            self.into.source.hold("dest")

    def resume_writing(self) -> None:
        self.writable.set()
        if self.into is not None:
            self.into.source.release("dest")

    # -- used by links -------------------------------------------------------------

    def attach(self, link: Link) -> None:
        """Start feeding ``link``, first with what arrived before it existed."""
        self.out = link
        early, self._early = self._early, []
        for data in early:
            link.feed(data)
        if self._early_eof or self.lost:
            link.feed_eof()
        self.release("early")

    def hold(self, reason: str) -> None:
        """Stop reading from this socket until every reason is released."""
        if not self._holds and self.transport is not None and not self.lost:
            self.transport.pause_reading()
        self._holds.add(reason)

    def release(self, reason: str) -> None:
        if reason not in self._holds:
            return
        self._holds.discard(reason)
        if not self._holds and self.transport is not None and not self.lost:
            self.transport.resume_reading()

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def abort(self, *, rst: bool = False) -> None:
        if self.transport is None:
            return
        if rst:
            sock = self.transport.get_extra_info("socket")
            if sock is not None:
                try:  # SO_LINGER 0: close() sends RST and drops unsent data
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
        self.transport.abort()


class Link:
    """One direction of a connection: source -> toxic stages -> destination."""

    def __init__(
        self,
        conn: Connection,
        direction: Direction,
        source: Side,
        dest: Side,
        toxics: Sequence[Toxic],
    ) -> None:
        self.conn = conn
        self.direction = direction
        self.source = source
        self.dest = dest
        self.stages: list[Stage] = []
        self.received = 0
        self.sent = 0
        self.done = False
        self._eof = False
        self._inbox: collections.deque[tuple[int, Chunk | None]] = collections.deque()
        self._queued = 0
        self._wake = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        self._loop = asyncio.get_running_loop()
        dest.into = self
        for toxic in toxics:
            self.add(toxic)

    # -- toxics ----------------------------------------------------------------------

    def add(self, toxic: Toxic) -> None:
        stage = Stage(toxic, self.conn.rng)
        self.stages.append(stage)
        stage.kind.attached(stage, self)

    def update(self, toxic: Toxic) -> None:
        for stage in self.stages:
            if stage.toxic is toxic:
                stage.kind.detached(stage, self, removed=False)
                stage.interrupt()
                stage.kind.attached(stage, self)

    def remove(self, toxic: Toxic) -> None:
        for stage in self.stages:
            if stage.toxic is toxic:
                self.stages.remove(stage)
                stage.removed = True
                stage.interrupted.set()
                stage.kind.detached(stage, self, removed=True)
                self._wake.set()  # an idle pump may now hand back to the fast path
                return

    # -- LinkOps (what toxics may do) ----------------------------------------------

    def now(self) -> float:
        return self._loop.time()

    def call_later(self, seconds: float, fn: Callable[[], None]) -> asyncio.TimerHandle:
        return self._loop.call_later(seconds, fn)

    async def hold(self, stage: Any, seconds: float | None) -> bool:
        if seconds is not None and seconds <= 0:
            return True
        event: asyncio.Event = stage.interrupted
        if stage.removed or event.is_set():
            return False
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            return True
        return False

    def inject_eof(self, after: int) -> None:
        if not self.done:
            self._inbox.appendleft((after, None))
            self._kick()

    def reset(self) -> None:
        self.conn.abort(rst=True)

    # -- data ------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Bytes read from the source."""
        self.received += len(data)
        if self.done:
            return
        if not self.stages and self._pump is None and not self._inbox:
            self.sent += len(data)  # fast path: no toxic, nothing queued
            self.dest.write(data)
            return
        self._inbox.append((-1, Chunk(data, self._loop.time())))
        self._queued += len(data)
        if self._queued > HIGH_WATER:
            self.source.hold("queue")
        self._kick()

    def feed_eof(self) -> None:
        """The source closed (or was lost)."""
        if self._eof or self.done:
            return
        self._eof = True
        if not self.stages and self._pump is None and not self._inbox:
            self._finish()
            return
        self._inbox.append((-1, None))
        self._kick()

    def close(self) -> None:
        """Stop at once (the connection is being torn down)."""
        self.done = True
        self._inbox.clear()
        for stage in self.stages:
            stage.kind.detached(stage, self, removed=False)
        if self._pump is not None:
            self._pump.cancel()

    def _kick(self) -> None:
        if self._pump is None:
            self._pump = self.conn.spawn(self._run())
        else:
            self._wake.set()

    async def _run(self) -> None:
        try:
            while not self.done:
                if not self._inbox:
                    if not self.stages:
                        return  # nothing to apply: back to the fast path
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                after, chunk = self._inbox.popleft()
                if chunk is not None:
                    self._queued -= len(chunk.data)
                    if self._queued < LOW_WATER:
                        self.source.release("queue")
                await self._through(after, chunk)
        except Exception:  # a bug in a toxic must not take the server down
            log.exception("proxy %s: %s link failed", self.conn.proxy_name, self.direction)
            self.conn.abort()
        finally:
            self._pump = None

    async def _through(self, after: int, chunk: Chunk | None) -> None:
        if self.done:
            return
        stage = next((s for s in self.stages if s.toxic.seq > after), None)
        if stage is None:
            await self._deliver(chunk)
        elif not stage.active:
            await self._through(stage.toxic.seq, chunk)
        else:
            seq = stage.toxic.seq
            await stage.kind.process(stage, self, chunk, lambda c: self._through(seq, c))

    async def _deliver(self, chunk: Chunk | None) -> None:
        if chunk is None:
            self._finish()
            return
        if not self.dest.writable.is_set():
            await self.dest.writable.wait()
        if not self.done:
            self.sent += len(chunk.data)
            self.dest.write(chunk.data)

    def _finish(self) -> None:
        # Toxiproxy closes the destination when a direction ends; the other direction
        # then ends too, when its source (this destination) goes away.
        self.done = True
        self._inbox.clear()
        self.dest.close()


class Connection:
    """A client connection and its upstream connection, joined by two links."""

    def __init__(
        self,
        proxy_name: str,
        spawn: Spawn,
        rng: random.Random,
        on_closed: Callable[[Connection], None],
    ) -> None:
        self.proxy_name = proxy_name
        self.spawn = spawn
        self.rng = rng
        self._on_closed = on_closed
        self.client = Side(self, "client")
        self.server: Side | None = None
        self.links: dict[Direction, Link] = {}
        self.closed = False

    async def open(self, host: str, port: int, toxics: Callable[[Direction], list[Toxic]]) -> None:
        """Dial the upstream and start both links (the client is closed if that fails)."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(10):
                _, server = await loop.create_connection(lambda: Side(self, "server"), host, port)
        except (OSError, TimeoutError) as exc:
            log.info("proxy %s: cannot reach upstream %s:%s: %s", self.proxy_name, host, port, exc)
            self.client.close()
            self.closed = True
            self._on_closed(self)
            return
        self.server = server
        if self.closed or self.client.lost:
            server.close()
            return
        up = Link(self, Direction.UPSTREAM, self.client, server, toxics(Direction.UPSTREAM))
        down = Link(self, Direction.DOWNSTREAM, server, self.client, toxics(Direction.DOWNSTREAM))
        self.links = {Direction.UPSTREAM: up, Direction.DOWNSTREAM: down}
        self.client.attach(up)
        server.attach(down)

    def side_lost(self, side: Side) -> None:
        if self.client.lost and (self.server is None or self.server.lost):
            self._close_links()

    def abort(self, *, rst: bool = False) -> None:
        """Close both sockets now (RST with ``rst``), dropping whatever is queued."""
        self._close_links()
        self.client.abort(rst=rst)
        if self.server is not None:
            self.server.abort(rst=rst)

    def _close_links(self) -> None:
        if self.closed:
            return
        self.closed = True
        for link in self.links.values():
            link.close()
        self._on_closed(self)
