"""Every server answers hostile HTTP with a 4xx in its JSON error shape (issue 16, item 8).

The four servers: a fake cloud (native API), the reference orchestrator, the alert
webhook and the fault proxy's Toxiproxy API.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from harness.journal.store import Journal
from harness.netchaos import NetChaosServer
from harness.sut.webhook import AlertReceiver
from tests.integration.test_reference_orchestrator import orchestrator

DEEP = ("[" * 1000 + "]" * 1000).encode()
DEEP_OBJECT = b'{"circuit": ' + DEEP + b', "shots": 1}'


@asynccontextmanager
async def servers(start_cloud, tmp_path) -> AsyncIterator[dict[str, tuple[str, str]]]:
    """name -> (base URL, a POST path that takes a JSON body)."""
    cloud, _ = await start_cloud()
    async with AsyncExitStack() as stack:
        orch = await stack.enter_async_context(orchestrator(cloud))
        journal = Journal(tmp_path / "journal.jsonl", cloud.clock)
        stack.callback(journal.close)
        hook = await stack.enter_async_context(AlertReceiver(journal).running())
        proxy = await stack.enter_async_context(NetChaosServer().running())
        yield {
            "cloud": (cloud.url, "/v1/auth/token"),
            "orchestrator": (orch.url, "/jobs"),
            "webhook": (hook.url.removesuffix("/alerts"), "/alerts"),
            "proxy": (proxy.url, "/proxies"),
        }


def is_error_shape(name: str, status: int, body: Any) -> bool:
    if name == "proxy":  # Toxiproxy's own shape
        return isinstance(body, dict) and body.get("status") == status and "error" in body
    return isinstance(body, dict) and body.get("error", {}).get("status") == status


async def raw_request(url: str, data: bytes) -> tuple[int, str, bytes]:
    """Send raw bytes, return (status, content type, body) of the answer."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(10):
            raw = await reader.read()
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    ctype = next(
        (ln.split(":", 1)[1].strip() for ln in lines[1:] if ln.lower().startswith("content-type")),
        "",
    )
    return status, ctype, body


async def test_deep_json_and_lone_surrogates_are_4xx_everywhere(http, start_cloud, tmp_path):
    async with servers(start_cloud, tmp_path) as named:
        for name, (url, path) in named.items():
            for body in (DEEP, DEEP_OBJECT, b'{"circuit": "\\ud800", "name": "\\udfff"}'):
                headers = {"Content-Type": "application/json"}
                async with http.post(url + path, data=body, headers=headers) as resp:
                    answer = await resp.json(content_type=None)
                    assert 400 <= resp.status < 500, (name, body[:20], resp.status, answer)
                    assert is_error_shape(name, resp.status, answer), (name, answer)


@pytest.mark.parametrize(
    "raw",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n",
        b"POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n",
    ],
    ids=["bad-header", "bad-length", "tls-hello"],
)
async def test_http_parser_errors_are_json(start_cloud, tmp_path, raw):
    async with servers(start_cloud, tmp_path) as named:
        for name, (url, _) in named.items():
            status, ctype, body = await raw_request(url, raw)
            assert 400 <= status < 500, (name, status, body)
            assert ctype.startswith("application/json"), (name, ctype, body)
            assert is_error_shape(name, status, json.loads(body)), (name, body)


async def test_a_bad_circuit_gets_a_clear_400_not_a_python_error(http, start_cloud):
    cloud, _ = await start_cloud()
    async with http.post(cloud.url + "/v1/auth/token", json={"api_key": "key-manila"}) as resp:
        token = (await resp.json())["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    for circuit in ("", "   \n", "\ud800"):
        body = json.dumps({"circuit": circuit, "shots": 1}).encode()
        async with http.post(
            cloud.url + "/v1/jobs",
            data=body,
            headers={**auth, "Content-Type": "application/json"},
        ) as resp:
            answer = await resp.json()
        assert resp.status == 400, (circuit, answer)
        message = answer["error"]["message"]
        assert "NoneType" not in message, message
        assert "object has no attribute" not in message, message


async def test_the_proxy_api_rejects_deep_json_without_a_crash(tmp_path):
    async with NetChaosServer().running() as server, aiohttp.ClientSession() as http:
        async with http.post(server.url + "/populate", data=DEEP) as resp:
            assert resp.status == 400
