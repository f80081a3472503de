"""``loopback_late``: is data sent on loopback TCP readable at the peer's very next poll?

The virtual-time loop (:mod:`plumbing.virtual`) decides that nothing is in flight
between the parts of a game day when a poll with timeout 0 finds no socket ready. That
holds if a ``send()`` on loopback has put the bytes in the peer's receive queue by the
time it returns (Linux delivers loopback in the sender's own softirq) and a
``connect()`` has completed its handshake. This measures it: ``sends`` messages of
1..3000 bytes each way on one TCP_NODELAY connection, and ``connects`` new connections,
each checked with a zero-timeout poll right after the call. ``late`` counts the misses
(goal 0), with and without a CPU hog (a busy loop on every core) competing.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _drain(sock: socket.socket) -> None:
    while True:
        try:
            if not sock.recv(1 << 20):
                return
        except BlockingIOError:
            return


def _late_sends(sends: int) -> int:
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()
    late = 0
    with listener, client, server:
        polls = []
        for sock in (client, server):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
        for peer in (server, client):
            poll = select.epoll()
            poll.register(peer, select.EPOLLIN)
            polls.append(poll)
        for i in range(sends):
            for sender, receiver, poll in ((client, server, polls[0]), (server, client, polls[1])):
                sender.send(b"x" * (1 + i % 3000))
                if not poll.poll(0):
                    late += 1
                    poll.poll(1.0)  # bounded: it will come
                _drain(receiver)
        for poll in polls:
            poll.close()
    return late


def _late_connects(connects: int) -> int:
    late = 0
    with socket.create_server(("127.0.0.1", 0)) as listener:
        for _ in range(connects):
            with socket.socket() as sock:
                sock.setblocking(False)
                try:
                    sock.connect(listener.getsockname())
                except BlockingIOError:
                    pass  # EINPROGRESS: the handshake should be done already all the same
                late += not select.select([listener], [], [], 0)[0]
                accepted, _ = listener.accept()
                late += not select.select([], [sock], [], 0)[1]
                accepted.close()
    return late


def _spin() -> None:
    while True:
        pass


@contextmanager
def cpu_hog() -> Iterator[int]:
    """A busy loop on every core while the block runs; yields how many."""
    n = os.cpu_count() or 1
    hogs = [
        multiprocessing.get_context("fork").Process(target=_spin, daemon=True) for _ in range(n)
    ]
    for p in hogs:
        p.start()
    try:
        yield n
    finally:
        for p in hogs:
            p.kill()
            p.join()


def loopback_late(sends: int = 100_000, connects: int = 2_000) -> dict[str, Any]:
    """Late sends and connects, on a quiet machine and under a CPU hog."""
    out: dict[str, Any] = {"sends": 2 * sends, "connects": connects}
    for label in ("quiet", "hog"):
        t0 = time.monotonic()
        if label == "hog":
            with cpu_hog():
                late = _late_sends(sends) + _late_connects(connects)
        else:
            late = _late_sends(sends) + _late_connects(connects)
        out[f"late_{label}"] = late
        out[f"seconds_{label}"] = round(time.monotonic() - t0, 2)
    out["load_average_1m"] = round(os.getloadavg()[0], 2)
    return out
