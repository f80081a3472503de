"""Serving on loopback and supervised background tasks, for every part that serves HTTP.

- :func:`serve_app` binds an aiohttp app to loopback (port 0 by default), yields its URL
  and always cleans up. A request aiohttp cannot even parse (a broken header, a TLS
  hello, a bad Content-Length) never reaches the app's middlewares; aiohttp answers it
  in plain text, so the connections are made by a handler that answers it in the
  server's JSON error shape instead (``error_body``, default
  :func:`plumbing.http_errors.error_body`).
- :func:`background` runs coroutines for the duration of a block under a TaskGroup:
  a crash in one of them cancels the block, and leaving the block cancels them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from plumbing.http_errors import error_body as plumbing_error_body

ErrorBody = Callable[[int, str], dict[str, Any]]

log = logging.getLogger(__name__)

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


class _JsonParseErrors(RequestHandler):
    """aiohttp's connection handler, answering unparseable requests with a JSON body."""

    def __init__(self, manager: web.Server, error_body: ErrorBody, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._error_body = error_body

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        # Only requests that never reached the app get here (its middlewares answer the
        # rest): malformed input from a client, logged quietly, not as our error.
        log.debug("unparseable request from %s: %s", request.remote, exc or message)
        if request.writer.output_size > 0:
            raise ConnectionError("response already started; cannot answer the error")
        reason = message or "bad request"
        response = web.json_response(self._error_body(status, reason), status=status)
        response.force_close()
        return response


@asynccontextmanager
async def serve_app(
    app: web.Application,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    error_body: ErrorBody = plumbing_error_body,
) -> AsyncIterator[str]:
    """Serve ``app`` on ``host:port`` for the duration of the block; yield its base URL.

    >>> async with serve_app(app) as url:     # doctest: +SKIP
    ...     print(url)                          # http://127.0.0.1:41234
    """
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    server = runner.server
    assert server is not None  # set up above
    loop = asyncio.get_running_loop()
    try:
        listener = await loop.create_server(
            lambda: _JsonParseErrors(server, error_body, loop=loop, access_log=None),
            host,
            port,
            reuse_address=True,
        )
        try:
            bound_host, bound_port = listener.sockets[0].getsockname()[:2]
            shown = f"[{bound_host}]" if ":" in bound_host else bound_host
            yield f"http://{shown}:{bound_port}"
        finally:
            listener.close()
    finally:
        await runner.cleanup()
