"""The named proxies of a Toxiproxy-compatible server, and the tasks they own.

What the HTTP API (:mod:`harness.netchaos.api`) acts on; serving it is
:class:`harness.netchaos.server.NetChaosServer`. Every connection task belongs to the
collection (:meth:`ProxyCollection.spawn`) and is cancelled by :meth:`ProxyCollection.close`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Coroutine, Sequence
from typing import Any

from harness.errors import ProxyError, ProxyNotFound
from harness.netchaos.proxy import Proxy, format_address, resolve_listen
from harness.netchaos.toxics import Direction

__all__ = ["ProxyCollection"]

log = logging.getLogger(__name__)


class ProxyCollection:
    """Named proxies and their connection tasks (open between :meth:`open` and :meth:`close`)."""

    def __init__(self, *, seed: int | None = None) -> None:
        self.proxies: dict[str, Proxy] = {}
        self.rng = random.Random(seed)
        self.lock = asyncio.Lock()  # one change of the collection at a time
        self._open = False
        self._tasks: set[asyncio.Task[None]] = set()

    def open(self) -> None:
        """Accept connection tasks from now on."""
        self._open = True

    async def close(self) -> None:
        """Stop every proxy (listeners and connections), then cancel and await what is left."""
        self._open = False
        for proxy in list(self.proxies.values()):
            await proxy.stop()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run a connection task owned by the server: its errors are logged, and it is
        cancelled and awaited when the server stops.

        Not a TaskGroup: that would wrap every error raised by the code running inside
        the server's ``running`` block into an ExceptionGroup, and these tasks never
        raise anyway.
        """
        if not self._open:
            coro.close()
            raise RuntimeError("the netchaos server is not running")
        task = asyncio.get_running_loop().create_task(_logged(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- the collection (callers hold ``lock``) --------------------------------------

    def get(self, name: str) -> Proxy:
        try:
            return self.proxies[name]
        except KeyError:
            raise ProxyNotFound("proxy not found", status=404) from None

    async def create(self, name: str, listen: str, upstream: str, enabled: bool) -> Proxy:
        if name in self.proxies:
            raise ProxyError("proxy already exists", status=409)
        proxy = Proxy(name, listen, upstream, self.spawn, self.rng)
        if enabled:
            await proxy.start()
        self.proxies[name] = proxy
        return proxy

    async def update(self, proxy: Proxy, listen: str, upstream: str, enabled: bool) -> Proxy:
        """Toxiproxy's PATCH: a new address restarts the proxy; ``enabled`` starts/stops it."""
        if await _differs(proxy, listen, upstream):
            await proxy.stop()
            proxy.listen, proxy.upstream = listen, upstream
        if enabled and not proxy.enabled:
            await proxy.start()
        elif not enabled:
            await proxy.stop()
        return proxy

    async def delete(self, name: str) -> None:
        proxy = self.get(name)
        await proxy.stop()
        del self.proxies[name]

    async def populate(
        self, specs: Sequence[tuple[str, str, str, bool]]
    ) -> tuple[list[Proxy], ProxyError | None]:
        """Create or replace proxies; one with the same address and upstream is left alone.

        Stops at the first failure: the proxies handled so far stay, and are returned
        with the error.
        """
        done: list[Proxy] = []
        for name, listen, upstream, enabled in specs:
            try:
                existing = self.proxies.get(name)
                if existing is not None:
                    if not await _differs(existing, listen, upstream):
                        done.append(existing)
                        continue
                    await existing.stop()
                    del self.proxies[name]
                done.append(await self.create(name, listen, upstream, enabled))
            except ProxyError as exc:
                return done, exc
        return done, None

    async def reset(self) -> None:
        """Remove every toxic and enable every proxy; live connections are kept.

        Every proxy is reset even when one cannot start (its port taken meanwhile): the
        first such error is raised after all of them were tried, so no fault is left in
        place behind it.
        """
        errors: list[ProxyError] = []
        for proxy in self.proxies.values():
            proxy.reset_toxics()
            try:
                await proxy.start()
            except ProxyError as exc:
                errors.append(exc)
        if errors:
            raise errors[0]

    def metrics(self) -> str:
        """Prometheus text: bytes received and sent per proxy and direction."""
        lines = []
        for metric, index in (("received", 0), ("sent", 1)):
            name = f"toxiproxy_proxy_{metric}_bytes_total"
            lines += [f"# HELP {name} Bytes {metric} by the proxy.", f"# TYPE {name} counter"]
            for proxy in sorted(self.proxies.values(), key=lambda p: p.name):
                for d in Direction:
                    value = proxy.bytes_total(d)[index]
                    labels = (
                        f'direction="{d}",listener="{_esc(proxy.listen)}",'
                        f'proxy="{_esc(proxy.name)}",upstream="{_esc(proxy.upstream)}"'
                    )
                    lines.append(f"{name}{{{labels}}} {value}")
        return "\n".join(lines) + "\n"


async def _differs(proxy: Proxy, listen: str, upstream: str) -> bool:
    host, port = await resolve_listen(listen)
    return format_address(host, port) != proxy.listen or upstream != proxy.upstream


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


async def _logged(coro: Coroutine[Any, Any, None]) -> None:
    try:
        await coro
    except Exception:
        log.exception("netchaos connection task failed")
