"""``junit.xml``: one test case per gate (failure message = value vs threshold).

CI systems (GitHub Actions, GitLab, Jenkins) show these as test results, so a failed
resilience gate reads like a failed test.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from harness.report.markdown import gate_threshold, gate_value

__all__ = ["render_junit"]


def render_junit(r: Mapping[str, Any]) -> str:
    suite_name = f"gameday.{r['scenario']}"
    cases: list[ET.Element] = []
    run = ET.Element("testcase", classname=suite_name, name="run completed", time="0")
    if r["status"] != "completed":
        ET.SubElement(run, "failure", message=f"run {r['status']}: {r['reason'] or ''}").text = (
            r["reason"] or ""
        )
    cases.append(run)
    for g in r["gates"]:
        case = ET.Element("testcase", classname=f"{suite_name}.gates", name=g["name"], time="0")
        if not g["passed"]:
            msg = f"{g['name']} = {gate_value(g)}, rule {g['op']} {gate_threshold(g)}"
            ET.SubElement(case, "failure", message=msg, type="GateFailed").text = msg
        cases.append(case)
    failures = sum(1 for c in cases if c.find("failure") is not None)
    suites = ET.Element(
        "testsuites", name="qgameday", tests=str(len(cases)), failures=str(failures)
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=suite_name,
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=f"{r['wall_seconds'] or 0:.1f}",
        timestamp=(r["started_at"] or "").replace("+00:00", ""),
    )
    suite.extend(cases)
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
