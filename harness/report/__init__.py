"""Reports of a run, all rebuilt from ``journal.jsonl`` alone.

:func:`write_reports` scores the journal and writes ``report.json`` (the data, schema
version :data:`SCHEMA_VERSION`, JSON Schema in ``report.schema.json``), ``report.md``,
``report.html`` (self-contained, with the timeline plot) and ``junit.xml``, all
rendered from that same data. The caller names the scenario (:class:`ScenarioFacts`):
``gameday report`` reads it back from the journal, the runner has it in hand. When
``GITHUB_STEP_SUMMARY`` names a file, the Markdown report is appended to it. ``gameday
report RUN_DIR`` calls it for a finished or a killed run. Plotting is CPU work: call it
off the event loop.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.report.data import SCHEMA_VERSION, ScenarioFacts, build_report
from harness.report.html import render_html
from harness.report.junit import render_junit
from harness.report.markdown import render_markdown
from harness.scoring import Score, score

__all__ = [
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "ScenarioFacts",
    "build_report",
    "render_html",
    "render_junit",
    "render_markdown",
    "write_reports",
]

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


def write_reports(
    run_dir: Path, records: Sequence[Mapping[str, Any]], scenario: ScenarioFacts
) -> tuple[Score, list[Path]]:
    """Score ``records`` of a run of ``scenario``; write every report file into ``run_dir``."""
    result = score(records, scenario.scoring_config())
    data = build_report(records, scenario, result)
    markdown = render_markdown(data)
    files = {
        "report.json": json.dumps(data, indent=2, allow_nan=False, default=str) + "\n",
        "report.md": markdown,
        "junit.xml": render_junit(data),
        "report.html": render_html(data),
    }
    paths = []
    for name, text in files.items():
        path = run_dir / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(markdown + "\n")
    return result, paths
