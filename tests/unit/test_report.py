"""Markdown and JUnit rendering from report data."""

import xml.etree.ElementTree as ET

from harness.report import render_junit, render_markdown


def report(**kw):
    base = {
        "scenario": "demo",
        "description": "A demo.",
        "seed": 1,
        "time_scale": 60.0,
        "duration_s": 1200.0,
        "target": "reference orchestrator",
        "started_at": "2026-11-22T10:00:00+00:00",
        "wall_seconds": 25.0,
        "status": "completed",
        "reason": None,
        "passed": False,
        "exit_code": 1,
        "incidents": [
            {
                "fault": "tokens",
                "kind": "auth.token_expiry",
                "start_s": 360.0,
                "end_s": 660.0,
                "detected": False,
                "detected_at_s": None,
                "ttd_s": None,
                "impact": True,
                "impact_start_s": 370.0,
                "recovered": True,
                "recovered_at_s": 780.0,
                "ttr_s": 420.0,
            }
        ],
        "mttr_s": 420.0,
        "error_budget_consumed": 0.002,
        "slos": [
            {
                "name": "latency",
                "objective": 0.95,
                "threshold_s": 180.0,
                "window_s": None,
                "good": 10,
                "bad": 2,
                "total": 12,
                "error_budget_consumed": 3.33,
            },
        ],  # fmt: skip
        "jobs": {
            "submitted": 12,
            "ok": 12,
            "failed": 0,
            "wrong": 0,
            "indeterminate": 0,
            "lost": 0,
            "duplicated": 0,
            "duplicate_executions": 0,
            "success_rate": 1.0,
        },  # fmt: skip
        "cost": {
            "executions": 12,
            "unkeyed_executions": 0,
            "shots_executed": 12288,
            "qpu_seconds": 40.0,
            "shots_per_ok_job": 1024.0,
        },  # fmt: skip
        "gates": [
            {
                "name": "mttr",
                "op": "max",
                "threshold": 600.0,
                "value": 420.0,
                "unit": "s",
                "passed": True,
            },
            {
                "name": "ttd",
                "op": "max",
                "threshold": 60.0,
                "value": None,
                "unit": "s",
                "passed": False,
            },
        ],  # fmt: skip
        "alerts": [],
        "timeline": [],
    }
    base.update(kw)
    return base


def test_markdown_says_not_detected_and_shows_gates():
    md = render_markdown(report())
    assert md.startswith("# Game day: demo — FAILED")
    assert "| tokens | auth.token_expiry | 6m00s | 11m00s | not detected | 6m10s | 7m00s |" in md
    assert "| ttd | max 1m00s | none | **FAIL** |" in md
    assert "| mttr | max 10m00s | 7m00s | pass |" in md


def test_junit_has_one_case_per_gate_and_failure_messages():
    root = ET.fromstring(render_junit(report()).split("\n", 1)[1])
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "3"
    assert suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"run completed", "mttr", "ttd"}
    failure = cases["ttd"].find("failure")
    assert failure is not None
    assert failure.get("message") == "ttd = none, rule max 1m00s"
    assert cases["mttr"].find("failure") is None


def test_junit_marks_an_invalid_run_as_failed():
    root = ET.fromstring(
        render_junit(report(status="invalid", reason="steady state not reached", gates=[])).split(
            "\n", 1
        )[1]
    )
    case = root.find("testsuite/testcase")
    assert case is not None
    assert case.find("failure") is not None
