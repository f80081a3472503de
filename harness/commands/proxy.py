"""``gameday proxy``: the embedded Toxiproxy-compatible server, standalone.

It behaves like ``toxiproxy-server`` for any Toxiproxy client and runs until Ctrl-C or
SIGTERM, then closes every proxy. ``--config`` creates proxies at start from a JSON
list, as ``toxiproxy-server -config`` does.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import signal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from harness.commands.common import add_command, read_json
from harness.errors import ConfigError, ProxyError
from harness.exitcode import ExitCode

DEFAULT_LISTEN = "127.0.0.1:8474"


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "proxy",
        execute,
        help="run the Toxiproxy-compatible fault proxy",
        description="Serve the Toxiproxy HTTP API (v2.12) and its proxies until Ctrl-C or "
        "SIGTERM. Point any Toxiproxy client at it, or a game day with TOXIPROXY_URL.",
    )
    p.add_argument(
        "--listen",
        default=DEFAULT_LISTEN,
        metavar="HOST:PORT",
        help=f"API address (default {DEFAULT_LISTEN}; port 0 picks a free one)",
    )
    p.add_argument("--config", type=Path, help="JSON list of proxies to create at start")
    p.add_argument("--seed", type=int, help="seed for toxicity draws and jitter")


def execute(args: argparse.Namespace, console: Console) -> int:
    from harness.netchaos.proxy import split_address

    try:
        host, port = split_address(args.listen)
    except ProxyError as exc:
        raise ConfigError(f"--listen {args.listen!r}: expected HOST:PORT ({exc.reason})") from None
    proxies = _read_config(args.config) if args.config else []
    return asyncio.run(_serve(host or "127.0.0.1", port, proxies, args.seed, console))


def _read_config(path: Path) -> list[dict[str, Any]]:
    doc = read_json(path, f"--config {path}")
    if not isinstance(doc, list) or not all(isinstance(p, dict) for p in doc):
        raise ConfigError(f"--config {path}: expected a JSON list of proxies")
    return doc


async def _serve(
    host: str, port: int, proxies: list[dict[str, Any]], seed: int | None, console: Console
) -> int:
    from harness.netchaos import NetChaosServer, ToxiproxyClient

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with NetChaosServer(seed=seed).running(host, port) as server:
            created = []
            if proxies:  # before the ready line: a client may start at once
                async with ToxiproxyClient(server.url) as client:
                    created = await client.populate(proxies)
            console.print(f"Toxiproxy API on {escape(server.url)} (Ctrl-C to stop)", soft_wrap=True)
            for p in created:
                console.print(escape(f"proxy {p.name}: {p.listen} -> {p.upstream}"), soft_wrap=True)
            if not _loopback(host):
                console.print(
                    f"[yellow]warning:[/] the API on {escape(host)} is reachable off this host"
                )
            await stop.wait()
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    except ProxyError as exc:
        raise ConfigError(f"--config: {exc}") from None
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    console.print("stopped: every proxy closed")
    return ExitCode.OK


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
