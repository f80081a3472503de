"""The fault proxy's API under a stalled body, impatient clients and bad numbers
(issue 16, item 9)."""

from __future__ import annotations

import asyncio
import socket
import time
from urllib.parse import urlsplit

import aiohttp

from harness.netchaos import NetChaosServer, ToxiproxyClient

UPSTREAM = "127.0.0.1:9"


async def test_a_stalled_body_does_not_block_other_changes():
    async with NetChaosServer().running() as server, ToxiproxyClient(server.url) as tp:
        await tp.create_proxy("a", upstream=UPSTREAM)
        parts = urlsplit(server.url)
        _, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:  # an update whose body never comes
            writer.write(b"POST /proxies/a HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            await writer.drain()
            await asyncio.sleep(0.2)  # let the server start reading it
            t0 = time.monotonic()
            async with asyncio.timeout(5):
                await tp.create_proxy("b", upstream=UPSTREAM)
                await tp.delete_proxy("b")
                await tp.reset()
            assert time.monotonic() - t0 < 2
        finally:
            writer.close()


async def test_a_change_whose_client_gave_up_is_not_applied_later():
    async with NetChaosServer().running() as server, aiohttp.ClientSession() as http:
        async with server.lock:  # something slow holds the collection
            try:
                async with http.post(
                    server.url + "/proxies",
                    json={"name": "late", "upstream": UPSTREAM},
                    timeout=aiohttp.ClientTimeout(total=0.3),
                ):
                    raise AssertionError("answered while the lock was held")
            except TimeoutError:
                pass
            await asyncio.sleep(0.1)  # the server notices the closed connection
        async with server.lock:  # whatever was waiting has run
            pass
        async with http.get(server.url + "/proxies") as resp:
            assert "late" not in await resp.json()


async def test_non_finite_numbers_are_refused():
    async with NetChaosServer().running() as server, aiohttp.ClientSession() as http:
        async with http.post(server.url + "/proxies", json={"name": "a", "upstream": UPSTREAM}):
            pass
        for toxicity in (b"NaN", b"1e400", b"-Infinity"):
            body = b'{"type": "latency", "toxicity": ' + toxicity + b', "attributes": {}}'
            async with http.post(server.url + "/proxies/a/toxics", data=body) as resp:
                assert resp.status == 400, toxicity
                assert "error" in await resp.json()
        body = b'{"type": "latency", "attributes": {"latency": 1e999}}'
        async with http.post(server.url + "/proxies/a/toxics", data=body) as resp:
            assert resp.status == 400


async def test_reset_reaches_every_proxy_even_when_one_cannot_start():
    async with NetChaosServer().running() as server, ToxiproxyClient(server.url) as tp:
        a = await tp.create_proxy("a", upstream=UPSTREAM)
        await tp.create_proxy("b", upstream=UPSTREAM)
        await tp.add_toxic("b", "latency", attributes={"latency": 100})
        await tp.update_proxy("a", enabled=False)
        host, port = a.listen.rsplit(":", 1)
        with socket.socket() as squatter:  # a's port is taken while it is disabled
            squatter.bind((host, int(port)))
            squatter.listen()
            async with aiohttp.ClientSession() as http:
                async with http.post(server.url + "/reset") as resp:
                    assert resp.status >= 400  # a could not start, and it says so
            assert await tp.toxics("b") == []  # ... but b was reset all the same
