"""Game days with ``workload.engine: locust`` through the real ``gameday`` command.

Locust runs as a subprocess of the game day (never imported by the harness); its users
drive the reference orchestrator while the fault plays.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from harness.procgroup import group_pids
from harness.scoring.identity import job_of_key
from tests.integration.runs import (
    JUDGED,
    ROOT,
    checked_report,
    gameday,
    journal,
    running,
    wait_for_record,
)

# whole game days (a real run each): `-m 'not slow'` skips them
pytestmark = pytest.mark.slow

SCENARIO = ROOT / "scenarios" / "token-expiry-locust.yaml"
FAST = "120"


@pytest.fixture(scope="module")
def locust_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    out = tmp_path_factory.mktemp("runs") / "token-expiry-locust"
    proc = gameday(
        "run", "token-expiry-locust", *JUDGED, "--time-scale", FAST, "--out", str(out), "-q"
    )
    return out, proc.returncode, proc.stdout + proc.stderr


def test_locust_game_day_passes_and_writes_every_report(locust_run):
    out, code, output = locust_run
    assert code == 0, output
    for name in ("journal.jsonl", "report.json", "report.md", "junit.xml"):
        assert (out / name).stat().st_size > 0, name
    for name in ("locust.html", "locust_stats.csv", "locust_stats.json", "sli.jsonl"):
        assert (out / "locust" / name).stat().st_size > 0, name
    r = checked_report(out)
    assert r["passed"] is True
    (incident,) = r["incidents"]
    assert incident["detected"]
    assert incident["recovered"]
    assert r["jobs"]["lost"] == 0
    assert r["jobs"]["ok"] == r["jobs"]["submitted"] > 50
    records = journal(out)
    exited = next(rec for rec in records if rec["type"] == "load.exited")
    assert exited["exit_code"] == 0
    assert "locust.html" in exited["files"]


def test_per_tick_slis_match_locusts_totals_exactly(locust_run):
    out, _, _ = locust_run
    records = journal(out)
    ticks = [rec for rec in records if rec["type"] == "load.sli"]
    entries = json.loads((out / "locust" / "locust_stats.json").read_text())
    locust = {f"{e['method']} {e['name']}": (e["num_requests"], e["num_failures"]) for e in entries}
    journalled: dict[str, tuple[int, int]] = {}
    for rec in ticks:
        for name, e in rec["endpoints"].items():
            r, f = journalled.get(name, (0, 0))
            journalled[name] = (r + e["requests"], f + e["failures"])
    assert journalled == locust
    # one SLI interval is one scenario tick, aligned on scenario time 0
    assert all(rec["interval_s"] == 10.0 for rec in ticks)
    assert all(rec["start_s"] % 10 < 1e-3 or 10 - rec["start_s"] % 10 < 1e-3 for rec in ticks)
    # and scoring counted every request in the requests SLI
    report = checked_report(out)
    slos = {s["name"]: s for s in report["slos"]}
    assert slos["requests"]["total"] == sum(n for n, _ in locust.values())
    assert slos["request_latency"]["total"] == slos["requests"]["total"]


def test_locust_jobs_are_in_the_ledger_like_the_built_in_workloads(locust_run):
    out, _, _ = locust_run
    records = journal(out)
    submitted = [rec for rec in records if rec["type"] == "job.submitted"]
    completed = {rec["job"] for rec in records if rec["type"] == "job.completed"}
    assert {rec["job"] for rec in submitted} == completed
    assert all(rec["job"].startswith("lc-7-local-") for rec in submitted)
    tenants = {rec["tenant"] for rec in submitted}
    assert len(tenants) == 3  # the scenario's tenants, from the seeded job mix
    executed = [  # the reference orchestrator scopes keys: <tenant>/<key>
        job_of_key(rec["idempotency_key"]) for rec in records if rec["type"] == "backend.execution"
    ]
    assert sorted(executed) == sorted(rec["job"] for rec in submitted)


def _locust_variant(tmp_path: Path, **changes: str) -> Path:
    text = SCENARIO.read_text()
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "variant.yaml"
    path.write_text(text)
    return path


def _at_60x(scenario: Path, out: Path) -> AbstractContextManager[subprocess.Popen[str]]:
    return running("run", str(scenario), "--time-scale", "60", "--out", str(out), "-q")


def test_sigterm_mid_fault_leaves_no_locust_process(tmp_path):
    scenario = _locust_variant(tmp_path, **{"processes: 1 ": "processes: 2 "})
    out = tmp_path / "run"
    with _at_60x(scenario, out) as proc:
        wait_for_record(proc, out, "fault.started")
        engine = next(r for r in journal(out) if r["type"] == "load.engine")
        pids = group_pids(engine["pid"])
        assert len(pids) == 3, pids  # master + 2 workers
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, output
    assert group_pids(engine["pid"]) == set()
    assert checked_report(out)["status"] == "interrupted"


def test_a_locust_crash_mid_run_is_reported_as_crashed(tmp_path):
    out = tmp_path / "run"
    with _at_60x(SCENARIO, out) as proc:
        wait_for_record(proc, out, "steady_state")
        engine = next(r for r in journal(out) if r["type"] == "load.engine")
        os.kill(engine["pid"], signal.SIGKILL)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 4, output
    r = checked_report(out)
    assert r["status"] == "crashed"
    assert "Locust was killed by signal 9" in r["reason"]
    assert group_pids(engine["pid"]) == set()


def test_steady_state_not_reached_stops_the_users_submitting(tmp_path):
    # one token, never refreshed, expiring in the warm-up: jobs fail before any fault
    scenario = _locust_variant(
        tmp_path,
        **{"token_refresh: true": "token_refresh: false", "token_ttl: 1h": "token_ttl: 40s"},
    )
    out = tmp_path / "run"
    proc = gameday("run", str(scenario), *JUDGED, "--time-scale", "60", "--out", str(out), "-q")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    records = journal(out)
    steady = next(r for r in records if r["type"] == "steady_state")
    assert steady["ok"] is False
    assert not any(r["type"] == "fault.started" for r in records)
    # users stop submitting within a moment (they re-read the control every 0.1 s wall)
    late = [r for r in records if r["type"] == "job.submitted" and r["t"] > steady["t"] + 10]
    assert late == []
    types = [r["type"] for r in records]
    assert types.index("load.drained") < types.index("run.ended")
    assert checked_report(out)["status"] == "invalid"


QUEUE_SATURATION = ROOT / "scenarios" / "queue-saturation-under-load.yaml"


def test_queue_saturation_under_load(tmp_path):
    out = tmp_path / "run"
    proc = gameday(
        "run", str(QUEUE_SATURATION), *JUDGED, "--time-scale", FAST, "--out", str(out), "-q"
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    r = checked_report(out)
    assert r["status"] == "completed"
    assert {g["name"] for g in r["gates"]} >= {"error_budget_consumed", "lost_jobs"}
    assert any(rec["type"] == "load.sli" for rec in journal(out))
    (incident,) = r["incidents"]
    assert incident["kind"] == "queue.saturation"
    # the flood really queued our jobs behind other tenants' work: latency burned
    assert incident["impact"] is True
    latency = next(s for s in r["slos"] if s["name"] == "latency")
    assert latency["bad"] > 0
    assert r["jobs"]["lost"] == 0
