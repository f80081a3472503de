"""Network faults on real links: the runner's proxies, the fault kinds, the cleanup."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from harness.errors import ConfigError
from harness.faults import FaultContext
from harness.faults.network import (
    Bandwidth,
    Flap,
    Latency,
    Partition,
    Refuse,
    Reset,
    SlowClose,
)
from harness.netchaos import NetChaosServer, NetworkLinks, network_links
from harness.netchaos.client import ToxiproxyClient
from harness.netchaos.stale import HOST, Owner, owner_of, process_alive, proxy_name
from plumbing.clock import ScaledClock
from plumbing.serve import serve_app
from tests.integration.netchaos_support import free_port


@pytest_asyncio.fixture
async def backends() -> AsyncIterator[dict[str, str]]:
    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/healthz", hello)
    async with serve_app(app) as a, serve_app(app) as b:
        yield {"a": a, "b": b}


async def toxics(net: NetworkLinks, backend: str) -> dict[str, tuple[str, dict[str, int]]]:
    return {
        t.name: (t.stream, dict(t.attributes)) for t in await net.client.toxics(net.proxy(backend))
    }


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (
            Partition(),
            {
                "network.partition.upstream": ("upstream", {"timeout": 0}),
                "network.partition.downstream": ("downstream", {"timeout": 0}),
            },
        ),
        (
            Latency(latency=10.0, jitter=2.0),
            {"network.latency.downstream": ("downstream", {"latency": 500, "jitter": 100})},
        ),
        (
            Bandwidth(rate=10, direction="upstream"),
            {"network.bandwidth.upstream": ("upstream", {"rate": 200})},
        ),
        (Reset(after=1.0), {"network.reset.downstream": ("downstream", {"timeout": 50})}),
        (SlowClose(delay=2.0), {"network.slow_close.downstream": ("downstream", {"delay": 100})}),
    ],
    ids=lambda v: getattr(v, "kind", ""),
)
async def test_toxic_faults_inject_and_revert_idempotently(backends, fault, expected):
    async with network_links(backends, toxiproxy_url="") as net:
        ctx = FaultContext({}, network=net, clock=ScaledClock(20))  # scenario -> wall / 20
        for _ in range(2):  # inject twice: the second updates, never 409s
            await fault.inject(ctx, ["a"])
        assert await toxics(net, "a") == expected
        assert await toxics(net, "b") == {}  # only the named link
        for _ in range(2):
            await fault.revert(ctx, ["a"])
        assert await toxics(net, "a") == {}


async def test_refuse_disables_the_link(backends):
    async with network_links(backends, toxiproxy_url="") as net:
        ctx = FaultContext({}, network=net)
        await Refuse().inject(ctx, ["a", "b"])
        proxies = await net.client.proxies()
        assert [p.enabled for p in proxies.values()] == [False, False]
        await Refuse().revert(ctx, ["a", "b"])
        assert all(p.enabled for p in (await net.client.proxies()).values())


async def test_flap_switches_the_partition_on_and_off(backends):
    async with network_links(backends, toxiproxy_url="") as net:
        clock = ScaledClock(20)
        ctx = FaultContext({}, network=net, clock=clock)
        flap = Flap(period=10.0, down=5.0)  # 250 ms down, 250 ms up, in wall time
        await flap.inject(ctx, ["a"])
        seen: list[bool] = []
        task = asyncio.ensure_future(flap.during(ctx, ["a"], until=clock.now() + 30))
        async with asyncio.timeout(10):
            while not task.done():
                down = bool(await toxics(net, "a"))
                if not seen or seen[-1] != down:
                    seen.append(down)
                await asyncio.sleep(0.02)
        await task
        await flap.revert(ctx, ["a"])
        assert seen[:4] == [True, False, True, False], seen
        assert await toxics(net, "a") == {}


async def test_links_route_through_proxies_and_clean_up_leftovers(backends):
    events: list[tuple[str, dict[str, Any]]] = []
    port = free_port()
    async with NetChaosServer().running() as server:
        async with network_links(
            backends,
            ports={"b": port},
            toxiproxy_url=server.url,
            on_event=lambda e: events.append((e.type, dict(e.fields))),
        ) as net:
            assert net.url("b") == f"http://127.0.0.1:{port}"  # a fixed port is the proxy's
            assert net.server == f"toxiproxy-server 2.12.0 at {server.url}"
            names = {net.proxy("a"), net.proxy("b")}
            assert set(server.proxies) == names
            await net.client.add_toxic(net.proxy("a"), "latency", {"latency": 5})
            await net.client.update_proxy(net.proxy("b"), enabled=False)
        assert server.proxies == {}  # a shared server is left as it was found
    kinds = [t for t, _ in events]
    assert kinds == ["network.links", "network.cleanup"]
    assert events[1][1] == {"leftover_toxics": {"a": ["latency_downstream"]}, "error": None}


async def test_a_toxiproxy_url_that_is_not_toxiproxy_is_a_config_error(backends):
    with pytest.raises(ConfigError, match="TOXIPROXY_URL=http://127.0.0.1:9"):
        async with network_links(backends, toxiproxy_url="http://127.0.0.1:9"):
            pass
    async with serve_app(web.Application()) as not_toxiproxy:
        with pytest.raises(ConfigError, match="not a usable Toxiproxy API"):
            async with network_links(backends, toxiproxy_url=not_toxiproxy):
                pass


async def test_a_run_deletes_the_proxies_of_killed_harness_processes(backends, caplog):
    # issue 16, item 11: a SIGKILLed harness leaves its proxies (and a partition toxic)
    # on a shared TOXIPROXY_URL; names carry the pid, so the next run can tell
    dead = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await dead.wait()  # exited and reaped: no such process now
    dead_pid = dead.pid
    assert not process_alive(dead_pid)
    live = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; sys.stdin.read()", stdin=asyncio.subprocess.PIPE
    )
    events: list[tuple[str, dict[str, Any]]] = []
    upstream = backends["a"].removeprefix("http://")
    try:
        async with NetChaosServer().running() as server:
            async with ToxiproxyClient(server.url) as client:
                stale = proxy_name("a", "abcdef", pid=dead_pid)
                kept = [
                    proxy_name("a", "abcdef", pid=live.pid),  # a run still going
                    proxy_name("a", "abcdef", pid=dead_pid, host="000000"),  # another machine
                    "gameday-abcdef-a",  # named before names carried a pid: unknown owner
                    "someone-elses",
                ]
                for name in [stale, *kept]:
                    await client.create_proxy(name, upstream=upstream)
                await client.add_toxic(stale, "timeout", {"timeout": 0}, name="partition")
            with caplog.at_level(logging.WARNING, logger="harness.netchaos.links"):
                async with network_links(
                    backends,
                    toxiproxy_url=server.url,
                    on_event=lambda e: events.append((e.type, dict(e.fields))),
                ) as net:
                    ours = {net.proxy("a"), net.proxy("b")}
                    assert set(server.proxies) == {*kept, *ours}
                    assert all(owner_of(n) == Owner(os.getpid(), HOST) for n in ours)
            assert set(server.proxies) == set(kept)  # ours deleted at the end, theirs kept
    finally:
        assert live.stdin is not None
        live.stdin.close()  # it reads to the end, then exits
        await live.wait()
    assert events[0][0] == "network.links"
    assert events[0][1]["stale_deleted"] == [stale]
    assert "deleted 1 proxies of harness processes that are gone from" in caplog.text
    assert stale in caplog.text
