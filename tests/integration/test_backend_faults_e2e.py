"""A whole game day with the fake backends' faults, through the real ``gameday`` command."""

from __future__ import annotations

import pytest

from tests.integration.runs import JUDGED, checked_report, gameday, journal

# whole game days (a real run each): `-m 'not slow'` skips them
pytestmark = pytest.mark.slow


def test_backend_faults_tour_is_injected_reverted_and_journalled(tmp_path):
    out = tmp_path / "tour"
    # the scenario's own time scale: Aer keeps up with drifting noise and scheduled idle
    # there (at 60x a busy 2-core machine lagged minutes behind, and jobs were lost: a
    # property of the machine, not of the faults, which are what this test is about)
    proc = gameday("run", "backend-faults-tour", *JUDGED, "--out", str(out), "-q")
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    report = checked_report(out)
    assert report["status"] == "completed"
    assert report["jobs"]["duplicated"] == 0
    assert report["jobs"]["ok"] > 100
    records = journal(out)
    ended = {r["id"]: r["reverted"] for r in records if r["type"] == "fault.ended"}
    assert ended == dict.fromkeys(
        ["drift", "stale-properties", "noisy-neighbours", "flaky-polls", "outage"], True
    )
    switches = [(r["switch"], r["value"]) for r in records if r["type"] == "backend.switch"]
    for switch, on, off in [
        ("stale", True, False),
        ("offline", True, False),
        ("extra_background_rate", 40 / 60, 0.0),
    ]:
        assert (switch, on) in switches, switch
        assert (switch, off) in switches, switch
    # drift made new versions while the served properties stayed at the old one
    started = next(r["t"] for r in records if r.get("id") == "stale-properties")
    stale_until = next(r["t"] for r in records if r.get("switch") == "stale" and not r["value"])
    during = [
        r for r in records if r["type"] == "backend.calibration" and started < r["t"] < stale_until
    ]
    assert len({r["version"] for r in during}) >= 2
    assert len({r["served"] for r in during}) == 1
    assert {r["endpoint"] for r in records if r["type"] == "backend.api_error"} <= {
        "status",
        "result",
    }
    versions = {r["calibration_version"] for r in records if r["type"] == "backend.execution"}
    assert len(versions) >= 3  # jobs really ran on drifting noise
