"""The network-partition game day end to end, through the real ``gameday`` command.

Two fake clouds, the reference orchestrator and the embedded fault proxy; the link to
the primary is a black hole for 5 scenario minutes (on the virtual clock). Then the same
game day against a standalone ``gameday proxy`` named by TOXIPROXY_URL (a server on real
time, so on the scaled clock), stopped by SIGTERM mid-fault: the fault is reverted and
the shared server is left with no proxy and no toxic.
"""

from __future__ import annotations

import collections
import json
import signal
import time
import urllib.request
from typing import Any

import pytest

from tests.integration.gamedays import virtual_run
from tests.integration.netchaos_support import gameday_proxy
from tests.integration.runs import checked_report, journal, running, wait_for_record

# whole game days (a real run each): `-m 'not slow'` skips them
pytestmark = pytest.mark.slow


def test_network_partition_fails_over_and_loses_nothing(game_days):
    played = virtual_run(game_days, "network-partition")  # test_virtual_time.py plays it too
    out = played.out
    assert played.code == 0, played.output
    r = checked_report(out)
    (incident,) = r["incidents"]
    assert incident["fault"] == "primary-partitioned"
    assert incident["detected"]
    assert incident["recovered"]
    assert r["jobs"]["lost"] == r["jobs"]["duplicated"] == r["jobs"]["failed"] == 0
    assert r["jobs"]["ok"] == r["jobs"]["submitted"] > 100
    records = journal(out)
    # the partition was real: the primary ran nothing new while it lasted, the standby did
    started = next(x["t"] for x in records if x["type"] == "fault.started")
    ended = next(x["t"] for x in records if x["type"] == "fault.ended")
    by_backend = collections.Counter(
        x["backend"]
        for x in records
        if x["type"] == "backend.job_submitted" and started + 60 < x["t"] < ended
    )
    assert by_backend["lima"] > 20
    assert by_backend["manila"] <= 3  # at most probes of jobs pinned to it
    links = next(x for x in records if x["type"] == "network.links")
    # the backends and the SUT's link to the alert webhook (telemetry.* faults act on it)
    assert set(links["links"]) == {"manila", "lima", "_webhook"}
    cleanup = next(x for x in records if x["type"] == "network.cleanup")
    assert cleanup == {**cleanup, "leftover_toxics": {}, "error": None}


def _api(url: str) -> dict[str, dict[str, Any]]:
    with urllib.request.urlopen(url + "/proxies", timeout=5) as resp:
        return dict(json.loads(resp.read()))


def test_sigterm_mid_partition_leaves_a_shared_toxiproxy_clean(tmp_path):
    out = tmp_path / "interrupted"
    with gameday_proxy() as (api, _):
        args = ("run", "network-partition", "--time-scale", "30", "--out", str(out), "-q")
        with running(*args, env={"TOXIPROXY_URL": api}) as proc:
            deadline = wait_for_record(proc, out, "fault.started")
            # fault.started is journalled just before the toxics are added: wait for both
            expected = {"network.partition.upstream", "network.partition.downstream"}
            while True:
                during = _api(api)
                (manila,) = [p for name, p in during.items() if name.endswith("-manila")]
                toxics = {t["name"] for t in manila["toxics"]}
                if toxics == expected or time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            assert toxics == expected
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=60)
        assert proc.returncode == 2, output
        assert _api(api) == {}  # no proxy, so no toxic, left on the shared server
    records = journal(out)
    types = [r["type"] for r in records]
    links = next(r for r in records if r["type"] == "network.links")
    assert links["server"] == f"toxiproxy-server 2.12.0 at {api}"
    ended = next(r for r in records if r["type"] == "fault.ended")
    assert ended["reverted"] is True
    assert types.index("fault.ended") < types.index("network.cleanup") < types.index("run.ended")
    assert records[-1]["status"] == "interrupted"
