"""One proxy of the embedded server: its listener, live connections and toxic chain.

Semantics follow Toxiproxy 2.12: a proxy listens on ``listen`` and dials ``upstream``
for every client it accepts; disabling it (or deleting it) closes the listener and
every existing connection; toxics apply to new and live connections alike, in the
order they were added, and names are unique across both streams.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import logging
import math
import random
import socket
from collections.abc import Iterator
from typing import Any

from harness.errors import ProxyError, ProxyNotFound
from harness.netchaos.link import Connection, Link, Spawn
from harness.netchaos.toxics import TOXIC_TYPES, Direction, Toxic, parse_attributes

__all__ = ["Proxy", "format_address", "resolve_listen", "split_address"]

log = logging.getLogger(__name__)


def split_address(text: str) -> tuple[str, int]:
    """``"host:port"`` or ``"[::1]:port"`` -> (host, port); 400 when malformed."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not port_text.isdigit() or int(port_text) > 65535:
        raise ProxyError(f"address {text}: missing or invalid port in address", status=400)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ProxyError(f"address {text}: too many colons in address", status=400)
    return host, int(port_text)


def format_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def resolve_listen(text: str) -> tuple[str, int]:
    """Resolve a listen address to one IP; an empty host means loopback here.

    Toxiproxy binds every interface for an empty host; this server keeps to loopback
    unless an address is asked for explicitly (``0.0.0.0:port``).
    """
    if not text:
        return "127.0.0.1", 0
    host, port = split_address(text)
    if host in ("", "localhost"):
        return "127.0.0.1", port
    try:
        return str(ipaddress.ip_address(host)), port
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ProxyError(f"listen tcp {text}: {exc}", status=500) from None
    infos.sort(key=lambda info: info[0] != socket.AF_INET)  # prefer IPv4, as Go does
    return str(infos[0][4][0]), port


class Proxy:
    """A named TCP proxy (``enabled`` means listening)."""

    def __init__(self, name: str, listen: str, upstream: str, spawn: Spawn, rng: random.Random):
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self.toxics: dict[str, Toxic] = {}
        self.received = {d: 0 for d in Direction}
        self.sent = {d: 0 for d in Direction}
        self._spawn = spawn
        self._rng = rng
        self._server: asyncio.Server | None = None
        self._conns: set[Connection] = set()
        self._seq = itertools.count(1)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": [t.to_json() for t in self.chain()],
        }

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Bind ``listen`` and accept clients (no-op when already listening)."""
        if self.enabled:
            return
        host, port = await resolve_listen(self.listen)
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(
                self._accept, host, port, reuse_address=True, backlog=1024
            )
        except OSError as exc:
            raise ProxyError(
                f"listen tcp {self.listen}: {exc.strerror or exc}", status=500
            ) from None
        bound = self._server.sockets[0].getsockname()
        self.listen = format_address(str(bound[0]), int(bound[1]))
        self.enabled = True
        log.info("proxy %s listening on %s -> %s", self.name, self.listen, self.upstream)

    async def stop(self) -> None:
        """Close the listener and every existing connection."""
        if not self.enabled:
            return
        self.enabled = False
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for conn in list(self._conns):
            conn.abort()
        self._conns.clear()
        log.info("proxy %s stopped", self.name)

    def _accept(self) -> asyncio.Protocol:
        conn = Connection(self.name, self._spawn, self._rng, self._closed)
        self._conns.add(conn)
        host, port = split_address(self.upstream)
        self._spawn(conn.open(host, port, self._toxics_for))
        return conn.client

    def _closed(self, conn: Connection) -> None:
        self._conns.discard(conn)
        for d, link in conn.links.items():
            self.received[d] += link.received
            self.sent[d] += link.sent

    def _toxics_for(self, direction: Direction) -> list[Toxic]:
        return [t for t in self.chain() if t.direction is direction]

    def links(self, direction: Direction) -> Iterator[Link]:
        for conn in self._conns:
            link = conn.links.get(direction)
            if link is not None and not link.done:
                yield link

    def bytes_total(self, direction: Direction) -> tuple[int, int]:
        """(received, sent) bytes in ``direction``, closed and live connections."""
        live = [conn.links[direction] for conn in self._conns if direction in conn.links]
        return (
            self.received[direction] + sum(link.received for link in live),
            self.sent[direction] + sum(link.sent for link in live),
        )

    # -- toxics ----------------------------------------------------------------------

    def chain(self) -> list[Toxic]:
        """Toxics in chain order: upstream ones first, each stream in insertion order."""
        return sorted(self.toxics.values(), key=lambda t: (t.direction != "upstream", t.seq))

    def toxic(self, name: str) -> Toxic:
        try:
            return self.toxics[name]
        except KeyError:
            raise ProxyNotFound("toxic not found", status=404) from None

    def add_toxic(self, body: dict[str, Any]) -> Toxic:
        """Create a toxic from a request body (the checks run in Toxiproxy's order)."""
        stream = _text(body, "stream", "downstream")
        kind = _text(body, "type", "")
        toxicity = _toxicity(body.get("toxicity"), 1.0)
        direction = Direction.parse(stream)
        name = _text(body, "name", "") or f"{kind}_{stream}"
        if kind not in TOXIC_TYPES:
            raise ProxyError("invalid toxic type", status=400)
        if name in self.toxics:
            raise ProxyError("toxic already exists", status=409)
        attrs = parse_attributes(TOXIC_TYPES[kind], body.get("attributes"), {})
        toxic = Toxic(name, kind, stream, direction, toxicity, attrs, next(self._seq))
        self.toxics[name] = toxic
        for link in self.links(direction):
            link.add(toxic)
        return toxic

    def update_toxic(self, name: str, body: dict[str, Any]) -> Toxic:
        """Merge ``attributes`` and ``toxicity``; live links re-run the toxic."""
        toxic = self.toxic(name)
        attrs = parse_attributes(TOXIC_TYPES[toxic.type], body.get("attributes"), toxic.attributes)
        toxic.toxicity = _toxicity(body.get("toxicity"), toxic.toxicity)
        toxic.attributes = attrs
        for link in self.links(toxic.direction):
            link.update(toxic)
        return toxic

    def remove_toxic(self, name: str) -> None:
        toxic = self.toxic(name)
        del self.toxics[name]
        for link in list(self.links(toxic.direction)):
            link.remove(toxic)

    def reset_toxics(self) -> None:
        for name in [t.name for t in self.chain()]:
            self.remove_toxic(name)


def _text(body: dict[str, Any], key: str, default: str) -> str:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ProxyError(f"bad request body: {key}: expected a string, found {value!r}", status=400)
    return value


def _toxicity(value: Any, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProxyError(
            f"bad request body: toxicity: expected a number, found {value!r}", status=400
        )
    return float(value)
