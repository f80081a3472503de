"""Whole game days through the real ``gameday`` command, in a subprocess.

Each run starts Aer workers, a fake cloud, the reference orchestrator and the alert
webhook on loopback, plays 20 scenario minutes and scores them: on the virtual clock
(as fast as the machine allows, the same result on any machine), but for the tests of
signals mid-fault, which need a fault that lasts in wall time (the scaled clock).
"""

from __future__ import annotations

import signal
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.journal.records import VOCABULARY
from tests.integration.gamedays import GameDays, virtual_run
from tests.integration.runs import checked_report, gameday, journal, running, wait_for_record
from tests.report_schema import JUNIT_XSD, check_report


@pytest.fixture(scope="module")
def token_expiry_run(game_days: GameDays) -> tuple[Path, int, str]:
    played = virtual_run(game_days, "token-expiry")  # test_virtual_time.py plays it too
    return played.out, played.code, played.output


@pytest.mark.slow
def test_token_expiry_is_detected_and_recovered(token_expiry_run):
    out, code, output = token_expiry_run
    assert code == 0, output
    r = checked_report(out)
    for key in ("scenario", "seed", "time_scale", "incidents", "mttr_s", "error_budget_consumed",
                "jobs", "gates", "passed"):  # fmt: skip
        assert key in r
    assert (r["scenario"], r["clock"], r["passed"]) == ("token-expiry", "virtual", True)
    (incident,) = r["incidents"]
    assert incident["fault"] == "tokens-revoked"
    assert incident["detected"]
    assert 0 < incident["ttd_s"] < 180
    assert incident["recovered"]
    assert incident["ttr_s"] > 0
    assert r["mttr_s"] == incident["ttr_s"]
    assert r["jobs"]["lost"] == 0
    assert r["jobs"]["duplicated"] == 0
    assert r["jobs"]["ok"] == r["jobs"]["submitted"] > 100
    assert all(g["passed"] for g in r["gates"])
    assert {g["name"] for g in r["gates"]} >= {"mttr", "lost_jobs", "duplicate_executions"}
    # the journal shows the backend really revoked tokens and rejected them
    types = [rec["type"] for rec in journal(out)]
    assert "backend.tokens_revoked" in types
    assert "backend.auth_rejected" in types
    assert "Game day token-expiry: PASSED" in output
    # mitigation reported by the SUT, runbook automation, canaries, the new SLIs
    assert incident["mitigation"] == "SUT: token-refreshed:manila"
    assert incident["start_s"] < incident["detected_at_s"] < incident["mitigated_at_s"]
    assert incident["mitigated_at_s"] < incident["recovered_at_s"]
    assert incident["end_s"] <= incident["recovered_at_s"]
    steps = {s["id"]: s for s in r["runbook"]}
    assert steps["page-received"]["done_at_s"] == incident["detected_at_s"]
    refresh = steps["refresh-tokens"]
    assert (refresh["status"], refresh["by"]) == ("done", "automation")
    assert refresh["done_at_s"] >= incident["end_s"]  # the token service had to be back
    assert steps["recovered"]["done_at_s"] == incident["recovered_at_s"]
    assert r["jobs"]["canaries"] > 20
    assert r["jobs"]["unexpected"] == 0
    # every execution was known by its circuit's fingerprint; canary nonces agree
    assert r["jobs"]["by_fingerprint"] == r["cost"]["executions"] >= r["jobs"]["ok"]
    assert r["jobs"]["identity_checked"] >= r["jobs"]["canaries"]
    assert r["jobs"]["execution_surplus"] == 0
    assert incident["recovery"] == "recovered"
    # the run measured its own lag, per source: none on the virtual clock (the loop probe,
    # a wall-clock measure, does not run there)
    m = r["measurement"]
    assert {s["name"] for s in m["sources"]} == {
        "tick",
        "arrival",
        "poll",
        "fault",
        "webhook",
        "aer",
    }
    assert incident["uncertainty_s"] == m["uncertainty_s"] == m["max_lag_s"] == 0
    assert {s["name"] for s in r["slos"]} == {"success", "latency", "correctness", "queue_wait"}
    assert r["score"]["value"] >= 70
    assert r["burn_rate"]["peak"] > 1


@pytest.mark.slow
def test_every_record_of_a_game_day_is_a_declared_type(token_expiry_run):
    out, _, _ = token_expiry_run
    declared = {kind.name: kind for kind in VOCABULARY}
    for record in journal(out):
        kind = declared[record["type"]]  # KeyError: a record type nobody declared
        fields = set(record) - {"t", "type"}
        assert fields <= set(kind.fields.__annotations__), (record["type"], fields)


@pytest.mark.slow
def test_every_report_file_is_written_and_valid(token_expiry_run):
    out, _, _ = token_expiry_run
    for name in ("journal.jsonl", "report.json", "report.md", "junit.xml", "report.html"):
        assert (out / name).stat().st_size > 0, name
    r = checked_report(out)
    check_report(r)
    JUNIT_XSD.validate(str(out / "junit.xml"))
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "0"
    assert int(suite.get("tests", "0")) == 1 + len(r["gates"]) + len(r["runbook"])
    md = (out / "report.md").read_text()
    for section in ("## Incidents", "## SLOs", "## Ledger", "## Runbook", "## Gates"):
        assert section in md
    assert "data:image/png;base64," in (out / "report.html").read_text()


@pytest.mark.slow
def test_a_run_into_an_earlier_runs_folder_replaces_its_journal(tmp_path):
    out = tmp_path / "run"
    # --out names the folder of an earlier (crashed) run: its files must not leak in
    out.mkdir()
    (out / "journal.jsonl").write_text('{"t":0.0,"type":"run.started","earlier":true}\n')
    (out / "error.txt").write_text("an earlier run's crash\n")
    scenario = Path(__file__).with_name("scenarios") / "short-outage.yaml"
    proc = gameday("run", str(scenario), "--out", str(out), "-q")  # virtual: seconds
    assert proc.returncode == 0, proc.stdout + proc.stderr
    started = [r for r in journal(out) if r["type"] == "run.started"]
    assert len(started) == 1
    assert "earlier" not in started[0]
    assert not (out / "error.txt").exists()


@pytest.mark.slow
def test_report_rebuilds_the_same_report_from_the_journal(token_expiry_run, tmp_path):
    out, _, _ = token_expiry_run
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "journal.jsonl").write_text((out / "journal.jsonl").read_text())
    proc = gameday("report", str(copy))
    assert proc.returncode == 0, proc.stderr
    assert checked_report(copy) == checked_report(out)


@pytest.mark.slow
def test_a_killed_run_is_still_reported(token_expiry_run, tmp_path):
    out, _, _ = token_expiry_run
    lines = (out / "journal.jsonl").read_text().splitlines()
    cut = len(lines) // 2
    torn = "\n".join(lines[:cut]) + "\n" + lines[cut][: len(lines[cut]) // 2]
    (tmp_path / "journal.jsonl").write_text(torn)
    proc = gameday("report", str(tmp_path))
    assert proc.returncode == 5, proc.stdout + proc.stderr
    r = checked_report(tmp_path)
    assert r["status"] == "incomplete"
    assert r["jobs"]["submitted"] > 0


@pytest.mark.slow
def test_no_refresh_variant_fails_its_gates(tmp_path):
    out = tmp_path / "no-refresh"
    proc = gameday("run", "token-expiry-no-refresh", "--out", str(out), "-q")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    r = checked_report(out)
    assert r["passed"] is False
    assert r["jobs"]["failed"] + r["jobs"]["lost"] > 0
    (incident,) = r["incidents"]
    assert incident["recovered"] is False
    assert incident["ttr_s"] is None
    failed = {g["name"] for g in r["gates"] if not g["passed"]}
    assert "mttr" in failed
    assert failed & {"failed_jobs", "lost_jobs"}


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_fault_reverts_it_and_reports_interrupted(tmp_path, sig):
    out = tmp_path / "interrupted"
    scenario = Path(__file__).with_name("scenarios") / "two-faults.yaml"
    with running("run", str(scenario), "--time-scale", "60", "--out", str(out), "-q") as proc:
        wait_for_record(proc, out, "fault.started")
        proc.send_signal(sig)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, output
    records = journal(out)
    types = [r["type"] for r in records]
    ended = next(r for r in records if r["type"] == "fault.ended")
    assert ended["reverted"] is True
    assert types.index("fault.ended") < types.index("run.ended")
    assert "second" not in {r.get("id") for r in records if r["type"] == "fault.started"}
    restored = [r for r in records if r["type"] == "backend.token_endpoint"]
    assert [r["status"] for r in restored] == [503, 200]
    assert records[-1]["status"] == "interrupted"
    assert checked_report(out)["status"] == "interrupted"


def test_cli_validate_list_and_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nduration: 10m\nbackends: [{name: a, slots: lots}]\n")
    proc = gameday("validate", str(bad))
    assert proc.returncode == 3
    assert f"{bad}:3: backends[0].slots: expected an integer" in proc.stdout
    proc = gameday("validate", "token-expiry", "token-expiry-no-refresh")
    assert proc.returncode == 0, proc.stdout
    proc = gameday("list")
    assert proc.returncode == 0
    assert "token-expiry-no-refresh" in proc.stdout
    proc = gameday("run", "does-not-exist")
    assert proc.returncode == 3
    assert "no scenario named 'does-not-exist'" in proc.stderr
    proc = gameday("run", "token-expiry", "--time-scale", "-1")
    assert proc.returncode == 3
    for command in ("run", "validate", "list", "report"):
        assert gameday(command, "--help").returncode == 0
