"""Reports of a run, all rebuilt from ``journal.jsonl`` alone.

:func:`write_reports` scores the journal and writes ``report.json`` (the data, schema
version :data:`SCHEMA_VERSION`), ``report.md`` and ``junit.xml`` (both rendered from
that same data). ``gameday report RUN_DIR`` calls it for a finished or a killed run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.report.data import SCHEMA_VERSION, build_report, scenario_of
from harness.report.junit import render_junit
from harness.report.markdown import render_markdown
from harness.scoring import Score, score

__all__ = ["SCHEMA_VERSION", "build_report", "render_junit", "render_markdown", "write_reports"]


def write_reports(run_dir: Path, records: Sequence[Mapping[str, Any]]) -> tuple[Score, list[Path]]:
    """Score ``records`` and write every report file into ``run_dir``."""
    scenario = scenario_of(records)
    result = score(records, scenario.scoring_config())
    data = build_report(records, scenario, result)
    files = {
        "report.json": json.dumps(data, indent=2, allow_nan=False, default=str) + "\n",
        "report.md": render_markdown(data),
        "junit.xml": render_junit(data),
    }
    paths = []
    for name, text in files.items():
        path = run_dir / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return result, paths
