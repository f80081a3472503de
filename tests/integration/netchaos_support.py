"""Servers for the fault-proxy tests: a threaded echo server and ``gameday proxy``.

Both are real: the echo server is a TCP server on 127.0.0.1 port 0 in a thread, and
``gameday proxy`` runs as a subprocess exactly as a user starts it.
"""

from __future__ import annotations

import os
import signal
import socket
import socketserver
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.integration.runs import ROOT


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        while data := sock.recv(65536):
            sock.sendall(data)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def echo_server() -> Iterator[str]:
    """An echo server on loopback; yields ``"127.0.0.1:port"``."""
    server = _Server(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def gameday_proxy(*extra: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``gameday proxy --listen 127.0.0.1:0`` in a subprocess; yields (API URL, process)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "proxy", "--listen", "127.0.0.1:0", *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        url = _wait_for_url(proc)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()


def _wait_for_url(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:  # ends when the process exits
        seen.append(line)
        if line.startswith("Toxiproxy API on "):
            return line.split()[3]
    raise AssertionError(f"gameday proxy did not start: {''.join(seen)}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


def round_trip_ms(address: str, n: int, size: int = 1024) -> float:
    """Median round trip (ms) of ``size`` bytes through an echo at ``address``."""
    with socket.create_connection(split(address), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        payload = b"r" * size
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            sock.sendall(payload)
            got = 0
            while got < size:
                chunk = sock.recv(65536)
                assert chunk, "connection closed mid round trip"
                got += len(chunk)
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)
