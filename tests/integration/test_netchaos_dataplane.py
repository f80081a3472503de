"""The embedded proxy's data plane, measured: real sockets on loopback, real toxics.

Every test starts the embedded server in process, drives it with the harness's own
async client, and talks TCP through the proxy to a small asyncio server.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
import pytest_asyncio

from benchmarks.proxy import pump
from harness.netchaos import NetChaosServer, ProxyInfo, ToxiproxyClient

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


#: an echo server's handler: each connection pumped into itself
echo: Handler = pump


@asynccontextmanager
async def tcp_server(handler: Handler = echo) -> AsyncIterator[str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    try:
        yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


@pytest_asyncio.fixture
async def tp() -> AsyncIterator[ToxiproxyClient]:
    async with NetChaosServer(seed=1).running() as server, ToxiproxyClient(server.url) as client:
        yield client


@pytest_asyncio.fixture
async def proxy(tp: ToxiproxyClient) -> AsyncIterator[ProxyInfo]:
    async with tcp_server() as upstream:
        yield await tp.create_proxy("echo", upstream=upstream)


async def connect(p: ProxyInfo) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, _, port = p.listen.rpartition(":")
    return await asyncio.open_connection(host, int(port))


@asynccontextmanager
async def connection(
    p: ProxyInfo,
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await connect(p)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def round_trip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> float:
    t0 = time.perf_counter()
    writer.write(b"x" * 1024)
    await asyncio.wait_for(reader.readexactly(1024), 10)
    return time.perf_counter() - t0


async def nothing_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    """True when neither data nor EOF arrives within ``seconds`` (a bounded observation)."""
    try:
        await asyncio.wait_for(reader.read(1), seconds)
    except TimeoutError:
        return True
    return False


async def test_bytes_pass_unchanged_both_ways(tp, proxy):
    payload = os.urandom(8 * 1024 * 1024)
    async with connection(proxy) as (reader, writer):
        writer.write(payload)
        sender = asyncio.ensure_future(writer.drain())
        back = await asyncio.wait_for(reader.readexactly(len(payload)), 30)
        await sender
    assert hashlib.sha256(back).digest() == hashlib.sha256(payload).digest()
    assert tp._session is not None
    async with tp._session.get(tp.url + "/metrics") as resp:
        metrics = await resp.text()
    sent = "toxiproxy_proxy_sent_bytes_total{" + f'direction="upstream",listener="{proxy.listen}"'
    (line,) = [line for line in metrics.splitlines() if line.startswith(sent)]
    assert line.endswith(f" {len(payload)}"), metrics


async def test_partition_holds_with_no_data_and_no_close(tp, proxy):
    async with connection(proxy) as (reader, writer):
        assert await round_trip(reader, writer) < 0.5
        for stream in ("upstream", "downstream"):
            await tp.add_toxic("echo", "timeout", {"timeout": 0}, stream=stream)
        writer.write(b"into the void")
        assert await nothing_within(reader, 0.5)  # no echo, and no close either
        assert not reader.at_eof()
        for stream in ("upstream", "downstream"):
            await tp.remove_toxic("echo", f"timeout_{stream}")
        # as in Toxiproxy, removing the timeout toxic closes the connections it held
        assert await asyncio.wait_for(reader.read(), 5) == b""
    async with connection(proxy) as (reader, writer):
        assert await round_trip(reader, writer) < 0.5


async def test_timeout_closes_after_its_timeout(tp, proxy):
    await tp.add_toxic("echo", "timeout", {"timeout": 300}, stream="upstream")
    async with connection(proxy) as (reader, writer):
        t0 = time.perf_counter()
        writer.write(b"dropped")
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed, nothing echoed
        assert 0.25 <= time.perf_counter() - t0 <= 1.5


async def test_refuse_gives_econnrefused_and_cuts_live_connections(tp, proxy):
    async with connection(proxy) as (reader, writer):
        assert await round_trip(reader, writer) < 0.5
        disabled = await tp.update_proxy("echo", enabled=False)
        assert disabled.enabled is False
        assert await asyncio.wait_for(reader.read(), 5) == b""  # the live connection is cut
    with pytest.raises(ConnectionRefusedError):
        await connect(proxy)
    enabled = await tp.update_proxy("echo", enabled=True)
    assert enabled.listen == proxy.listen  # the same port again
    async with connection(proxy) as (reader, writer):
        assert await round_trip(reader, writer) < 0.5


async def test_reset_peer_gives_econnreset(tp, proxy):
    await tp.add_toxic("echo", "reset_peer", {"timeout": 0})
    async with connection(proxy) as (reader, writer):
        writer.write(b"hello")
        with pytest.raises(ConnectionResetError):
            await asyncio.wait_for(reader.read(1024), 5)


async def test_bandwidth_limits_a_1mb_transfer_to_the_rate(tp, proxy):
    await tp.add_toxic("echo", "bandwidth", {"rate": 500})  # KB/s, downstream
    payload = os.urandom(1_000_000)
    async with connection(proxy) as (reader, writer):
        t0 = time.perf_counter()
        writer.write(payload)
        back = await asyncio.wait_for(reader.readexactly(len(payload)), 10)
        rate = len(payload) / (time.perf_counter() - t0) / 1000
    assert back == payload
    assert 400 <= rate <= 600, f"{rate:.0f} KB/s through a 500 KB/s toxic"


async def test_bandwidth_zero_holds_data_until_removed(tp, proxy):
    await tp.add_toxic("echo", "bandwidth", {"rate": 0}, name="stuck")
    async with connection(proxy) as (reader, writer):
        writer.write(b"held")
        assert await nothing_within(reader, 0.3)
        await tp.remove_toxic("echo", "stuck")
        assert await asyncio.wait_for(reader.readexactly(4), 5) == b"held"  # released, not lost


async def test_limit_data_closes_after_n_bytes(tp, proxy):
    await tp.add_toxic("echo", "limit_data", {"bytes": 5000})
    async with connection(proxy) as (reader, writer):
        writer.write(b"a" * 12_000)
        got = await asyncio.wait_for(reader.read(), 5)  # read() returns at EOF
    assert got == b"a" * 5000


async def test_latency_is_per_chunk_not_cumulative(tp, proxy):
    async with connection(proxy) as (reader, writer):
        await tp.add_toxic("echo", "latency", {"latency": 200})  # reaches the live connection
        t0 = time.perf_counter()
        for _ in range(10):
            writer.write(b"y" * 100)
            await writer.drain()
            await asyncio.sleep(0.02)  # separate chunks (workload spacing, not synchronisation)
        await asyncio.wait_for(reader.readexactly(1000), 10)
        elapsed = time.perf_counter() - t0
    # the last chunk left ~200 ms after the first: ~0.4 s in all, never 10 x 200 ms
    assert 0.35 <= elapsed <= 0.7, elapsed


async def test_toxicity_zero_never_applies(tp, proxy):
    await tp.add_toxic("echo", "latency", {"latency": 500}, toxicity=0.0)
    async with connection(proxy) as (reader, writer):
        assert await round_trip(reader, writer) < 0.25


async def test_updating_a_toxic_reaches_live_connections(tp, proxy):
    async with connection(proxy) as (reader, writer):
        await tp.add_toxic("echo", "latency", {"latency": 100, "jitter": 0})
        assert 0.08 <= await round_trip(reader, writer) <= 0.2
        toxic = await tp.update_toxic("echo", "latency_downstream", {"latency": 300})
        assert toxic.attributes == {"latency": 300, "jitter": 0}
        assert 0.27 <= await round_trip(reader, writer) <= 0.45


async def test_slow_close_delays_the_close(tp):
    async def hello_and_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"bye")
        await writer.drain()
        writer.close()

    async with tcp_server(hello_and_close) as upstream:
        p = await tp.create_proxy("closer", upstream=upstream)
        await tp.add_toxic("closer", "slow_close", {"delay": 400})
        t0 = time.perf_counter()
        async with connection(p) as (reader, _):
            assert await asyncio.wait_for(reader.readexactly(3), 5) == b"bye"
            assert time.perf_counter() - t0 < 0.3  # data is not delayed ...
            assert await asyncio.wait_for(reader.read(), 5) == b""
            assert time.perf_counter() - t0 >= 0.38  # ... the close is


async def test_slicer_cuts_and_spaces_chunks_without_losing_bytes(tp, proxy):
    await tp.add_toxic("echo", "slicer", {"average_size": 100, "size_variation": 20, "delay": 2000})
    payload = os.urandom(10_000)
    async with connection(proxy) as (reader, writer):
        t0 = time.perf_counter()
        writer.write(payload)
        assert await asyncio.wait_for(reader.readexactly(len(payload)), 10) == payload
        assert time.perf_counter() - t0 >= 0.1  # ~100 pieces, 2 ms apart


async def test_deleting_a_proxy_closes_its_connections(tp, proxy):
    async with connection(proxy) as (reader, writer):
        assert await round_trip(reader, writer) < 0.5
        await tp.delete_proxy("echo")
        assert await asyncio.wait_for(reader.read(), 5) == b""
    with pytest.raises(ConnectionRefusedError):
        await connect(proxy)


async def test_reset_removes_toxics_but_keeps_connections(tp, proxy):
    async with connection(proxy) as (reader, writer):
        await tp.add_toxic("echo", "latency", {"latency": 300})
        assert await round_trip(reader, writer) >= 0.28
        await tp.reset()
        assert await round_trip(reader, writer) < 0.1  # same connection, no toxic
    assert (await tp.get_proxy("echo")).toxics == ()


async def test_toxicity_is_drawn_once_per_link(tp, proxy):
    await tp.add_toxic("echo", "latency", {"latency": 60}, toxicity=0.5)
    kinds = []
    for _ in range(16):
        async with connection(proxy) as (reader, writer):
            slow = [await round_trip(reader, writer) >= 0.05 for _ in range(3)]
        assert len(set(slow)) == 1, slow  # a link is toxic for its whole life, or never
        kinds.append(slow[0])
    assert set(kinds) == {True, False}  # ... and the draw differs between links
