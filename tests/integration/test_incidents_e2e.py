"""Whole game days for the scoring features: several incidents, an SUT that never
alerts, stop conditions, a crash, the interactive responder, --repeat, compare
(SIGTERM and SIGINT: test_gameday_e2e.py).

All through the real ``gameday`` command (or the real runner) with real servers on
loopback and real Aer. Runs are short (12 scenario minutes): on the virtual clock, but
for two-faults.yaml itself (a shell step) and the interactive run (a human), scaled at 60x.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.run.progress import Snapshot
from harness.run.runner import run_game_day
from harness.scenario.parse import load_scenario
from plumbing import virtual
from tests.integration.runs import JUDGED, ROOT, checked_report, gameday, journal

TWO_FAULTS = Path(__file__).with_name("scenarios") / "two-faults.yaml"


# two-faults.yaml's diagnostic step is a shell command, which keeps a game day on the
# scaled clock; the variants that are not about it ask the SUT over HTTP instead, so
# they play on the virtual clock
HTTP_STATS = ("shell: python3 -c", "http: {method: GET, path: /stats}\n      # ")


def variant(tmp_path: Path, name: str, *edits: tuple[str, str]) -> Path:
    """A copy of the two-fault scenario with text edits (its stats step over HTTP)."""
    text = TWO_FAULTS.read_text().replace("name: two-faults", f"name: {name}")
    for old, new in (HTTP_STATS, *edits):
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def play_variant(
    tmp_path: Path, name: str, *edits: tuple[str, str]
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run a variant of the two-fault scenario quietly; its process and run folder."""
    path, out = variant(tmp_path, name, *edits), tmp_path / name
    return gameday("run", str(path), *JUDGED, "--out", str(out), "-q"), out


@pytest.mark.slow
def test_two_faults_give_two_ordered_incidents_and_repeat_reports_distributions(tmp_path):
    # two-faults.yaml itself: its shell step keeps it on the scaled clock (the one whole
    # game day here that runs a shell step)
    out = tmp_path / "rep"
    proc = gameday(
        "run", str(TWO_FAULTS), *JUDGED, "--repeat", "2", "--out", str(out), "-q", timeout=300
    )
    # the mttr gate depends on how fast a busy machine drains the backlog: 0 or 1
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    for seed in (3, 4):
        r = checked_report(out / f"seed-{seed}")
        assert r["seed"] == seed
        first, second = r["incidents"]
        assert (first["fault"], second["fault"]) == ("first", "second")
        assert first["start_s"] < first["detected_at_s"] < second["start_s"]
        assert second["start_s"] < second["detected_at_s"]
        assert first["mitigated_at_s"] < second["start_s"] < second["mitigated_at_s"]
        if first["recovery"] == second["recovery"] == "recovered":  # else: no impact
            assert first["recovered_at_s"] < second["recovered_at_s"]
        assert {g["name"]: g["passed"] for g in r["gates"]}["ttd"] is True
        assert first["mitigation"] == "SUT: token-refreshed:manila"
        steps = {s["id"]: s for s in r["runbook"]}
        assert steps["paged"]["done_at_s"] == first["detected_at_s"]
        assert steps["stats"]["status"] == "done", steps["stats"]
        assert '"completed"' in steps["stats"]["detail"]  # the SUT's /stats answer
    summary = json.loads((out / "repeat.json").read_text())
    assert [run["seed"] for run in summary["runs"]] == [3, 4]
    ttd = summary["distributions"]["ttd"]
    assert (ttd["n"], ttd["missing"]) == (4, 0)
    assert 0 < ttd["p50"] <= ttd["p90"] <= ttd["max"]
    assert "| ttd | 4 |" in (out / "repeat.md").read_text()


@pytest.mark.slow
def test_an_sut_that_never_alerts_is_not_detected_and_fails_the_ttd_gate(tmp_path):
    proc, out = play_variant(
        tmp_path,
        "silent",
        ("alert: {threshold: 0.5", "alert: {enabled: false, threshold: 0.5"),
        ("  - {id: second, kind: auth.token_expiry, at: 7m, duration: 1m}\n", ""),
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    r = checked_report(out)
    (inc,) = r["incidents"]
    assert inc["detected"] is False
    assert inc["ttd_s"] is None
    assert "not detected" in proc.stdout
    gates = {g["name"]: g for g in r["gates"]}
    assert gates["ttd"]["passed"] is False
    assert gates["ttd"]["value"] is None
    assert not [rec for rec in journal(out) if rec["type"] == "alert"]
    assert {s["id"]: s["status"] for s in r["runbook"]} == {
        "paged": "not triggered",
        "stats": "not triggered",
    }


@pytest.mark.slow
def test_a_stop_condition_aborts_reverts_the_fault_and_exits_2(tmp_path):
    proc, out = play_variant(
        tmp_path,
        "abort",
        ("target:\n", "target:\n  token_refresh: false\n"),
        ("gates:\n", "stop_when:\n  failed_jobs: {above: 3}\ngates:\n"),
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    records = journal(out)
    types = [rec["type"] for rec in records]
    stop = next(rec for rec in records if rec["type"] == "run.stop")
    assert stop["condition"] == "failed_jobs"
    assert stop["value"] > 3
    ended = next(rec for rec in records if rec["type"] == "fault.ended")
    assert ended["reverted"] is True
    assert types.index("run.stop") < types.index("fault.ended") < types.index("run.ended")
    assert ended["t"] - stop["t"] < 15  # reverted at once, not when the window would end
    assert "second" not in {rec.get("id") for rec in records if rec["type"] == "fault.started"}
    r = checked_report(out)
    assert (r["status"], r["stop_condition"], r["exit_code"]) == ("aborted", "failed_jobs", 2)
    last_submit = max(rec["t"] for rec in records if rec["type"] == "job.submitted")
    assert last_submit <= stop["t"] + 1  # the load stopped with the experiment


@pytest.mark.slow
def test_a_crash_mid_fault_still_reverts_it_and_reports(tmp_path):
    scenario = load_scenario(variant(tmp_path, "crash"))
    assert scenario.clock == "virtual"

    def explode(snap: Snapshot) -> None:
        if snap.active_faults:
            raise RuntimeError("progress sink blew up")

    game_day = run_game_day(scenario, tmp_path / "crash", progress=explode, workers=1)
    result = virtual.run(game_day)  # a game day on the virtual clock: a loop of its own
    assert result.run_dir == tmp_path / "crash"
    assert (result.score.status, result.exit_code) == ("crashed", 4)
    records = journal(tmp_path / "crash")
    ended = next(r for r in records if r["type"] == "fault.ended")
    assert ended["reverted"] is True
    assert [r["status"] for r in records if r["type"] == "backend.token_endpoint"] == [503, 200]
    assert "progress sink blew up" in (tmp_path / "crash" / "error.txt").read_text()
    assert checked_report(tmp_path / "crash")["status"] == "crashed"


@pytest.mark.slow
def test_interactive_responder_is_paged_and_typed_steps_are_scored(tmp_path):
    out = tmp_path / "human"
    seen: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", str(TWO_FAULTS), "--interactive",
         "--out", str(out)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    ) as proc:  # fmt: skip
        assert proc.stdin is not None
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                seen.append(line)
                if "step due: paged" in line:
                    proc.stdin.write("nonsense\npaged\n")
                    proc.stdin.flush()
                if "step due: stats" in line:
                    proc.stdin.write("stats\n")
                    proc.stdin.flush()
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    output = "".join(seen)
    assert "PAGE at" in output, output
    assert "unknown command 'nonsense'" in output
    r = checked_report(out)
    steps = {s["id"]: s for s in r["runbook"]}
    assert steps["paged"]["by"] == "responder"
    assert steps["stats"]["by"] == "responder"
    assert steps["stats"]["status"] in ("done", "late")
    typed = [rec for rec in journal(out) if rec["type"] == "runbook.step"]
    assert {rec["id"] for rec in typed} == {"paged", "stats"}
    assert r["interactive"] is True
    assert r["incidents"][0]["acknowledged_at_s"] == steps["paged"]["done_at_s"]


def test_compare_flags_a_regressed_gated_figure(tmp_path):
    def report(ttd: float | None, lost: int) -> dict[str, Any]:
        return {
            "scenario": "demo",
            "gates": [
                {"name": "ttd", "op": "max", "threshold": 180.0, "value": ttd, "unit": "s",
                 "passed": True},
                {"name": "lost_jobs", "op": "max", "threshold": 0, "value": lost, "unit": "",
                 "passed": lost == 0},
                {"name": "score", "op": "min", "threshold": 70, "value": 90.0, "unit": "",
                 "passed": True},
            ],
        }  # fmt: skip

    base, same, worse = tmp_path / "b.json", tmp_path / "s.json", tmp_path / "w.json"
    base.write_text(json.dumps(report(30.0, 0)))
    same.write_text(json.dumps(report(32.0, 0)))  # +6.7%: inside the 10% tolerance
    worse.write_text(json.dumps(report(None, 2)))
    ok = gameday("compare", str(base), str(same))
    assert ok.returncode == 0, ok.stdout
    assert "No gated figure regressed" in ok.stdout
    bad = gameday("compare", str(base), str(worse))
    assert bad.returncode == 1, bad.stdout
    assert "Regressed: ttd, lost_jobs" in bad.stdout
    strict = gameday("compare", str(base), str(same), "--tolerance", "0.01")
    assert strict.returncode == 1
    missing = gameday("compare", str(base), str(tmp_path / "nope.json"))
    assert missing.returncode == 3
    assert "cannot read" in missing.stderr
