"""The harness side of the Locust integration: pure parts, no Locust, no sockets."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.journal.records import JOB_COMPLETED, TICK
from harness.journal.store import Journal
from harness.load.driver import LocustSpec
from harness.load.lines import merge_hist, parse_line, percentile, sli_from_record
from harness.load.summary import render_markdown, summarize
from harness.scenario.parse import load_scenario
from harness.scoring import ScoringConfig, SloSpec, score
from plumbing.clock import FakeClock
from tests.unit.scenario_files import error_of, write

SLI = {
    "type": "sli", "start": 100.0, "interval": 1.0, "source": "local",
    "requests": 5, "failures": 1, "hist": {"3": 4, "700": 1},
    "endpoints": {
        "POST /jobs": {"requests": 2, "failures": 0, "hist": {"3": 2}},
        "GET /jobs/[id]": {"requests": 3, "failures": 1, "hist": {"3": 2, "700": 1}},
    },
}  # fmt: skip


def test_percentiles_and_histograms():
    assert percentile({10: 90, 200: 10}, 0.5) == 10
    assert percentile({10: 90, 200: 10}, 0.95) == 200
    assert percentile({}, 0.99) is None
    assert merge_hist([{1: 2, 5: 1}, {5: 3}]) == {1: 2, 5: 4}


def test_sli_lines_round_trip_and_torn_lines_are_skipped():
    line = sli_from_record(SLI)
    assert line.endpoints["GET /jobs/[id]"].hist == {3: 2, 700: 1}
    assert {"type": "sli", **line.to_record()} == SLI
    assert parse_line('{"type": "sli", "sta') is None
    assert parse_line("[1, 2]") is None


def test_summary_totals_rates_and_the_comparison_with_locust():
    second = {**SLI, "start": 101.0}
    job = {"type": "job", "event": "completed", "wall": 101.2, "job": "k"}
    s = summarize([SLI, second, job], target="t", locustfile="reference", users=2, processes=1,
                  locust={"POST /jobs": (4, 0), "GET /jobs/[id]": (6, 2)})  # fmt: skip
    assert (s.total.requests, s.total.failures) == (10, 2)
    assert (s.mean_rps, s.peak_rps, s.duration_s) == (5.0, 5.0, 2.0)
    assert s.total.p50_ms == 3
    assert s.total.p99_ms == 700
    assert s.totals_match is True
    assert s.jobs == {"completed": 1}
    off = summarize([SLI], target="t", locustfile="x", users=1, processes=1,
                    locust={"POST /jobs": (3, 0), "GET /jobs/[id]": (3, 1)})  # fmt: skip
    assert off.totals_match is False
    assert "**DIFFERENT**" in render_markdown(off)


def test_locust_command_lines_per_mode(tmp_path):
    base = LocustSpec(Path("/x/reference_api.py"), tmp_path, host="http://127.0.0.1:1",
                      users=5, spawn_rate=2, run_time=9.6, options={"seed": "3"})  # fmt: skip
    cmd = base.command()
    assert cmd[1:4] == ["-m", "locust", "-f"]
    assert cmd[4].endswith("sli_plugin.py,/x/reference_api.py")
    assert ["--run-time", "10s"] == cmd[cmd.index("--run-time") : cmd.index("--run-time") + 2]
    assert "--qg-control" not in cmd
    assert "--processes" not in cmd
    assert ["--qg-seed", "3"] == cmd[cmd.index("--qg-seed") : cmd.index("--qg-seed") + 2]
    forked = LocustSpec(base.locustfile, tmp_path, processes=2, master_port=4321, controlled=True)
    cmd = forked.command()
    assert "--qg-control" in cmd
    assert cmd[cmd.index("--processes") + 1] == "2"
    assert cmd[cmd.index("--master-bind-host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--master-bind-port") + 1] == "4321"
    worker = LocustSpec(base.locustfile, tmp_path, mode="worker", master_host="master.example",
                        master_port=5557).command()  # fmt: skip
    assert "--worker" in worker
    assert "--csv" not in worker
    assert "-u" not in worker
    master = LocustSpec(base.locustfile, tmp_path, mode="master", expect_workers=3).command()
    assert master[master.index("--expect-workers") + 1] == "3"


TICK_EVENT = TICK(
    {
        "phase": "load",
        "submitted": 0,
        "ok": 0,
        "failed": 0,
        "outstanding": 0,
        "active_faults": [],
        "queue_depth": {},
    }
)


async def test_journal_records_a_fact_at_the_time_it_happened(tmp_path):
    clock = FakeClock()
    journal = Journal(tmp_path / "j.jsonl", clock)
    try:
        await clock.advance(30)
        assert journal.write(TICK_EVENT)["t"] == 30
        completed = JOB_COMPLETED({"job": "k", "sut_id": "s", "counts": {}})
        assert journal.write(completed, at=12.3456)["t"] == 12.346
    finally:
        journal.close()


def _sli_record(t: float, requests: int, failures: int, hist: dict[str, int]) -> dict[str, object]:
    return {"t": t, "type": "load.sli", "requests": requests, "failures": failures, "hist": hist}


def test_request_slis_from_load_records_hand_computed():
    config = ScoringConfig(
        tick=10, stable_window=20, load_end=60,
        slos=(SloSpec("requests", 0.99), SloSpec("request_latency", 0.9, threshold=0.5)),
    )  # fmt: skip
    records = [
        {"t": 0, "type": "run.config"},
        _sli_record(5, 100, 0, {"3": 100}),
        _sli_record(15, 100, 5, {"3": 80, "600": 20}),  # 5% failed, 20% slower than 500 ms
        _sli_record(25, 50, 0, {"500": 50}),  # exactly at the threshold: good
        {"t": 70, "type": "run.ended", "status": "completed"},
    ]
    s = score(records, config)
    slos = {r.name: r for r in s.slos}
    assert (slos["requests"].good, slos["requests"].total) == (245, 250)
    assert (slos["request_latency"].good, slos["request_latency"].total) == (230, 250)
    assert slos["requests"].error_budget_consumed == pytest.approx(5 / (0.01 * 250))
    assert [t.healthy for t in s.ticks[:3]] == [True, False, True]
    assert s.ticks[1].total == {"requests": 100, "request_latency": 100}
    # without request SLOs in the scenario, load records change nothing
    plain = ScoringConfig(tick=10, stable_window=20, load_end=60, slos=(SloSpec("success", 0.9),))
    assert score(records, plain).slos[0].total == 0


LOCUST_SCENARIO = """\
name: t
duration: 20m
backends: [{name: manila}]
workload:
  engine: locust
  users: 5
  think_time: 20s
slos:
  requests: {objective: 0.99}
  request_latency: {objective: 0.99, threshold: 250ms}
"""


def test_locust_workload_settings(tmp_path):
    s = load_scenario(write(tmp_path, LOCUST_SCENARIO))
    w = s.workload
    assert (w.engine, w.users, w.think_time, w.locustfile, w.processes) == (
        "locust", 5, 20.0, "reference", 1,
    )  # fmt: skip
    assert s.slos[1].threshold == 0.25


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        ("  users: 5\n", "  users: 5\n  rate: 2/s\n", "workload.rate", "not rate"),
        (
            "  engine: locust\n",
            "  engine: builtin\n",
            "workload.users",
            "only used with engine: locust",
        ),
        (
            "  users: 5\n",
            "  users: 5\n  locustfile: missing.py\n",
            "workload.locustfile",
            "no locustfile at",
        ),
        (
            "  users: 5\n",
            "  users: 5\n  processes: many\n",
            "workload.processes",
            "expected an integer",
        ),
    ],
)
def test_locust_workload_errors_name_the_yaml_path(tmp_path, old, new, path, message):
    err = error_of(tmp_path, LOCUST_SCENARIO.replace(old, new))
    assert err.path == path
    assert message in str(err)
