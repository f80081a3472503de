"""Serving on loopback and supervised background tasks, for every part that serves HTTP.

- :func:`serve_app` binds an aiohttp app to loopback (port 0 by default), yields its URL
  and always cleans up.
- :func:`background` runs coroutines for the duration of a block under a TaskGroup:
  a crash in one of them cancels the block, and leaving the block cancels them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

__all__ = ["background", "serve_app"]


@asynccontextmanager
async def background(*coros: Coroutine[Any, Any, Any]) -> AsyncIterator[list[asyncio.Task[Any]]]:
    """Run ``coros`` as supervised tasks while the block runs; cancel them when it ends."""
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(c) for c in coros]
        try:
            yield tasks
        finally:
            for task in tasks:
                task.cancel()


@asynccontextmanager
async def serve_app(
    app: web.Application, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve ``app`` on ``host:port`` for the duration of the block; yield its base URL.

    >>> async with serve_app(app) as url:     # doctest: +SKIP
    ...     print(url)                          # http://127.0.0.1:41234
    """
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_address=True)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        yield f"http://{shown}:{bound_port}"
    finally:
        await runner.cleanup()
