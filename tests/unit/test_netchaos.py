"""Pure parts of the fault proxy and the network faults: no sockets, no sleeping."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.errors import ProxyError, ScenarioError
from harness.faults import FaultContext
from harness.faults.network import Bandwidth, Flap, Latency, Partition, Reset, _ms
from harness.fields import load_yaml
from harness.netchaos.proxy import format_address, split_address
from harness.netchaos.toxics import TOXIC_TYPES, Direction, _cuts, parse_attributes
from harness.scenario.model import Scenario
from harness.scenario.parse import parse_scenario
from plumbing.clock import FakeClock


@given(
    size=st.integers(1, 70_000),
    average=st.integers(1, 5_000),
    variation=st.integers(0, 5_000),
    seed=st.integers(0, 2**32),
)
def test_slicer_cuts_cover_the_chunk_in_order(size, average, variation, seed):
    ends = _cuts(size, average, variation, random.Random(seed))
    starts = [0, *ends[:-1]]
    assert ends[-1] == size
    assert all(s < e for s, e in zip(starts, ends, strict=True))  # no empty piece, in order
    assert all(e - s <= average + variation for s, e in zip(starts, ends, strict=True))


def test_attributes_merge_and_reject_non_integers():
    latency = TOXIC_TYPES["latency"]
    assert parse_attributes(latency, None, {}) == {"latency": 0, "jitter": 0}
    merged = parse_attributes(latency, {"jitter": 5, "unknown": "ignored"}, {"latency": 100})
    assert merged == {"latency": 100, "jitter": 5}
    for bad in (1.5, "100", True, -1, 2**63, [1]):
        with pytest.raises(ProxyError) as info:
            parse_attributes(latency, {"latency": bad}, {})
        assert info.value.status == 400
        assert info.value.reason.startswith("bad request body")
    with pytest.raises(ProxyError, match="average_size"):
        parse_attributes(TOXIC_TYPES["slicer"], {"average_size": 0}, {})


def test_streams_and_addresses():
    assert Direction.parse("UpStream") is Direction.UPSTREAM
    with pytest.raises(ProxyError, match="stream was invalid") as info:
        Direction.parse("sideways")
    assert info.value.status == 400
    assert split_address("127.0.0.1:80") == ("127.0.0.1", 80)
    assert split_address("[::1]:0") == ("::1", 0)
    assert split_address(":8474") == ("", 8474)
    assert format_address("::1", 5) == "[::1]:5"
    for bad in ("nohost", "1.2.3.4:x", "1.2.3.4:70000", "::1:80"):
        with pytest.raises(ProxyError):
            split_address(bad)


def test_network_fault_durations_become_wall_milliseconds():
    ctx = FaultContext({}, clock=FakeClock(time_scale=40))
    assert Latency(latency=4.0, jitter=0.4).attributes(ctx) == {"latency": 100, "jitter": 10}
    assert Latency(latency=0.001).attributes(ctx) == {"latency": 1, "jitter": 0}  # never 0
    assert Bandwidth(rate=25).attributes(ctx) == {"rate": 1000}  # KB/s scale up
    assert Bandwidth(rate=0).attributes(ctx) == {"rate": 0}
    assert Reset().attributes(ctx) == {"timeout": 0}
    assert _ms(FaultContext({}), 1.5) == 1500  # no clock: time scale 1
    assert [n for n, _ in Partition().names()] == [
        "network.partition.upstream",
        "network.partition.downstream",
    ]


SCENARIO = """\
name: t
duration: 20m
backends: [{name: a}, {name: b}]
faults:
  - kind: {kind}
    at: 6m
    duration: 5m
{extra}
"""


def scenario(kind: str, extra: str = "") -> Scenario:
    text = SCENARIO.replace("{kind}", kind).replace("{extra}", extra)
    data, lines = load_yaml(text, file="s.yaml")
    return parse_scenario(data, file="s.yaml", lines=lines)


def test_network_faults_parse_from_a_scenario():
    s = scenario("network.latency", "    latency: 250ms\n    jitter: 50ms\n    backends: [a]")
    fault = s.faults[0]
    assert (fault.fault, fault.backends) == (Latency(0.25, 0.05, "downstream"), ("a",))
    flap = scenario("network.flap", "    period: 1m").faults[0].fault
    assert flap == Flap(period=60.0, down=30.0, direction="both")
    part = scenario("network.partition", "    direction: upstream").faults[0]
    assert part.fault == Partition("upstream")


@pytest.mark.parametrize(
    ("kind", "extra", "path", "words"),
    [
        ("network.latency", "", "faults[0].latency", "missing required field"),
        ("network.latency", "    latency: soon", "faults[0].latency", "expected a duration"),
        ("network.bandwidth", "    rate: -1", "faults[0].rate", "expected a number in [0, 1e+09]"),
        ("network.partition", "    direction: sideways", "faults[0].direction", "expected one of"),
        ("network.flap", "    period: 1m\n    down: 2m", "faults[0].down", "shorter than"),
        ("network.refuse", "    latency: 1s", "faults[0].latency", "unknown field"),
        ("network.partition", "    backends: [c]", "faults[0].backends", "no backend named 'c'"),
    ],
)
def test_bad_network_faults_name_the_yaml_path(kind, extra, path, words):
    with pytest.raises(ScenarioError) as info:
        scenario(kind, extra)
    assert info.value.path == path
    assert words in str(info.value)
    assert info.value.line is not None


def test_overlapping_network_faults_on_one_link_are_rejected():
    two = """\
name: t
duration: 20m
backends: [{name: a}, {name: b}]
faults:
  - {kind: network.partition, at: 5m, duration: 5m, backends: [a]}
  - {kind: network.latency, at: 6m, duration: 1m, latency: 1s}
  - {kind: network.partition, at: 6m, duration: 1m, backends: [b]}
  - {kind: network.flap, at: 9m, duration: 5m}
"""
    data, lines = load_yaml(two, file="s.yaml")
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, file="s.yaml", lines=lines)
    assert info.value.path == "faults[3]"  # the flap overlaps the partition of a at 9m
    assert "overlaps faults[0] on the same link and kind" in str(info.value)
    data, lines = load_yaml(two.replace("at: 9m", "at: 10m"), file="s.yaml")
    assert len(parse_scenario(data, file="s.yaml", lines=lines).faults) == 4
