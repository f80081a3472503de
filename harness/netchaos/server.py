"""The embedded Toxiproxy-compatible server: the proxy collection served over HTTP.

>>> async with NetChaosServer().running() as server:          # doctest: +SKIP
...     print(server.url)                                       # http://127.0.0.1:41234

Leaving :meth:`NetChaosServer.running` stops every proxy (closing their listeners and
connections), then cancels and awaits what is left.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Self

from harness.netchaos.api import error_body, make_app
from harness.netchaos.collection import ProxyCollection
from plumbing.serve import serve_app

__all__ = ["NetChaosServer"]


class NetChaosServer(ProxyCollection):
    """Named proxies plus the Toxiproxy HTTP API (see :mod:`harness.netchaos.api`)."""

    def __init__(self, *, seed: int | None = None) -> None:
        super().__init__(seed=seed)
        self.url = ""

    @asynccontextmanager
    async def running(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[Self]:
        """Serve the API on ``host:port`` until the block ends; then stop every proxy."""
        self.open()
        try:
            async with serve_app(make_app(self), host, port, error_body=error_body) as url:
                self.url = url
                yield self
        finally:
            await self.close()
