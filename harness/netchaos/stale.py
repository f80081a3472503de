"""Proxies named by the harness process that made them, and sweeping those of dead ones.

A run deletes its proxies on the way out, but a harness killed outright (SIGKILL, the
OOM killer, a lost machine) runs no clean-up: on a shared ``TOXIPROXY_URL`` its proxies,
and any partition toxic on them, stay until someone deletes them. So every proxy name
says who made it: ``gameday-<pid>-<host>-<tag>-<backend>`` (``host``: six hex digits of a
hash of this machine's name, since pids mean nothing across machines; ``tag``: per run).
The next run on the same server deletes the proxies of harness processes of this
machine that are no longer alive (:func:`sweep_stale`) and says which. Proxies of live
processes, of other machines and anyone else's are never touched. A pid reused by an
unrelated process only keeps a stale proxy a while longer: the safe side.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path

from harness.errors import ProxyNotFound
from harness.netchaos.client import ToxiproxyClient

__all__ = ["HOST", "Owner", "owner_of", "process_alive", "proxy_name", "sweep_stale"]

#: this machine, as it appears in proxy names
HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]

_NAME = re.compile(r"gameday-(?P<pid>[1-9]\d{0,9})-(?P<host>[0-9a-f]{6})-[0-9a-f]{6}-.+")


@dataclass(frozen=True, slots=True)
class Owner:
    """The harness process a proxy name says made it."""

    pid: int
    host: str


def proxy_name(backend: str, tag: str, *, pid: int | None = None, host: str = HOST) -> str:
    """The name of this process's (or ``pid``'s) proxy on ``backend``'s link in run ``tag``."""
    return f"gameday-{os.getpid() if pid is None else pid}-{host}-{tag}-{backend}"


def owner_of(name: str) -> Owner | None:
    """Who made the proxy ``name``, or None when it is not a harness name with an owner
    (another tool's proxy, or one named before names carried the pid)."""
    m = _NAME.fullmatch(name)
    return Owner(int(m["pid"]), m["host"]) if m else None


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` of this machine exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's: alive
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: kill() said it exists
    return stat[stat.rindex(")") + 2] != "Z"


async def sweep_stale(client: ToxiproxyClient) -> list[str]:
    """Delete the proxies (and so their toxics) of dead harness processes of this
    machine; return their names, sorted."""
    deleted = []
    for name in sorted(await client.proxies()):
        owner = owner_of(name)
        if owner is None or owner.host != HOST or owner.pid == os.getpid():
            continue
        if process_alive(owner.pid):
            continue
        try:
            await client.delete_proxy(name)
        except ProxyNotFound:
            continue  # another run swept it first
        deleted.append(name)
    return deleted
