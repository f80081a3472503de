"""The Toxiproxy v2.12 HTTP API of the embedded server, with its status codes and errors.

=========  ================================  ================================================
method     path                              answer
=========  ================================  ================================================
GET        /proxies                          200 ``{name: proxy}``
POST       /proxies                          201 proxy; 409 ``proxy already exists``;
                                             400 ``missing required field: name``
POST       /populate                         201 ``{"proxies": [...]}`` (all validated first)
GET        /proxies/{proxy}                  200 proxy; 404 ``proxy not found``
POST/PATCH /proxies/{proxy}                  200 proxy (merges listen, upstream, enabled)
DELETE     /proxies/{proxy}                  204
GET        /proxies/{proxy}/toxics           200 ``[toxic, ...]``
POST       /proxies/{proxy}/toxics           200 toxic; 409 ``toxic already exists``
GET        /proxies/{proxy}/toxics/{toxic}   200 toxic; 404 ``toxic not found``
POST/PATCH /proxies/{proxy}/toxics/{toxic}   200 toxic (merges attributes, toxicity)
DELETE     /proxies/{proxy}/toxics/{toxic}   204
POST       /reset                            204 (every proxy enabled, every toxic removed)
GET        /version                          200 ``{"version": "2.12.0", ...}``
GET        /metrics                          200 Prometheus text
=========  ================================  ================================================

Errors are ``{"error": "...", "status": N}``. A ``null`` field means its default. As in
Toxiproxy, requests from browsers (``User-Agent: Mozilla/...``) are refused with 403,
so a web page cannot drive the proxy of a developer's machine.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from harness.errors import ProxyError
from harness.netchaos.collection import ProxyCollection
from harness.netchaos.proxy import Proxy
from plumbing.http_errors import parse_json

__all__ = ["TOXIPROXY_VERSION", "error_body", "make_app"]

log = logging.getLogger(__name__)

TOXIPROXY_VERSION = "2.12.0"  # the API version this server implements

SERVER = web.AppKey("netchaos", ProxyCollection)


def make_app(server: ProxyCollection) -> web.Application:
    """The aiohttp application serving the API of ``server``'s proxies."""
    app = web.Application(middlewares=[_no_browsers, _errors], client_max_size=1 << 20)
    app[SERVER] = server
    r = app.router
    r.add_post("/reset", _reset)
    r.add_get("/proxies", _proxy_index)
    r.add_post("/proxies", _proxy_create)
    r.add_post("/populate", _populate)
    r.add_get("/proxies/{proxy}", _proxy_show)
    r.add_post("/proxies/{proxy}", _proxy_update)
    r.add_patch("/proxies/{proxy}", _proxy_update)
    r.add_delete("/proxies/{proxy}", _proxy_delete)
    r.add_get("/proxies/{proxy}/toxics", _toxic_index)
    r.add_post("/proxies/{proxy}/toxics", _toxic_create)
    r.add_get("/proxies/{proxy}/toxics/{toxic}", _toxic_show)
    r.add_post("/proxies/{proxy}/toxics/{toxic}", _toxic_update)
    r.add_patch("/proxies/{proxy}/toxics/{toxic}", _toxic_update)
    r.add_delete("/proxies/{proxy}/toxics/{toxic}", _toxic_delete)
    r.add_get("/version", _version)
    r.add_get("/metrics", _metrics)
    return app


def _error(message: str, status: int) -> web.Response:
    return web.json_response(error_body(status, message), status=status)


@web.middleware
async def _no_browsers(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.headers.get("User-Agent", "").startswith("Mozilla/"):
        return _error("User agent not allowed", 403)
    return await handler(request)


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ProxyError as exc:
        return _error(exc.reason, exc.status or 500)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error(exc.reason.lower(), exc.status)
    except Exception as exc:
        log.exception("netchaos API: %s %s", request.method, request.path)
        return _error(f"internal error: {type(exc).__name__}: {exc}", 500)


def error_body(status: int, message: str) -> dict[str, Any]:
    """Toxiproxy's error shape (also for requests aiohttp could not parse)."""
    return {"error": message, "status": status}


async def _body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw.strip():
        raise ProxyError("bad request body: EOF", status=400)
    try:
        return parse_json(raw)  # no NaN, no lone surrogates, no 1,000-level nesting
    except ValueError as exc:
        raise ProxyError(f"bad request body: {exc}", status=400) from None


async def _object(request: web.Request) -> dict[str, Any]:
    body = await _body(request)
    if not isinstance(body, dict):
        raise ProxyError("bad request body: expected a JSON object", status=400)
    return body


def _field(body: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, kind):
        expected = "true or false" if kind is bool else "a string"
        raise ProxyError(f"bad request body: {key}: expected {expected}", status=400)
    return value


@asynccontextmanager
async def _changing(request: web.Request) -> AsyncIterator[None]:
    """Hold the collection's lock for one change, unless the client gave up meanwhile.

    Bodies are read before (one stalled body must not block the harness's own clean-up),
    and a change whose client left while it waited (a timeout) is dropped, not applied
    behind that client's back.
    """
    async with _server(request).lock:
        transport = request.transport
        if transport is None or transport.is_closing():
            raise ProxyError("client went away before the change could be made", status=408)
        yield


def _server(request: web.Request) -> ProxyCollection:
    return request.app[SERVER]


def _proxy(request: web.Request) -> Proxy:
    return _server(request).get(request.match_info["proxy"])


# -- proxies ---------------------------------------------------------------------------


async def _proxy_index(request: web.Request) -> web.Response:
    proxies = _server(request).proxies
    return web.json_response({name: p.to_json() for name, p in proxies.items()})


async def _proxy_create(request: web.Request) -> web.Response:
    body = await _object(request)
    name = _field(body, "name", str, "")
    upstream = _field(body, "upstream", str, "")
    listen = _field(body, "listen", str, "")
    enabled = _field(body, "enabled", bool, True)
    if not name:
        raise ProxyError("missing required field: name", status=400)
    if not upstream:
        raise ProxyError("missing required field: upstream", status=400)
    server = _server(request)
    async with _changing(request):
        proxy = await server.create(name, listen, upstream, enabled)
    return web.json_response(proxy.to_json(), status=201)


async def _populate(request: web.Request) -> web.Response:
    body = await _body(request)
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        raise ProxyError("bad request body: expected a JSON array of proxies", status=400)
    specs = []
    for i, item in enumerate(body, start=1):  # validate everything before touching anything
        name = _field(item, "name", str, "")
        upstream = _field(item, "upstream", str, "")
        if not name:
            raise ProxyError(f"missing required field: name at proxy {i}", status=400)
        if not upstream:
            raise ProxyError(f"missing required field: upstream at proxy {i}", status=400)
        specs.append(
            (name, _field(item, "listen", str, ""), upstream, _field(item, "enabled", bool, True))
        )
    server = _server(request)
    async with _changing(request):
        proxies, error = await server.populate(specs)
    doc: dict[str, Any] = {"proxies": [p.to_json() for p in proxies]}
    if error is None:
        return web.json_response(doc, status=201)
    status = error.status or 500
    return web.json_response({"error": error.reason, "status": status, **doc}, status=status)


async def _proxy_show(request: web.Request) -> web.Response:
    return web.json_response(_proxy(request).to_json())


async def _proxy_update(request: web.Request) -> web.Response:
    server = _server(request)
    body = await _object(request)  # read before the lock: a stalled body must block nobody
    async with _changing(request):
        proxy = _proxy(request)
        listen = _field(body, "listen", str, proxy.listen)
        upstream = _field(body, "upstream", str, proxy.upstream)
        enabled = _field(body, "enabled", bool, proxy.enabled)
        await server.update(proxy, listen, upstream, enabled)
    return web.json_response(proxy.to_json())


async def _proxy_delete(request: web.Request) -> web.Response:
    server = _server(request)
    async with _changing(request):
        await server.delete(request.match_info["proxy"])
    return web.Response(status=204)


async def _reset(request: web.Request) -> web.Response:
    server = _server(request)
    async with _changing(request):
        await server.reset()
    return web.Response(status=204)


# -- toxics ----------------------------------------------------------------------------


async def _toxic_index(request: web.Request) -> web.Response:
    return web.json_response([t.to_json() for t in _proxy(request).chain()])


async def _toxic_create(request: web.Request) -> web.Response:
    proxy = _proxy(request)
    toxic = proxy.add_toxic(await _object(request))
    return web.json_response(toxic.to_json())


async def _toxic_show(request: web.Request) -> web.Response:
    return web.json_response(_proxy(request).toxic(request.match_info["toxic"]).to_json())


async def _toxic_update(request: web.Request) -> web.Response:
    proxy = _proxy(request)
    toxic = proxy.update_toxic(request.match_info["toxic"], await _object(request))
    return web.json_response(toxic.to_json())


async def _toxic_delete(request: web.Request) -> web.Response:
    _proxy(request).remove_toxic(request.match_info["toxic"])
    return web.Response(status=204)


# -- server ----------------------------------------------------------------------------


async def _version(request: web.Request) -> web.Response:
    doc = {"version": TOXIPROXY_VERSION, "implementation": "qgameday-netchaos"}
    return web.json_response(doc, content_type="application/json")


async def _metrics(request: web.Request) -> web.Response:
    return web.Response(text=_server(request).metrics(), content_type="text/plain", charset="utf-8")
