"""The network links of one game day: a proxy between the SUT and every backend.

:func:`network_links` uses the Toxiproxy server named by ``TOXIPROXY_URL`` (checked
with ``GET /version``) or starts the embedded one on an ephemeral loopback port, and
creates one proxy per backend. The SUT is given each proxy's address instead of the
backend's, so network faults can act on each link alone. On the way out (normal end,
crash, Ctrl-C or SIGTERM) every toxic still on a link is removed and reported, and the
run's proxies are deleted, so a shared toxiproxy-server is left as it was found. Proxy
names carry the harness's pid (:mod:`harness.netchaos.stale`): a run on a shared server
first deletes the proxies of harness processes that were killed before their clean-up.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from harness.errors import ConfigError, ProxyError, ProxyNotFound
from harness.journal.records import NETWORK_CLEANUP, NETWORK_LINKS
from harness.netchaos.client import ToxiproxyClient
from harness.netchaos.proxy import split_address
from harness.netchaos.server import NetChaosServer
from harness.netchaos.stale import proxy_name, sweep_stale
from plumbing.records import Event, EventSink

__all__ = [
    "TOXIPROXY_URL_ENV",
    "NetworkLink",
    "NetworkLinks",
    "check_toxiproxy",
    "network_links",
]

log = logging.getLogger(__name__)

TOXIPROXY_URL_ENV = "TOXIPROXY_URL"
CLEANUP_TIMEOUT = 10.0  # wall seconds for removing leftovers from a real server


@dataclass(frozen=True, slots=True)
class NetworkLink:
    """One SUT -> backend link: the proxy on it and the URL the SUT is given."""

    backend: str
    proxy: str
    upstream: str
    url: str


class NetworkLinks:
    """The links of a run and the client that injects faults on them."""

    def __init__(
        self,
        client: ToxiproxyClient,
        links: Mapping[str, NetworkLink],
        server: str,
        *,
        api_url: str = "",
        tag: str = "",
    ) -> None:
        self.client = client
        self.links = dict(links)
        self.server = server  # e.g. "embedded netchaos at http://127.0.0.1:41234"
        self.api_url = api_url
        self.tag = tag

    def proxy(self, backend: str) -> str:
        """Name of the proxy on ``backend``'s link."""
        return self.links[backend].proxy

    def url(self, backend: str) -> str:
        """Base URL through which the SUT reaches ``backend``."""
        return self.links[backend].url

    async def add(self, name: str, url: str, *, port: int = 0) -> NetworkLink:
        """Put a proxy on one more link (a part that starts later, e.g. the SUT itself);
        it is torn down with the others."""
        link = await _create(self.client, self.api_url, name, url, self.tag, {name: port})
        self.links[name] = link
        return link

    async def cleanup(self) -> dict[str, list[str]]:
        """Remove every toxic left on a link and re-enable it; return what was left."""
        leftovers: dict[str, list[str]] = {}
        for link in self.links.values():
            try:
                info = await self.client.get_proxy(link.proxy)
            except ProxyNotFound:
                continue
            for toxic in info.toxics:
                await _ignore_missing(self.client.remove_toxic(link.proxy, toxic.name))
            if info.toxics:
                leftovers[link.backend] = [t.name for t in info.toxics]
            if not info.enabled:
                await self.client.update_proxy(link.proxy, enabled=True)
        return leftovers


async def _ignore_missing(call: Any) -> None:
    try:
        await call
    except ProxyNotFound:
        pass


@asynccontextmanager
async def network_links(
    backends: Mapping[str, str],
    *,
    ports: Mapping[str, int] | None = None,
    toxiproxy_url: str | None = None,
    on_event: EventSink | None = None,
    seed: int | None = None,
) -> AsyncIterator[NetworkLinks]:
    """Put a proxy on every backend link for the duration of the block.

    ``backends`` maps backend names to their base URLs; ``ports`` optionally fixes the
    proxy's listen port per backend (for an external SUT configured out of band).
    ``toxiproxy_url`` defaults to ``$TOXIPROXY_URL``; without one (or with ``""``) an
    embedded server runs, its toxicity draws seeded with ``seed``.
    """
    url = toxiproxy_url if toxiproxy_url is not None else os.environ.get(TOXIPROXY_URL_ENV)
    emit: EventSink = on_event or _ignore
    async with AsyncExitStack() as stack:
        embedded_server = not url
        if url:
            server = await check_toxiproxy(url)
        else:
            embedded = await stack.enter_async_context(NetChaosServer(seed=seed).running())
            url, server = embedded.url, f"embedded netchaos at {embedded.url}"
        client = await stack.enter_async_context(ToxiproxyClient(url, timeout=CLEANUP_TIMEOUT))
        stale: list[str] = []
        if not embedded_server:
            # a harness killed outright leaves its proxies (and their toxics) behind
            stale = await sweep_stale(client)
            if stale:
                log.warning(
                    "network links: deleted %d proxies of harness processes that are gone "
                    "from %s: %s", len(stale), server, ", ".join(stale),
                )  # fmt: skip
        tag = secrets.token_hex(3)  # a shared server may hold other runs' proxies
        net = NetworkLinks(client, {}, server, api_url=url, tag=tag)
        try:
            for name, backend_url in backends.items():
                net.links[name] = await _create(client, url, name, backend_url, tag, ports)
            by_backend = {n: lk.url for n, lk in net.links.items()}
            emit(NETWORK_LINKS({"server": server, "links": by_backend, "stale_deleted": stale}))
            yield net
        finally:
            await _teardown(client, net.links, emit)


def _ignore(_event: Event[Any]) -> None:
    return None


async def check_toxiproxy(url: str) -> str:
    """Describe the Toxiproxy server at ``url``; ConfigError when it does not answer as one."""
    async with ToxiproxyClient(url, timeout=5.0) as client:
        try:
            version = await client.version()
        except ProxyError as exc:
            raise ConfigError(
                f"{TOXIPROXY_URL_ENV}={url} is not a usable Toxiproxy API ({exc}); unset it "
                "to use the embedded proxy"
            ) from None
    return f"toxiproxy-server {version} at {url}"


async def _create(
    client: ToxiproxyClient,
    api_url: str,
    backend: str,
    backend_url: str,
    tag: str,
    ports: Mapping[str, int] | None,
) -> NetworkLink:
    parts = urlsplit(backend_url)
    upstream = f"{parts.hostname}:{parts.port}"
    api_host = urlsplit(api_url).hostname or "127.0.0.1"
    bind = "127.0.0.1" if _loopback(api_host) else "0.0.0.0"  # a remote server
    port = (ports or {}).get(backend, 0)
    try:
        info = await client.create_proxy(
            proxy_name(backend, tag), upstream=upstream, listen=f"{bind}:{port}"
        )
    except ProxyError as exc:
        if not port or exc.status == 0:
            raise
        # a fixed port someone else holds: the user's to fix, not our bug
        raise ConfigError(
            f"the fault proxy for {backend} cannot listen on port {port}: {exc}"
        ) from None
    host, bound = split_address(info.listen)
    if host in ("0.0.0.0", "::", ""):
        host = api_host
    shown = f"[{host}]" if ":" in host else host
    return NetworkLink(backend, info.name, upstream, f"{parts.scheme}://{shown}:{bound}")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _teardown(
    client: ToxiproxyClient, links: Mapping[str, NetworkLink], emit: EventSink
) -> None:
    net = NetworkLinks(client, links, "")
    leftovers: dict[str, list[str]] = {}
    error = None
    try:
        async with asyncio.timeout(CLEANUP_TIMEOUT):
            leftovers = await net.cleanup()
            for link in links.values():
                await _ignore_missing(client.delete_proxy(link.proxy))
    except (ProxyError, TimeoutError) as exc:
        error = str(exc) or type(exc).__name__
        log.error("network links: cleanup failed: %s", error)
    if links:
        emit(NETWORK_CLEANUP({"leftover_toxics": leftovers, "error": error}))
