"""``junit.xml``: one test case per gate and one per runbook step, plus the run itself.

CI systems (GitHub Actions, GitLab, Jenkins) show these as test results, so a failed
resilience gate or a missed runbook step reads like a failed test. The file is valid
against the common JUnit schema (``harness/report/junit.xsd``, checked in the tests).

**One verdict.** The file has a failure exactly when the run's exit code is not 0: the
run itself when it did not complete, a gate that failed, and the runbook steps that were
missed when the ``runbook_steps_missed`` gate failed because of them. A missed step the
gates tolerate (or that no gate reads) passes, with what happened in its
``system-out``; a step whose trigger never held, and the gates of a run that never
injected a fault, are skipped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from harness.durations import fmt_duration
from harness.report.markdown import gate_threshold, gate_value

__all__ = ["render_junit"]


def _case(classname: str, name: str, failure: str | None, kind: str) -> ET.Element:
    case = ET.Element("testcase", name=name, classname=classname, time="0")
    if failure is not None:
        ET.SubElement(case, "failure", message=failure, type=kind).text = failure
    return case


def _step_failure(s: Mapping[str, Any]) -> str | None:
    if s["status"] in ("done", "not triggered"):
        return None
    due = fmt_duration(s["triggered_at_s"]) if s["triggered_at_s"] is not None else "?"
    within = fmt_duration(s["within_s"]) if s["within_s"] is not None else "no deadline"
    if s["status"] == "late":
        return f"{s['id']}: done at {fmt_duration(s['done_at_s'])}, due {due}, deadline {within}"
    detail = f" ({s['detail']})" if s["detail"] else ""
    if s.get("blocked_by"):
        due = f"never ({s['blocked_by']} was not done)"
    return f"{s['id']}: {s['status']}, due {due}, deadline {within}{detail}"


def render_junit(r: Mapping[str, Any]) -> str:
    suite_name = f"gameday.{r['scenario']}"
    run_failure = None if r["status"] == "completed" else f"run {r['status']}: {r['reason'] or ''}"
    cases = [_case(suite_name, "run completed", run_failure, "RunNotCompleted")]
    skipped = 0
    unreliable = r["status"] == "unreliable"
    for g in r["gates"]:
        msg = f"{g['name']} = {gate_value(g)}, rule {g['op']} {gate_threshold(g)}"
        failed = g["passed"] is False and not unreliable
        case = _case(f"{suite_name}.gates", g["name"], msg if failed else None, "GateFailed")
        if unreliable:  # a distorted run neither passes nor fails a gate
            ET.SubElement(case, "skipped", message=f"not judged: run unreliable ({msg})")
        elif g["passed"] is None:
            ET.SubElement(case, "skipped", message="not evaluated: no fault was injected")
        cases.append(case)
    # missed steps fail the build only through their gate: one verdict everywhere
    gated = not unreliable and any(
        g["name"] == "runbook_steps_missed" and g["passed"] is False for g in r["gates"]
    )
    for s in r.get("runbook", []):
        problem = _step_failure(s)
        case = _case(
            f"{suite_name}.runbook", s["id"], problem if gated else None, "RunbookStepMissed"
        )
        if s["status"] == "not triggered":
            ET.SubElement(case, "skipped", message="the step's trigger never happened")
        elif problem is not None and not gated:
            ET.SubElement(
                case, "system-out"
            ).text = f"{problem} (not a failure: the runbook_steps_missed gate passed or is absent)"
        cases.append(case)
    failures = sum(1 for c in cases if c.find("failure") is not None)
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    suites = ET.Element(
        "testsuites", name="qgameday", tests=str(len(cases)), failures=str(failures), errors="0"
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=suite_name,
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        time=f"{r['wall_seconds'] or 0:.1f}",
        timestamp=(r["started_at"] or "1970-01-01T00:00:00").replace("+00:00", ""),
    )
    suite.extend(cases)
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
