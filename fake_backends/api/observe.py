"""Request observers: who else sees every request a fake cloud serves, as it arrived.

The harness checks what a system under test sends its providers (e.g. for credentials
where they do not belong: :mod:`harness.sut.leaks`) without the cloud knowing why. An
observer gets a :class:`SeenRequest` per request once it was answered: method, path with
query, headers, the body as its handler read it and, when the answer is a plain body
(every JSON answer), that body too, so credentials a cloud hands out (an access token)
are known to whoever watches. The middleware never reads a body itself: routes that
stream theirs (the IBM protocol's, past the native 1 MiB limit) would get nothing left to
read; they hand what they read over with :func:`keep_body`. Observers run on the event
loop and must be cheap; without any, the middleware costs one list check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from plumbing.http_errors import ApiError

__all__ = ["Observer", "SeenRequest", "keep_body", "observed", "read_body"]

_BODY: web.RequestKey[bytes] = web.RequestKey("observed_body", bytes)  # from keep_body


@dataclass(frozen=True, slots=True)
class SeenRequest:
    """One request as the cloud received it, and its answer's body (b"" if streamed)."""

    method: str
    path_qs: str
    headers: Mapping[str, str]
    body: bytes
    answer: bytes


Observer = Callable[[SeenRequest], None]


def keep_body(request: web.Request, body: bytes) -> None:
    """Let observers see a body a handler read from the stream itself."""
    request[_BODY] = body


async def read_body(request: web.Request, limit: int) -> bytes:
    """The request body, up to ``limit`` bytes (413 past it), kept for the observers.

    The root application's body limit is the native API's 1 MiB; a protocol whose bodies
    may be bigger (IBM primitive jobs carry QPY) reads them itself, with its own limit.
    """
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "payload_too_large", f"request body over {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    keep_body(request, body)
    return body


def _body(request: web.Request) -> bytes:
    if _BODY in request:
        return request[_BODY]
    # what request.read() / .json() / .post() cached, if the handler called one
    cached = getattr(request, "_read_bytes", None)
    return cached if isinstance(cached, bytes) else b""


def observed(observers: list[Observer]) -> Middleware:
    """Middleware handing every request (errors included) to each of ``observers``."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not observers:
            return await handler(request)
        answer = b""
        try:
            response = await handler(request)
            if isinstance(response, web.Response) and isinstance(response.body, bytes):
                answer = response.body
            return response
        finally:
            body = _body(request)
            seen = SeenRequest(request.method, request.path_qs, request.headers, body, answer)
            for observe in observers:
                observe(seen)

    return middleware
