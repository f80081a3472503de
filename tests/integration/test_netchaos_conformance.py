"""Conformance: the PyPI ``toxiproxy-python`` client, unmodified, drives ``gameday proxy``.

The server runs as a subprocess, exactly as a user starts it; the client is an
independent implementation of the Toxiproxy API, so these tests prove compatibility
rather than agreement with ourselves. Unlike that client's own suite, the timing tests
here measure: a 100 ms latency toxic must add 100 +- 30 ms to a loopback round trip.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest
import requests
from toxiproxy import Toxiproxy
from toxiproxy.api import APIConsumer
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

from tests.integration.netchaos_support import (
    echo_server,
    free_port,
    gameday_proxy,
    round_trip_ms,
    split,
)


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    with gameday_proxy() as (url, _):
        yield url


@pytest.fixture(scope="module")
def echo() -> Iterator[str]:
    with echo_server() as address:
        yield address


@pytest.fixture
def tp(api: str) -> Iterator[Toxiproxy]:
    host, port = split(api.removeprefix("http://"))
    server = Toxiproxy()
    server.update_api_consumer(host, port)
    yield server
    server.destroy_all()


def test_version_and_running(tp):
    assert tp.running() is True
    doc = json.loads(tp.version())
    assert doc["version"] == "2.12.0"


def test_create_with_explicit_and_default_listen(tp, echo):
    port = free_port()
    explicit = tp.create(upstream=echo, name="explicit", listen=f"127.0.0.1:{port}")
    default = tp.create(upstream=echo, name="default")  # the client asks for 127.0.0.1:0
    assert explicit.listen == f"127.0.0.1:{port}"
    host, bound = split(default.listen)
    assert host == "127.0.0.1"
    assert bound != 0
    assert {n: p.enabled for n, p in tp.proxies().items()} == {"explicit": True, "default": True}
    for proxy in (explicit, default):
        assert round_trip_ms(proxy.listen, 3) < 50  # bytes really flow through both


def test_duplicate_name_is_409(tp, echo):
    tp.create(upstream=echo, name="dup")
    with pytest.raises(ProxyExists):  # the client checks first ...
        tp.create(upstream=echo, name="dup")
    with pytest.raises(ProxyExists, match="proxy already exists"):  # ... the server says 409
        APIConsumer.post("/proxies", json={"name": "dup", "upstream": echo})


def test_unknown_proxy_is_404(tp):
    with pytest.raises(NotFound, match="proxy not found"):
        APIConsumer.get("/proxies/nope")
    with pytest.raises(NotFound):
        APIConsumer.delete("/proxies/nope/toxics/latency_downstream")
    assert tp.get_proxy("nope") is None


def test_invalid_stream_and_type_are_400(tp, echo):
    proxy = tp.create(upstream=echo, name="bad")
    with pytest.raises(InvalidToxic, match="stream was invalid"):
        proxy.add_toxic(type="latency", stream="sideways", attributes={"latency": 1})
    with pytest.raises(InvalidToxic, match="invalid toxic type"):
        proxy.add_toxic(type="gremlins")
    with pytest.raises(InvalidToxic, match="latency"):  # attributes are integers
        proxy.add_toxic(type="latency", attributes={"latency": 1.5})
    assert proxy.toxics() == {}


def test_disable_enable_rebinds_the_same_port(tp, echo):
    proxy = tp.create(upstream=echo, name="flappy")
    before = proxy.listen
    with proxy.down():
        assert tp.get_proxy("flappy").enabled is False
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(split(before), timeout=5).close()
    again = tp.get_proxy("flappy")
    assert (again.enabled, again.listen) == (True, before)
    assert round_trip_ms(before, 3) < 50


@pytest.mark.parametrize(
    ("toxics", "added"),
    [
        ([("upstream", 100)], 100),
        ([("downstream", 100)], 100),
        ([("upstream", 50), ("downstream", 50)], 100),
    ],
    ids=["upstream", "downstream", "both"],
)
def test_latency_toxics_add_what_they_say(tp, echo, toxics, added):
    proxy = tp.create(upstream=echo, name="slow")
    base = round_trip_ms(proxy.listen, 20)
    for stream, ms in toxics:
        proxy.add_toxic(type="latency", stream=stream, attributes={"latency": ms})
    assert set(proxy.toxics()) == {f"latency_{stream}" for stream, _ in toxics}
    with_latency = round_trip_ms(proxy.listen, 5)
    assert added - 30 <= with_latency - base <= added + 30, (base, with_latency)
    for stream, _ in toxics:
        proxy.destroy_toxic(f"latency_{stream}")
    assert round_trip_ms(proxy.listen, 5) < base + 20


def test_reset_enables_proxies_and_removes_toxics(tp, echo):
    a = tp.create(upstream=echo, name="a")
    b = tp.create(upstream=echo, name="b")
    a.add_toxic(type="latency", attributes={"latency": 1000})
    b.add_toxic(type="timeout", stream="upstream", attributes={"timeout": 0})
    b.disable()
    assert tp.reset() is True
    after = tp.proxies()
    assert [(p.enabled, p.listen) for p in (after["a"], after["b"])] == [
        (True, a.listen),
        (True, b.listen),
    ]
    assert a.toxics() == {}
    assert b.toxics() == {}
    assert round_trip_ms(b.listen, 3) < 50


def test_destroy_and_populate(tp, echo):
    tp.populate([{"name": "p1", "upstream": echo, "listen": "127.0.0.1:0"}])
    assert set(tp.proxies()) == {"p1"}
    assert tp.destroy(tp.get_proxy("p1")) is True
    assert tp.proxies() == {}


def test_browsers_are_refused(api):
    resp = requests.get(api + "/proxies", headers={"User-Agent": "Mozilla/5.0"}, timeout=5)
    assert resp.status_code == 403
    assert resp.json() == {"error": "User agent not allowed", "status": 403}
