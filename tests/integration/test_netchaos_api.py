"""The embedded server's HTTP API over real HTTP: status codes, error bodies, defaults,
and the harness client's error mapping and PATCH -> POST fallback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from harness.errors import ProxyError, ProxyNotFound
from harness.netchaos import NetChaosServer, ToxiproxyClient
from plumbing.serve import serve_app

UPSTREAM = "127.0.0.1:9"  # never dialled: no connection is made in these tests


@pytest_asyncio.fixture
async def api() -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    async with NetChaosServer().running() as server, aiohttp.ClientSession() as http:
        yield server.url, http


async def call(
    api: tuple[str, aiohttp.ClientSession], method: str, path: str, body: Any = None, raw=None
) -> tuple[int, Any]:
    url, http = api
    kwargs: dict[str, Any] = {"data": raw} if raw is not None else {"json": body}
    async with http.request(method, url + path, **kwargs) as resp:
        text = await resp.text()
        return resp.status, (await resp.json(content_type=None)) if text.strip() else None


async def test_proxy_lifecycle_status_codes(api):
    status, created = await call(api, "POST", "/proxies", {"name": "a", "upstream": UPSTREAM})
    assert status == 201
    assert created["enabled"] is True
    assert created["toxics"] == []
    assert created["listen"].startswith("127.0.0.1:")
    assert not created["listen"].endswith(":0")
    assert await call(api, "POST", "/proxies", {"name": "a", "upstream": UPSTREAM}) == (
        409,
        {"error": "proxy already exists", "status": 409},
    )
    assert await call(api, "POST", "/proxies", {"upstream": UPSTREAM}) == (
        400,
        {"error": "missing required field: name", "status": 400},
    )
    assert (await call(api, "POST", "/proxies", {"name": "b"}))[1]["error"] == (
        "missing required field: upstream"
    )
    status, shown = await call(api, "GET", "/proxies/a")
    assert (status, shown) == (200, created)
    status, patched = await call(api, "PATCH", "/proxies/a", {"upstream": "127.0.0.1:10"})
    assert (status, patched["upstream"], patched["listen"]) == (
        200,
        "127.0.0.1:10",
        created["listen"],
    )
    assert (await call(api, "DELETE", "/proxies/a"))[0] == 204
    assert await call(api, "GET", "/proxies/a") == (
        404,
        {"error": "proxy not found", "status": 404},
    )


async def test_null_fields_mean_defaults(api):
    body = {"name": "n", "upstream": UPSTREAM, "listen": None, "enabled": None}
    status, proxy = await call(api, "POST", "/proxies", body)
    assert (status, proxy["enabled"]) == (201, True)
    toxic = {"type": "latency", "stream": None, "toxicity": None, "name": None, "attributes": None}
    status, created = await call(api, "POST", "/proxies/n/toxics", toxic)
    assert status == 200  # Toxiproxy answers 200, not 201, for a new toxic
    assert created == {
        "attributes": {"latency": 0, "jitter": 0},
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 1.0,
    }


async def test_toxic_rules(api):
    await call(api, "POST", "/proxies", {"name": "t", "upstream": UPSTREAM})
    add = {"type": "latency", "stream": "upstream", "attributes": {"latency": 10}}
    assert (await call(api, "POST", "/proxies/t/toxics", add))[0] == 200
    # names are unique across streams
    clash = {**add, "stream": "downstream", "name": "latency_upstream"}
    assert await call(api, "POST", "/proxies/t/toxics", clash) == (
        409,
        {"error": "toxic already exists", "status": 409},
    )
    for bad in ({"latency": 1.5}, {"latency": "10"}, {"latency": True}, {"latency": -1}):
        status, err = await call(
            api, "PATCH", "/proxies/t/toxics/latency_upstream", {"attributes": bad}
        )
        assert (status, err["error"].split(":")[0]) == (400, "bad request body"), bad
    status, toxic = await call(api, "GET", "/proxies/t/toxics/latency_upstream")
    assert toxic["attributes"] == {"latency": 10, "jitter": 0}  # the bad updates changed nothing
    status, toxic = await call(
        api, "POST", "/proxies/t/toxics/latency_upstream", {"attributes": {"jitter": 3}}
    )
    assert (status, toxic["attributes"]) == (200, {"latency": 10, "jitter": 3})
    slicer = {"type": "slicer", "attributes": {"average_size": 0}}
    assert (await call(api, "POST", "/proxies/t/toxics", slicer))[0] == 400
    status, toxics = await call(api, "GET", "/proxies/t/toxics")
    assert [t["name"] for t in toxics] == ["latency_upstream"]
    assert (await call(api, "DELETE", "/proxies/t/toxics/latency_upstream"))[0] == 204
    assert await call(api, "DELETE", "/proxies/t/toxics/latency_upstream") == (
        404,
        {"error": "toxic not found", "status": 404},
    )


async def test_malformed_requests_get_json_400s(api):
    for raw in (b"{not json", b"", b"[1, 2]"):
        status, err = await call(api, "POST", "/proxies", raw=raw)
        assert (status, err["error"].split(":")[0]) == (400, "bad request body"), raw
    status, err = await call(api, "POST", "/proxies", {"name": 5, "upstream": UPSTREAM})
    assert (status, err["status"]) == (400, 400)
    status, err = await call(api, "POST", "/proxies", {"name": "x", "upstream": UPSTREAM,
                                                       "listen": "no-port"})  # fmt: skip
    assert status == 400
    assert "port" in err["error"]
    assert (await call(api, "GET", "/nowhere"))[1] == {"error": "not found", "status": 404}
    assert (await call(api, "PUT", "/proxies"))[0] == 405


async def test_populate_validates_first_and_keeps_what_is_unchanged(api):
    bad = [{"name": "p1", "upstream": UPSTREAM}, {"name": "p2"}]
    assert await call(api, "POST", "/populate", bad) == (
        400,
        {"error": "missing required field: upstream at proxy 2", "status": 400},
    )
    assert (await call(api, "GET", "/proxies"))[1] == {}  # nothing was created
    status, doc = await call(api, "POST", "/populate", [{"name": "p1", "upstream": UPSTREAM}])
    assert status == 201
    listen = doc["proxies"][0]["listen"]
    await call(api, "POST", "/proxies/p1/toxics", {"type": "latency"})
    same = [{"name": "p1", "upstream": UPSTREAM, "listen": listen}]
    status, doc = await call(api, "POST", "/populate", same)
    assert (status, len(doc["proxies"][0]["toxics"])) == (201, 1)  # left alone
    moved = [{"name": "p1", "upstream": "127.0.0.1:10", "listen": listen}]
    status, doc = await call(api, "POST", "/populate", moved)
    assert (status, doc["proxies"][0]["toxics"]) == (201, [])  # replaced


async def test_reset_and_version_and_metrics(api):
    await call(api, "POST", "/proxies", {"name": "r", "upstream": UPSTREAM, "enabled": False})
    await call(api, "POST", "/proxies/r/toxics", {"type": "timeout"})
    assert (await call(api, "POST", "/reset"))[0] == 204
    status, proxy = await call(api, "GET", "/proxies/r")
    assert (proxy["enabled"], proxy["toxics"]) == (True, [])
    assert (await call(api, "GET", "/version"))[1]["version"] == "2.12.0"
    url, http = api
    async with http.get(url + "/metrics") as resp:
        text = await resp.text()
    assert "# TYPE toxiproxy_proxy_received_bytes_total counter" in text
    assert 'proxy="r",upstream="127.0.0.1:9"} 0' in text


async def test_client_maps_errors_into_the_harness_hierarchy(api):
    url, _ = api
    async with ToxiproxyClient(url) as tp:
        with pytest.raises(ProxyNotFound) as missing:
            await tp.get_proxy("nope")
        assert missing.value.status == 404
        assert "proxy not found" in str(missing.value)
        await tp.create_proxy("c", upstream=UPSTREAM)
        with pytest.raises(ProxyError) as dup:
            await tp.create_proxy("c", upstream=UPSTREAM)
        assert dup.value.status == 409
        assert not isinstance(dup.value, ProxyNotFound)
        with pytest.raises(ProxyError, match="stream was invalid") as bad:
            await tp.add_toxic("c", "latency", stream="sideways")
        assert bad.value.status == 400
    async with ToxiproxyClient("http://127.0.0.1:9", timeout=2) as dead:
        with pytest.raises(ProxyError, match="cannot reach") as unreachable:
            await dead.version()
        assert unreachable.value.status == 0


async def test_client_falls_back_to_post_for_servers_without_patch():
    """An old server (Toxiproxy < 2.6) routes updates on POST only: PATCH is 405."""
    seen: list[str] = []

    async def update(request: web.Request) -> web.Response:
        seen.append(request.method)
        if request.method == "PATCH":
            return web.json_response({"error": "method not allowed", "status": 405}, status=405)
        body = await request.json()
        proxy = {"name": "old", "listen": "127.0.0.1:1", "upstream": UPSTREAM, "toxics": []}
        return web.json_response({**proxy, "enabled": body["enabled"]})

    app = web.Application()
    app.router.add_route("*", "/proxies/old", update)
    async with serve_app(app) as url, ToxiproxyClient(url) as tp:
        assert (await tp.update_proxy("old", enabled=False)).enabled is False
        assert (await tp.update_proxy("old", enabled=True)).enabled is True
    assert seen == ["PATCH", "POST", "POST"]  # PATCH tried once, then POST straight away
