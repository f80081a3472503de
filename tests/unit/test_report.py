"""Reports rendered from real report data built from synthetic journals."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.journal.store import read_journal
from harness.report import build_report, render_junit, render_markdown, write_reports
from harness.report.html import markdown_to_html, render_html
from harness.scenario.parse import scenario_of
from harness.scoring import score
from tests.report_schema import JUNIT_XSD, SCHEMA, check_report
from tests.unit.journals import SCENARIO, Journal

WITH_RUNBOOK = {
    **SCENARIO,
    "runbook": [
        {"id": "ack", "when": "alert", "expect": "alert", "within": "1m"},
        {"id": "restart", "run": {"http": {"path": "/admin/restart"}}, "within": "30s"},
        {"id": "later", "when": {"at": "2h"}, "expect": "recovery"},
    ],
    "gates": {"ttd": {"max": "1m"}, "mttr": {"max": "10m"}, "score": {"min": 50}},
}


def journal(*, alert: bool = True, scenario: dict[str, Any] = WITH_RUNBOOK) -> list[dict[str, Any]]:
    """Jobs every 5 s; those submitted in [300, 420) fail; fault 300..360 s."""
    j = Journal(scenario)
    for n in range(240):
        t = n * 5.0
        j.job(n, t, done=t + 5.0, ok=not 300.0 <= t < 420.0, started=t + 1.0)
    j.fault(300.0, 360.0)
    j.add(60.0, "tick", queue_depth={"manila": 2})
    if alert:
        j.add(330.0, "alert", status="firing", name="OrchestratorBackendErrors")
    j.add(500.0, "sut.event", kind="mitigation", name="token-refreshed")
    return j.end(1205.0)


def report(records: list[dict[str, Any]]) -> dict[str, Any]:
    scenario = scenario_of(records)
    data = build_report(records, scenario, score(records, scenario.scoring_config()))
    return dict(json.loads(json.dumps(data, allow_nan=False)))


def test_report_json_matches_its_schema():
    r = report(journal())
    check_report(r)
    (inc,) = r["incidents"]
    assert (inc["ttd_s"], inc["mitigated_at_s"], inc["mitigation"]) == (
        30.0, 500.0, "SUT: token-refreshed")  # fmt: skip
    assert [s["status"] for s in r["runbook"]] == ["done", "missed", "not triggered"]
    assert r["timeline"][5]["queue_depth"] == 2
    broken = {**r, "incidents": [{**inc, "ttr_s": -1.0}]}
    with pytest.raises(jsonschema.ValidationError):
        check_report(broken)


def test_markdown_has_every_section_and_says_not_detected():
    md = render_markdown(report(journal(alert=False)))
    assert md.startswith("# Game day: demo — FAILED")
    for section in ("## Incidents", "## SLOs", "## Ledger", "## Runbook", "## Gates"):
        assert section in md
    assert "**not detected**" in md
    assert "| ttd | max 1m00s | none | **FAIL** |" in md
    assert "| ack | expect | — | — | — | 1m00s | no | not triggered |" in md
    md = render_markdown(report(journal()))
    assert "| restart | run | 5m30s | — | — | 30s | no | **missed** |" in md


def test_junit_is_valid_and_has_a_case_per_gate_and_runbook_step():
    xml = render_junit(report(journal(alert=False)))
    JUNIT_XSD.validate(xml)
    suite = ET.fromstring(xml.split("\n", 1)[1]).find("testsuite")
    assert suite is not None
    cases = {(c.get("classname"), c.get("name")): c for c in suite.findall("testcase")}
    assert set(cases) == {
        ("gameday.demo", "run completed"),
        *(("gameday.demo.gates", g) for g in ("ttd", "mttr", "score")),
        *(("gameday.demo.runbook", s) for s in ("ack", "restart", "later")),
    }
    failure = cases[("gameday.demo.gates", "ttd")].find("failure")
    assert failure is not None
    assert failure.get("message") == "ttd = none, rule max 1m00s"
    assert cases[("gameday.demo.runbook", "later")].find("skipped") is not None
    assert suite.get("skipped") == "3"  # no alert: nothing triggered the runbook
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        JUNIT_XSD.validate('<testsuites><testsuite name="x"/></testsuites>')  # tests= missing


def test_html_is_self_contained_and_escapes_text():
    r = report(journal())
    page = render_html({**r, "description": "<script>alert(1)</script>"})
    assert page.startswith("<!DOCTYPE html>")
    assert "&lt;script&gt;" in page
    assert "<script>" not in page
    assert re.search(r'<img class="timeline" alt="SLI timeline" src="data:image/png;base64,', page)
    assert not re.search(r"(src|href)=\"(?!data:)", page)  # nothing fetched from anywhere
    assert "http://" not in page
    assert "https://" not in page
    assert "<h2>Runbook</h2>" in page


def test_markdown_to_html_tables_and_bold():
    out = markdown_to_html("# T\n\n| a | b |\n|---|---|\n| 1 | **x** |\n")
    assert "<h1>T</h1>" in out
    assert "<tr><th>a</th><th>b</th></tr>" in out
    assert "<td><strong>x</strong></td>" in out


def test_write_reports_appends_to_the_github_step_summary(tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    records = journal()
    _, files = write_reports(tmp_path, records, scenario_of(records))
    assert {f.name for f in files} == {"report.json", "report.md", "junit.xml", "report.html"}
    text = summary.read_text()
    assert text.startswith("earlier step\n# Game day: demo")


@st.composite
def journals(draw: st.DrawFn) -> list[dict[str, Any]]:
    j = Journal(SCENARIO)
    bad_from = draw(st.integers(0, 100)) * 10.0
    bad_len = draw(st.integers(0, 40)) * 10.0
    for n in range(draw(st.integers(0, 120))):
        t = n * 10.0 + draw(st.floats(0, 9.9, allow_nan=False))
        fate = draw(st.sampled_from(["ok", "ok", "failed", "lost", "canary"]))
        if fate == "canary":
            j.job(n, t, done=t + 3.0, nonce=draw(st.sampled_from(["01", "10", "11"])))
        else:
            done = None if fate == "lost" else t + draw(st.floats(0.5, 200, allow_nan=False))
            j.job(n, t, done=done, ok=fate == "ok" and not bad_from <= t < bad_from + bad_len)
    if draw(st.booleans()):
        j.fault(300.0, 360.0)
    for t in draw(st.lists(st.floats(0, 1200, allow_nan=False), max_size=3)):
        j.add(t, "alert", status="firing", name="A")
    return j.end(draw(st.floats(1200, 1600, allow_nan=False)))


@settings(max_examples=20, deadline=None)
@given(records=journals())
def test_rebuilding_from_the_journal_file_gives_the_same_report(records, tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "journal.jsonl"
    path.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records))
    assert report(read_journal(path)) == report(records)


def junit_failures(xml: str) -> int:
    JUNIT_XSD.validate(xml)
    root = ET.fromstring(xml.split("\n", 1)[1])
    return sum(1 for _ in root.iter("failure"))


@pytest.mark.parametrize(("gate", "failures"), [(None, 0), (1, 0), (0, 2)])
def test_junit_has_a_failure_exactly_when_the_exit_code_is_not_0(gate: int | None, failures: int):
    # issue 13: a missed step was a junit failure while the run passed with exit code 0
    gates: dict[str, dict[str, Any]] = {"mttr": {"max": "10m"}}
    if gate is not None:
        gates["runbook_steps_missed"] = {"max": gate}
    scenario = {**WITH_RUNBOOK, "gates": gates}
    r = report(journal(scenario=scenario))
    assert [s["status"] for s in r["runbook"]] == ["done", "missed", "not triggered"]
    assert r["exit_code"] == (1 if failures else 0)
    xml = render_junit(r)
    assert junit_failures(xml) == failures
    restart = next(
        c
        for c in ET.fromstring(xml.split("\n", 1)[1]).iter("testcase")
        if c.get("name") == "restart"
    )
    if failures:
        assert restart.find("failure") is not None
    else:
        out = restart.find("system-out")
        assert out is not None
        assert out.text is not None
        assert out.text.startswith("restart: missed, due 5m30s")


@settings(max_examples=30, deadline=None)
@given(
    records=journals(),
    status=st.sampled_from(["completed", "completed", "invalid", "aborted", "crashed"]),
    bound=st.integers(0, 3),
)
def test_one_verdict_in_junit_report_and_exit_code(records, status: str, bound: int):
    scenario = {
        **SCENARIO,
        "runbook": WITH_RUNBOOK["runbook"],
        "gates": {"runbook_steps_missed": {"max": bound}, "lost_jobs": {"max": bound}},
    }
    records = [
        {**r, "source": scenario} if r["type"] == "run.config" else r
        for r in records
        if r["type"] != "run.ended"
    ]
    records.append({"t": records[-1]["t"], "type": "run.ended", "status": status, "reason": "x"})
    r = report(records)
    assert (junit_failures(render_junit(r)) > 0) == (r["exit_code"] != 0)
    assert (r["exit_code"] == 0) == r["passed"]
    assert render_markdown(r).startswith(f"# Game day: demo — {'PASSED' if r['passed'] else ''}")


def test_the_gates_of_a_run_that_never_injected_a_fault_are_not_evaluated():
    # issue 13: an invalid run's gate table said "ttd 0.0s pass"
    j = Journal(WITH_RUNBOOK)
    for n in range(20):
        j.job(n, n * 5.0, done=n * 5.0 + 5.0, ok=n < 5)
    records = j.end(130.0, status="invalid")
    r = report(records)
    assert [g["passed"] for g in r["gates"]] == [None, None, None]
    assert [g["value"] for g in r["gates"]] == [None, None, None]
    md = render_markdown(r)
    assert "| ttd | max 1m00s | — | not evaluated |" in md
    assert "the gates were not evaluated" in md
    assert "| gates failed | none |" in md
    root = ET.fromstring(render_junit(r).split("\n", 1)[1])
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert cases["ttd"].find("skipped") is not None
    assert cases["ttd"].find("failure") is None
    assert cases["run completed"].find("failure") is not None  # the verdict: invalid
    assert r["exit_code"] == 2
    check_report(r)


def test_a_page_that_could_not_fire_is_not_reported_as_no_page():
    # issue 13: the workbook's 1h/6h windows on a 20-minute run "no page": it was impossible
    r = report(journal())
    assert [x["can_fire"] for x in r["burn_rate"]["rules"]] == [False, False]
    md = render_markdown(r)
    assert "| could not fire in this run |" in md
    assert "14.4x over 1h00m and 5m00s (could not fire: its long window is longer" in md
    scaled = {**WITH_RUNBOOK, "scoring": {"burn_rate": {"window_scale": 0.1}}}
    r = report(journal(scenario=scaled))
    assert [x["can_fire"] for x in r["burn_rate"]["rules"]] == [True, False]
    assert "could not fire in this run" not in render_markdown(r)


def test_the_error_budget_is_written_one_way_in_every_output():
    # issue 13: one run's outputs said 0.1%, 0.14% and 0.0014 for the same figure
    import io

    from rich.console import Console

    from harness.report.markdown import fmt_budget
    from harness.run.progress import print_summary

    scenario = {
        **WITH_RUNBOOK,
        "slos": {"success": {"objective": 0.95, "window": "28d"}},  # a fraction of a budget
        "gates": {"error_budget_consumed": {"max": 0.5}},
    }
    r = report(journal(scenario=scenario))
    shown = fmt_budget(r["error_budget_consumed"])
    assert re.fullmatch(r"\d+(\.\d\d)?%", shown), shown
    md = render_markdown(r)
    assert f"| error budget consumed | {shown} |" in md
    assert f"| error_budget_consumed | max 50% | {shown} | pass |" in md
    assert fmt_budget(max(s["error_budget_consumed"] for s in r["slos"])) == shown
    out = io.StringIO()
    print_summary(Console(file=out, width=200), r, "reports/x")
    assert f"error budget consumed {shown}." in out.getvalue()
    assert re.search(rf"│ max 50% +│ {re.escape(shown)} +│ pass", out.getvalue())
    assert [fmt_budget(x) for x in (0.0014, 0.001, 0.5, 1.45, 0.0, 0.000001)] == [
        "0.14%", "0.10%", "50%", "145%", "0.00%", "<0.01%"]  # fmt: skip


ROOT = Path(__file__).resolve().parents[2]
#: every scenario the project ships: the library and the examples' (IBM's among them)
SHIPPED = sorted([*(ROOT / "scenarios").glob("*.yaml"), *(ROOT / "examples").glob("*.yaml")])


def a_run_of(path: Path) -> list[dict[str, Any]]:
    """A journal as a run of the scenario at ``path`` writes it: its SLOs, faults and
    runbook, jobs every 5 s failing in the first fault, Locust's request lines."""
    from harness.scenario.parse import load_scenario

    s = load_scenario(path)
    j = Journal({**s.source})
    first = s.faults[0] if s.faults else None
    for n in range(int(s.duration // 5)):
        t = n * 5.0
        bad = first is not None and first.at <= t < first.end
        j.job(n, t, done=t + 5.0 + (200.0 if bad else 0.0), ok=not bad, started=t + 1.0)
    for f in s.faults:
        j.add(f.at, "fault.started", id=f.id, kind=f.kind)
        j.add(f.end, "fault.ended", id=f.id, kind=f.kind, reverted=True)
    for k in range(int(s.duration // s.tick)):
        t = k * s.tick
        j.add(t, "tick", queue_depth={b.name: 1 for b in s.backends})
        j.add(t, "load.sli", start_s=t, interval_s=s.tick, start=t, interval=1.0,
              source="master", requests=40, failures=1, hist={"50": 38, "900": 2},
              endpoints={})  # fmt: skip
    if first is not None:
        j.add(first.at + 20.0, "alert", status="firing", name="A", summary="down")
        j.add(first.end + 30.0, "alert", status="resolved", name="A", summary="up")
        j.add(first.end + 5.0, "sut.event", kind="mitigation", name="fixed")
        j.add(first.at + 25.0, "responder.ack", page="alert A firing", paged_at=first.at + 20.0)
    for step in s.runbook:
        if step.action is not None and first is not None:
            what = step.action.describe()
            j.add(first.at + 60.0, "runbook.step", id=step.id, status="done", by="automation",
                  action=what, mitigation=step.mitigation, detail="200")  # fmt: skip
    return j.end(s.duration + s.drain)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_the_report_of_every_shipped_scenario_matches_the_schema(path: Path):
    # issue 13: a Locust game day's report.json failed the schema (156 errors)
    r = report(a_run_of(path))
    check_report(r)
    assert r["scenario"] == path.stem
    render_markdown(r)
    JUNIT_XSD.validate(render_junit(r))


#: what a fault kind needs besides its kind and window (the required parameters)
_REQUIRED: dict[str, dict[str, object]] = {
    "api.rate_limit": {"rate": "1/s"},
    "backend.config_change": {"remove_edges": [[0, 1]]},
    "network.bandwidth": {"rate": 10},
    "network.latency": {"latency": "2s"},
    "network.slow_close": {"delay": "2s"},
    "queue.saturation": {"rate": "2/s"},
}


def test_a_report_with_every_fault_kind_matches_the_schema(tmp_path):
    # the shipped scenarios use a dozen kinds; the IBM protocol's (account.*, issue 10)
    # and the SUT's own (sut.*, a command target) must make valid reports too
    from harness.faults import REGISTRY

    kinds = sorted(REGISTRY)
    faults = [
        {"id": f"f{i}", "kind": kind, "at": f"{3 + i * 0.4:g}m", "duration": "20s",
         **_REQUIRED.get(kind, {})}
        for i, kind in enumerate(kinds)
    ]  # fmt: skip
    source = {
        **SCENARIO,
        # metrics: a path to scrape, for telemetry.metrics_dark
        "target": {"kind": "command", "run": ["true"], "api": EXAMPLE_API, "metrics": "/metrics"},
        "faults": faults,
    }
    path = tmp_path / "every-kind.yaml"
    path.write_text(json.dumps(source))  # JSON is YAML
    r = report(a_run_of(path))
    check_report(r)
    assert sorted(i["kind"] for i in r["incidents"]) == kinds
    assert {k for k in kinds if k.startswith("account.")} == {
        "account.pending_jobs_limit", "account.session_expiry", "account.usage_limit"}  # fmt: skip
    JUNIT_XSD.validate(render_junit(r))


#: the command target's job-API mapping of examples/ibm-token-expiry.yaml
EXAMPLE_API = {
    "submit": {
        "path": "/v1/experiments",
        "body": {"source": "{circuit}", "ref": "{key}"},
        "id": "/id",
    },
    "status": {"path": "/v1/experiments/{id}", "state": "/state", "counts": "/counts"},
    "states": {"completed": ["completed"], "failed": ["failed"], "pending": ["queued"]},
}


def test_the_schema_knows_every_sli():
    from harness.scoring import SLI_NAMES

    slo = SCHEMA["properties"]["slos"]["items"]["properties"]["name"]
    assert slo["enum"] == list(SLI_NAMES)
    assert set(SLI_NAMES) <= set(SCHEMA["properties"]["timeline"]["items"]["properties"])


def test_the_report_shows_the_incident_where_nothing_completes():
    # issue 13: the timeline had no points in the fault window (nothing completed) and no
    # backlog line; the review lacked affected jobs, worst latency, one response timeline
    j = Journal(WITH_RUNBOOK)
    for n in range(240):
        t = n * 5.0
        held = 300.0 <= t < 420.0  # held by the SUT until 430 s, then done
        j.job(n, t, done=430.0 + n * 0.01 if held else t + 5.0, started=t + 1.0)
    j.fault(300.0, 360.0)
    j.add(330.0, "alert", status="firing", name="OrchestratorBackendErrors")
    j.add(431.0, "sut.event", kind="mitigation", name="token-refreshed")
    j.add(432.0, "runbook.step", id="restart", status="done", by="automation")
    r = report(j.end(1205.0))
    check_report(r)
    by_t = {round(t["t"]): t for t in r["timeline"]}
    assert by_t[400]["latency_p95_s"] is None  # nothing completed in this tick...
    assert by_t[400]["in_flight"] == 23  # ...but 23 jobs are in flight at its end
    assert by_t[400]["oldest_in_flight_s"] == pytest.approx(110.0)  # held since 300 s
    assert by_t[500]["in_flight"] == 1  # drained (and the one submitted at 510 s)
    (inc,) = r["incidents"]
    assert inc["impact_start_s"] is not None
    # held past the 1m latency threshold: the jobs submitted from 300 s to 370 s
    assert inc["affected_jobs"] == 15
    assert inc["worst_latency_s"] == pytest.approx(130.6)  # submitted at 300 s, done 430.6 s
    assert inc["worst_latency_in_flight"] is False
    md = render_markdown(r)
    assert "| tokens-revoked | 5m00s (+0s)" not in md  # impact comes from the SLIs
    assert f"| {inc['affected_jobs']} | 2m11s |" in md
    rows = [line.split(" | ") for line in md[md.index("## Response timeline") :].splitlines()
            if line.startswith("| ") and line[2].isdigit()]  # fmt: skip
    from harness.durations import parse_duration

    times = [parse_duration(at.strip("| ")) for at, _, _ in rows]
    assert times == sorted(times)  # one time line
    first = ["fault started", "SUT alert firing", "runbook (observed)", "fault ended", "impact"]
    assert [what for _, what, _ in rows][:5] == first
    assert {what for _, what, _ in rows} == {
        "fault started", "SUT alert firing", "runbook (observed)", "fault ended", "impact",
        "SUT mitigation", "runbook (automation)", "recovered"}  # fmt: skip


def test_the_schema_allows_every_exit_code_a_report_can_carry():
    # a killed run's report exits 5 (issue 16); the schema said [0, 1, 2, 4] and a real
    # report failed it (found by validating every real run's report, issue 13)
    from harness.exitcode import ExitCode

    statuses = ("completed", "unreliable", "invalid", "aborted", "interrupted", "crashed",
                "incomplete")  # fmt: skip
    codes = {int(ExitCode.of_run(s, p)) for s in statuses for p in (True, False)}
    assert codes == set(SCHEMA["properties"]["exit_code"]["enum"])
